"""Shared pieces for relay tests: a local model server, a relay in front of it, and a GA client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection, connect

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.protocol import ClientEvent
from agentkit.relay import Relay, RelayLimits, RelayPolicy, RelayServer
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


@asynccontextmanager
async def running_relay(
    *,
    policy: RelayPolicy = NOTICES,
    limits: RelayLimits | None = None,
    agent: Agent | None = None,
    **relay_options: Any,
) -> AsyncIterator[tuple[LocalRealtimeServer, RelayServer]]:
    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        relay = Relay(agent or make_agent(), endpoint, policy=policy, limits=limits, **relay_options)
        async with RelayServer(relay) as server:
            yield upstream, server


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
async def client(server: RelayServer, **options: Any) -> AsyncIterator[Client]:
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
