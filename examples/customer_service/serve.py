"""`--serve`: the bot behind agentkit's relay, so a browser can talk to it (the voice page at `/`).

The relay keeps the instructions, tools and credentials on this machine: the page sees only the
conversation and short notices while a tool runs.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio

from agentkit import Agent, Endpoint
from agentkit.relay import Relay, RelayPolicy, RelayServer

TOOL_LABELS = {
    "lookup_order": "Looking up your order",
    "find_customer": "Finding your account",
    "track_shipment": "Tracking your parcel",
    "start_refund": "Working on your refund",
    "search_faq": "Checking the help centre",
    "escalate_to_human": "Passing you to a colleague",
}

POLICY = RelayPolicy(tool_notices=True, tool_labels=TOOL_LABELS, default_tool_label="Working on it")


async def serve(
    agent: Agent, endpoint: Endpoint, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """Serve until cancelled (Ctrl+C)."""
    relay = Relay(agent, endpoint, policy=POLICY)
    async with RelayServer(relay, host, port) as server:
        announce(f"Open {server.http_url} in a browser to talk to the shop assistant (Ctrl+C to stop).")
        await anyio.sleep_forever()
