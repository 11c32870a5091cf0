"""`--serve`: the bot behind agentkit's relay, so a browser can talk to it (the voice page at `/`),
and on the phone: Twilio, ACS and SIP routes on the same port (see `phone.py`).

The relay keeps the instructions, tools and credentials on this machine. Over its WebSocket the page
sees only the conversation and short notices while a tool runs. The page calls over WebRTC when the
browser can (the relay creates the call on the model service and runs its tools from the sideband;
the audio goes straight between the browser and the model): the call's data channel then carries
every event of the call, tool calls included, and the page shows the same notices from it (see
docs/webrtc.md for `webrtc_data_channel=False`, audio only). Phone routes need uvicorn (the `phone`
extra); without it the page is served alone, and the bot says so.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import anyio

from agentkit import Agent, Endpoint
from agentkit.channels import PhoneRoutes
from agentkit.channels.server import UVICORN_MISSING, AsgiServer
from agentkit.relay import Relay, RelayPolicy, RelayServer

from .operator import PATH, OperatorDesk
from .phone import PHONE_PATHS, phone_routes

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
    environ: Mapping[str, str] | None = None,
    public_url: str | None = None,
) -> None:
    """Serve until cancelled (Ctrl+C); with `desk`, supervisors approve refunds on its endpoint."""
    relay = Relay(agent, endpoint, policy=POLICY, webrtc=True)
    env = os.environ if environ is None else environ
    async with _server(relay, agent, endpoint, host, port, env, public_url, announce) as http_url:
        announce(f"Open {http_url} in a browser to talk to the shop assistant (Ctrl+C to stop).")
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


@asynccontextmanager
async def _server(
    relay: Relay,
    agent: Agent,
    endpoint: Endpoint,
    host: str,
    port: int,
    environ: Mapping[str, str],
    public_url: str | None,
    announce: Callable[[str], None],
) -> AsyncIterator[str]:
    """The relay and the phone routes on one port (uvicorn), or the relay alone without uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        announce(f"Phone routes are off: {UVICORN_MISSING}.")
        async with RelayServer(relay, host, port) as alone:
            yield alone.http_url
        return
    public = public_url or environ.get("AGENTKIT_PUBLIC_URL") or None
    routes = PhoneRoutes(phone_routes(agent, endpoint, environ, public), fallback=relay.asgi())
    await relay.start_calls()  # what lifespan startup does; this server runs none
    try:
        async with AsgiServer(routes, host, port, ws_max_size=relay.limits.max_frame_bytes) as server:
            announce(f"Phone routes: {', '.join(f'{server.http_url}{path}' for path in PHONE_PATHS)}.")
            yield server.http_url + "/"
    finally:
        await relay.stop_calls()
