"""Shared pieces for relay tests: a local model server, a relay in front of it, and a GA client."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection, connect

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.protocol import ClientEvent
from agentkit.relay import Relay, RelayLimits, RelayPolicy, RelayServer, serving
from agentkit.testing import LocalRealtimeServer, ServerConnection
from agentkit.tools import tool

SECRET_PROMPT = "SECRET-PROMPT-7f3a: never reveal the refund override code 4411."
SECRET_TOOL_TEXT = "SECRET-TOOL-DESC-91c2"
LABEL = "Looking up your order"


def tracking_number(order_id: str) -> str:
    """The tool's per-order marker: an answer that carries it was built from that order's result."""
    return f"TRK-{order_id}"


@tool
def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order by its order id and tell its delivery status. SECRET-TOOL-DESC-91c2

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "shipped", "tracking_number": tracking_number(order_id)}


def make_agent() -> Agent:
    return Agent("shop", SECRET_PROMPT, tools=[lookup_order], reconnect=None)


NOTICES = RelayPolicy(tool_notices=True, tool_labels={"lookup_order": LABEL})


SERVER_MODES = ("websockets", "uvicorn", "hypercorn")
"""Every way the docs serve a relay: its own server, and its ASGI app under uvicorn and hypercorn."""


@dataclass
class ServedRelay:
    """A relay served over loopback by one of `SERVER_MODES` (the parts of `RelayServer` tests use)."""

    relay: Relay
    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.relay.path}"


@asynccontextmanager
async def serve_relay(relay: Relay, mode: str = "websockets") -> AsyncIterator[ServedRelay]:
    """`relay` on a free loopback port, served as the docs show for `mode`."""
    if mode == "websockets":
        async with RelayServer(relay) as server:
            yield ServedRelay(relay, server.port)
        return
    async with anyio.create_task_group() as tg:
        if mode == "uvicorn":
            server = serving.uvicorn_server(relay.asgi(), relay.limits, port=0, log_level="warning")
            server.install_signal_handlers = lambda: None  # older uvicorn installs them in serve()
            tg.start_soon(server.serve)
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 (uvicorn offers only a flag)
                    await anyio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            try:
                yield ServedRelay(relay, port)
            finally:
                server.should_exit = True
        elif mode == "hypercorn":
            from hypercorn.asyncio import serve

            listener = socket.create_server(("127.0.0.1", 0))
            port = listener.getsockname()[1]
            config = serving.hypercorn_config(
                relay.limits, bind=f"fd://{listener.detach()}"
            )  # hypercorn owns it
            config.errorlog = None
            config.graceful_timeout = 0.2  # the tests' connections are closed already
            stop = anyio.Event()
            tg.start_soon(partial(serve, relay.asgi(), config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
            try:
                yield ServedRelay(relay, port)
            finally:
                stop.set()
        else:
            raise ValueError(f"unknown server mode {mode!r}")


@asynccontextmanager
async def running_relay(
    *,
    policy: RelayPolicy = NOTICES,
    limits: RelayLimits | None = None,
    agent: Agent | None = None,
    mode: str = "websockets",
    **relay_options: Any,
) -> AsyncIterator[tuple[LocalRealtimeServer, Any]]:
    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        relay = Relay(agent or make_agent(), endpoint, policy=policy, limits=limits, **relay_options)
        async with serve_relay(relay, mode) as served:
            yield upstream, served


class Client:
    """A test client of the relay: sends GA frames, collects every event it is shown."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.ws = websocket
        self.frames: list[str] = []
        self.events: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any] | str) -> None:
        await self.ws.send(event if isinstance(event, str) else json.dumps(event))

    async def next_event(self) -> dict[str, Any]:
        frame = await self.ws.recv()
        assert isinstance(frame, str)
        self.frames.append(frame)
        event: dict[str, Any] = json.loads(frame)
        self.events.append(event)
        return event

    async def until(self, match: Callable[[dict[str, Any]], bool], within: float = 10.0) -> dict[str, Any]:
        """Read events until one matches; fails after `within` seconds."""
        with anyio.fail_after(within):
            while True:
                event = await self.next_event()
                if match(event):
                    return event

    async def until_type(self, kind: str, within: float = 10.0) -> dict[str, Any]:
        return await self.until(lambda event: event["type"] == kind, within)

    async def say(self, text: str) -> None:
        """A typed user message and a response request, as the page sends them."""
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        await self.send({"type": "conversation.item.create", "item": item})
        await self.send({"type": "response.create"})

    async def answer(self, within: float = 10.0) -> str:
        """The transcript of the next finished response that has visible output."""
        while True:
            done = await self.until_type("response.done", within)
            texts = [
                part.get("transcript") or part.get("text") or ""
                for item in done["response"]["output"]
                for part in item.get("content", [])
            ]
            if any(texts):
                return " ".join(texts)


@asynccontextmanager
async def client(server: Any, **options: Any) -> AsyncIterator[Client]:
    async with connect(server.ws_url, **options) as websocket:
        yield Client(websocket)


async def wait_received(connection: ServerConnection, match: Callable[[ClientEvent], bool]) -> ClientEvent:
    """Wait (bounded) until the upstream connection has received a matching event."""
    with anyio.fail_after(10):
        while True:
            for event in connection.received:
                if match(event):
                    return event
            await anyio.sleep(0.01)
