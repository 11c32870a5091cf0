"""A loopback WebSocket server that plays back a recorded Realtime session to a real client.

It sends the recording's server frames in order; where the recording shows the client sending
something, it waits until our client sends a frame of that type (a run of audio appends waits for
one). Everything that crosses the socket is kept in `timeline`, in order, to check by meaning.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import yaml
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

WAIT_FOR_CLIENT_S = 5.0


@dataclass
class Frame:
    origin: str
    """`server` (played from the recording) or `client` (sent by the client under test)."""
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))


@dataclass
class Replay:
    interactions: list[dict[str, Any]]
    timeline: list[Frame] = field(default_factory=list)
    finished: anyio.Event = field(default_factory=anyio.Event)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Replay:
        return cls(yaml.safe_load(path.read_text())["interactions"])

    def recorded(self, frame_type: str, direction: str = "received") -> list[dict[str, Any]]:
        return [
            i["data"]
            for i in self.interactions
            if i["kind"] == "message" and i["direction"] == direction and i["data"].get("type") == frame_type
        ]

    def client_frames(self, frame_type: str) -> list[dict[str, Any]]:
        return [f.data for f in self.timeline if f.origin == "client" and f.type == frame_type]

    async def serve(self, ws: ServerConnection) -> None:
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](1000)

        async def read() -> None:
            try:
                async for raw in ws:
                    data = json.loads(raw)
                    self.timeline.append(Frame("client", data))
                    await send.send(data)
            except ConnectionClosed:
                pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            previous_sent = ""
            for entry in self.interactions:
                if entry["kind"] == "close":
                    await ws.close(entry.get("code") or 1000, entry.get("reason") or "")
                    break
                data = entry["data"]
                if entry["direction"] == "received":
                    self.timeline.append(Frame("server", data))
                    await ws.send(json.dumps(data))
                    previous_sent = ""
                    continue
                kind = data.get("type", "")
                if kind == previous_sent == "input_audio_buffer.append":
                    continue
                previous_sent = kind
                if not await self._wait_for(receive, kind):
                    self.problems.append(f"the client never sent {kind}")
                    break
            self.finished.set()
            await ws.wait_closed()
            tg.cancel_scope.cancel()

    @staticmethod
    async def _wait_for(receive: Any, kind: str) -> bool:
        with anyio.move_on_after(WAIT_FOR_CLIENT_S):
            async for data in receive:
                if data.get("type") == kind:
                    return True
        return False

    def response_creates_while_idle(self) -> bool:
        """Each `response.create` the client sent came while no response was in progress."""
        active = 0
        for frame in self.timeline:
            if frame.origin == "server" and frame.type == "response.created":
                active += 1
            elif frame.origin == "server" and frame.type == "response.done":
                active -= 1
            elif frame.origin == "client" and frame.type == "response.create" and active:
                return False
        return True


@asynccontextmanager
async def replay_server(replay: Replay) -> AsyncIterator[str]:
    """Serve `replay` to one client; yields the ws:// URL."""
    async with serve(replay.serve, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime?model=recorded"
