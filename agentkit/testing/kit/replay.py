"""Recorded Realtime sessions, and a loopback server that plays one back to a real client.

A recording is `{version: 1, dialect?, interactions: [...]}`, in the order seen on the socket; each
entry is `{kind: message, direction: received|sent, data: <frame>}` (`received`: server to client)
or `{kind: close, code, reason}`. `SessionRecorder` writes it as JSON; the same shape in YAML is
what agentkit's own suite replays from real services (reading YAML needs `pyyaml`).

Playing back, the server sends the recording's server frames in order; where the recording shows
the client sending something, it waits until the client under test sends a frame of that type (a
run of audio appends waits for one), and from then on writes that frame's `event_id` wherever the
recording had the recorded client's (so agentkit's own tags on its `response.create`s match).
Everything that crosses the socket is kept in `timeline`, in order, to check by meaning (which
call ids got outputs, when `response.create` went out).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from agentkit.connection import Endpoint
from agentkit.protocol import Dialect

WAIT_FOR_CLIENT_S = 5.0
VERSION = 1


class RecordingError(ValueError):
    """A recording file that cannot be read: says which file and what is wrong."""


@dataclass
class Frame:
    origin: str
    """`server` (played from the recording) or `client` (sent by the client under test)."""
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))


def load_recording(path: str | Path) -> dict[str, Any]:
    """A recording file (`.json`, or `.yaml` / `.yml` with pyyaml installed) as a mapping."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"cannot read the recording {path}: {exc.strerror or exc}") from None
    try:
        data = _parse_yaml(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except RecordingError:
        raise
    except Exception as exc:  # json's and yaml's own errors
        raise RecordingError(f"{path} is not a readable recording: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise RecordingError(f"{path} is not a recording: it has no list of interactions")
    return data


def _parse_yaml(text: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise RecordingError("reading a YAML recording needs pyyaml (pip install pyyaml)") from None
    return yaml.safe_load(text)


@dataclass
class Replay:
    """One playback of a recording to one client."""

    interactions: list[dict[str, Any]]
    dialect: Dialect = Dialect.GA
    timeline: list[Frame] = field(default_factory=list)
    finished: anyio.Event = field(default_factory=anyio.Event)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> Replay:
        data = load_recording(path)
        dialect = Dialect(data["dialect"]) if data.get("dialect") else Dialect.GA
        return cls(list(data["interactions"]), dialect)

    def recorded(self, frame_type: str, direction: str = "received") -> list[dict[str, Any]]:
        """The recording's frames of one type (`received`: the server's, `sent`: the client's)."""
        return [
            i["data"]
            for i in self.interactions
            if i["kind"] == "message" and i["direction"] == direction and i["data"].get("type") == frame_type
        ]

    def client_frames(self, frame_type: str) -> list[dict[str, Any]]:
        """What the client under test sent, of one type, in order."""
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

        # The client's event ids come back in server frames (`error.event_id`, agentkit's create tag in
        # `response.metadata`): the recorded client's ids are swapped for the live client's.
        live_ids: dict[str, str] = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            previous_sent = ""
            for entry in self.interactions:
                if entry["kind"] == "close":
                    await ws.close(entry.get("code") or 1000, entry.get("reason") or "")
                    break
                data = entry["data"]
                if entry["direction"] == "received":
                    text = json.dumps(data)
                    for recorded, live in live_ids.items():
                        text = text.replace(recorded, live)
                    self.timeline.append(Frame("server", json.loads(text)))
                    await ws.send(text)
                    previous_sent = ""
                    continue
                kind = data.get("type", "")
                if kind == previous_sent == "input_audio_buffer.append":
                    continue
                previous_sent = kind
                sent = await self._wait_for(receive, kind)
                if sent is None:
                    self.problems.append(f"the client never sent {kind}")
                    break
                if isinstance(data.get("event_id"), str) and isinstance(sent.get("event_id"), str):
                    live_ids[data["event_id"]] = sent["event_id"]
            self.finished.set()
            await ws.wait_closed()
            tg.cancel_scope.cancel()

    @staticmethod
    async def _wait_for(receive: ObjectReceiveStream[dict[str, Any]], kind: str) -> dict[str, Any] | None:
        with anyio.move_on_after(WAIT_FOR_CLIENT_S):
            async for data in receive:
                if data.get("type") == kind:
                    return data
        return None

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


@asynccontextmanager
async def replaying(recording: str | Path | Replay) -> AsyncIterator[tuple[Endpoint, Replay]]:
    """An `Endpoint` that plays `recording` (a file or a `Replay`) to the agent that connects to it.

    async with replaying("tests/recordings/refund.json") as (endpoint, replay):
        async with agent.connect(endpoint) as session:
            turn = await session.ask("...")
    """
    replay = recording if isinstance(recording, Replay) else Replay.load(recording)
    async with replay_server(replay) as url:
        yield Endpoint.custom(url, dialect=replay.dialect, api_key="replay-key"), replay
