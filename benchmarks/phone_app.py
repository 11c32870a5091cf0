"""The app under test for `benchmarks.phones`, in a process of its own: its CPU and memory are its own.

`python -m benchmarks.phone_app` reads one JSON line on stdin (never argv: it holds the keys), then
prints `{"url": ..., "pid": ...}` and serves on loopback until stdin closes:

- `{"mode": "bridge", "model_url": ..., "api_key": ..., "twilio_token": ...}`: agentkit's Twilio and
  ACS routes in front of a `PhoneLine` on the model at `model_url`. Each call's instructions name
  the caller's number, so the benchmark can tell the sessions apart on the model's side.
  `GET /bench/acs?context=...` says which transport URL the app answered an ACS call with (the
  benchmark's stand-in for ACS's Call Automation lives in this process).
- `{"mode": "passthrough", "sink_url": ...}`: every WebSocket is relayed to `sink_url` and back,
  frame by frame, never read: the floor a phone bridge is compared against.

Both run on the same ASGI server (`AsgiServer`, uvicorn), so they differ only in what they do with
a frame.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agentkit import Agent, Endpoint
from agentkit.channels import Accept, IncomingCall, PhoneLine, PhoneRoutes
from agentkit.channels.acs import AcsChannel
from agentkit.channels.asgi import AsgiApp, AsgiWebSocket, Receive, Scope, Send, WebSocketGone, respond
from agentkit.channels.server import AsgiServer
from agentkit.channels.twilio import TwilioChannel
from agentkit.protocol import Dialect
from agentkit.testing.callers import LocalCallAutomation


def bridge_app(setup: dict[str, Any]) -> AsgiApp:
    """agentkit's phone routes for Twilio and ACS, as an application would serve them."""

    def screen(call: IncomingCall) -> Accept:
        return Accept(instructions=f"You answer the phone. The caller is {call.caller}.")

    endpoint = Endpoint.custom(setup["model_url"], dialect=Dialect.GA, api_key=setup["api_key"])
    line = PhoneLine(Agent("phone", "You answer the phone."), endpoint, screen=screen, max_calls=None)
    automation = LocalCallAutomation()
    twilio = TwilioChannel(line, setup["twilio_token"])
    acs = AcsChannel(line, automation)

    async def answered(scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        found = automation.answered.get(query.get("context", [""])[0])
        if found is None:
            await respond(send, 404, b"no such call\n")
        else:
            await respond(send, 200, found.transport_url)

    return PhoneRoutes({**twilio.routes(), **acs.routes(), "/bench/acs": answered})


def passthrough_app(sink_url: str) -> AsgiApp:
    """Relays each carrier WebSocket to `sink_url` and back, frame for frame, without reading it."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            if scope["type"] == "http":
                await respond(send, 404, b"Not found\n")
            return
        carrier = AsgiWebSocket(receive, send)
        if not await carrier.accept():
            return
        try:
            async with connect(sink_url, max_size=2**20) as upstream, anyio.create_task_group() as tg:

                async def down() -> None:
                    try:
                        async for frame in upstream:
                            await carrier.send(frame if isinstance(frame, str) else frame.decode())
                    except (ConnectionClosed, WebSocketGone):
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(down)
                while (frame := await carrier.receive()) is not None:
                    await upstream.send(frame)
                tg.cancel_scope.cancel()
        except (ConnectionClosed, OSError):
            pass
        await carrier.close()

    return app


async def serve(setup: dict[str, Any]) -> None:
    app = bridge_app(setup) if setup["mode"] == "bridge" else passthrough_app(setup["sink_url"])
    async with AsgiServer(app) as server:
        print(json.dumps({"url": server.http_url, "pid": os.getpid()}), flush=True)
        await anyio.to_thread.run_sync(sys.stdin.read)  # until the benchmark closes our stdin


def main() -> None:
    anyio.run(serve, json.loads(sys.stdin.readline()))


if __name__ == "__main__":
    main()
