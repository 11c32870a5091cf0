"""A plain `websockets` client for driving the local server in tests (deliberately not agentkit's own
client), checking every server frame against the `openai` package's models for its dialect."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
from websockets.asyncio.client import ClientConnection, connect

from agentkit.protocol import Dialect
from agentkit.testing import LocalRealtimeServer
from tests.protocol.oracle import assert_valid_server_frame

WAIT = 5.0


class WireClient:
    def __init__(self, websocket: ClientConnection, dialect: Dialect) -> None:
        self.ws = websocket
        self.dialect = dialect
        self.frames: list[dict[str, Any]] = []
        self._count = 0

    async def send(self, frame: Mapping[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, *, validate: bool = True) -> dict[str, Any]:
        with anyio.fail_after(WAIT):
            raw = await self.ws.recv()
        frame: dict[str, Any] = json.loads(raw)
        if validate:
            assert_valid_server_frame(self.dialect, frame)
        self.frames.append(frame)
        return frame

    async def until(self, kind: str) -> list[dict[str, Any]]:
        """Frames up to and including the first of type `kind`."""
        seen: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            seen.append(frame)
            if frame["type"] == kind:
                return seen

    async def expect(self, kind: str) -> dict[str, Any]:
        frame = await self.recv()
        assert frame["type"] == kind, frame
        return frame

    async def session_update(self, session: dict[str, Any], event_id: str = "evt_update") -> dict[str, Any]:
        if self.dialect is Dialect.GA:
            session = {"type": "realtime", **session}
        await self.send({"type": "session.update", "event_id": event_id, "session": session})
        return await self.recv()


@asynccontextmanager
async def open_client(
    server: LocalRealtimeServer,
    dialect: Dialect = Dialect.GA,
    flavor: Literal["openai", "azure"] = "openai",
    headers: Mapping[str, str] | None = None,
    skip_created: bool = True,
) -> AsyncIterator[WireClient]:
    if dialect is Dialect.PREVIEW:
        flavor = "azure"
    auth = {"api-key": server.api_key} if server.api_key is not None else {}
    async with connect(
        server.url(dialect, flavor),
        additional_headers={**auth, **(headers or {})},
        max_size=None,
        max_queue=None,
    ) as websocket:
        client = WireClient(websocket, dialect)
        if skip_created:
            await client.expect("session.created")
        yield client


BOTH = [Dialect.GA, Dialect.PREVIEW]
