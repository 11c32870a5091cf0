"""`--serve`: the bot behind agentkit's relay, so a browser can talk to it (the voice page at `/`).

The relay keeps the instructions, tools and credentials on this machine: the page sees only the
conversation and short notices while a tool runs.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio

from agentkit import Agent, Endpoint
from agentkit.relay import Relay, RelayPolicy, RelayServer

from .operator import PATH, OperatorDesk

TOOL_LABELS = {
    "lookup_order": "Looking up your order",
    "find_customer": "Finding your account",
    "track_shipment": "Tracking your parcel",
    "start_refund": "Working on your refund",
    "search_faq": "Checking the help centre",
    "escalate_to_human": "Passing you to a colleague",
    "transfer_to_human": "Putting you through to a colleague",
    "transfer_to_refunds": "Passing you to our refunds team",
    "transfer_to_shop_assistant": "Passing you back to the front desk",
}

POLICY = RelayPolicy(tool_notices=True, tool_labels=TOOL_LABELS, default_tool_label="Working on it")


async def serve(
    agent: Agent,
    endpoint: Endpoint,
    host: str,
    port: int,
    announce: Callable[[str], None],
    *,
    desk: OperatorDesk | None = None,
    operator_port: int = 0,
) -> None:
    """Serve until cancelled (Ctrl+C); with `desk`, supervisors approve refunds on its endpoint."""
    relay = Relay(agent, endpoint, policy=POLICY)
    async with RelayServer(relay, host, port) as server:
        announce(f"Open {server.http_url} in a browser to talk to the shop assistant (Ctrl+C to stop).")
        if desk is None:
            await anyio.sleep_forever()
            return
        bound = await desk.start(host, operator_port)
        try:
            where = f"[{host}]" if ":" in host else host
            announce(f"Supervisors approve refunds at ws://{where}:{bound}{PATH}?token={desk.token}")
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await desk.stop()
