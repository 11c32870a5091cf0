"""The local server's GPT-Live route (`/v1/live/sessions`): one `LocalGptLive` per WebSocket.

The service listens while it speaks. Input audio is heard when a whole `spoken()` utterance has
arrived; the service's own lines go out as transcript deltas paced by the server's `Timing`, and
speech heard while a line is still going out cuts it off there (the duplex interruption: the client
sends no cancel or truncate, and only what was said stays in the service's context).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

import anyio
from anyio.abc import TaskGroup
from websockets.asyncio.server import ServerConnection as WebSocket
from websockets.exceptions import ConnectionClosed

from agentkit.testing import audio
from agentkit.testing.connection import Services
from agentkit.testing.gpt_live_service import LocalGptLive

logger = logging.getLogger("agentkit.testing.server")

_MAX_HEARD_BYTES = 20 * 1000 * 48
"""Unrecognised input kept for hearing: the last 20 s (the mark of an utterance is in its middle)."""


class LiveServerConnection:
    """One GPT-Live session on the local server; `received` keeps every client frame (decoded)."""

    def __init__(
        self, websocket: WebSocket, services: Services, delegations: dict[str, tuple[str, str]] | None = None
    ) -> None:
        self.websocket = websocket
        self.service = LocalGptLive(delegations, model=services.model())
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.interruptions = 0
        """How many of the service's lines were cut off by the user speaking over them."""
        self._services = services
        self._audio = bytearray()
        self._speaking: anyio.CancelScope | None = None
        self._said: list[str] = []
        self._tg: TaskGroup | None = None

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                async for frame in self.websocket:
                    await self._receive(frame)
                    if self.service.closed:
                        await self.websocket.close(1000, "session closed")
                        break
            except ConnectionClosed:
                pass
            tg.cancel_scope.cancel()

    async def end(self, reason: str = "expired") -> None:
        """The service ends the session itself (`session.closed` with `reason`, then a normal close)."""
        self.service.closed = True
        await self._send([self.service.closing(reason)])
        await self.websocket.close(1000, "session closed")

    async def drop(self) -> None:
        """Lose the connection without a close frame (a network drop), for reconnect tests."""
        self.websocket.transport.abort()

    async def _receive(self, frame: str | bytes) -> None:
        try:
            data = json.loads(frame)
        except ValueError:
            data = None
        if isinstance(data, dict):
            self.received.append(data)
        if (
            isinstance(data, dict)
            and data.get("type") == "session.input_audio.append"
            and self.service.started
        ):
            await self._hear(data.get("audio"))
            return
        replies = self.service.receive(frame)
        spoken_kinds = ("response.item.create", "session.commentary.append")
        if isinstance(data, dict) and data.get("type") in spoken_kinds:
            self._speak(replies)
        else:
            await self._send(replies)

    async def _hear(self, encoded: Any) -> None:
        try:
            pcm16 = base64.b64decode(encoded if isinstance(encoded, str) else "", validate=True)
        except (binascii.Error, ValueError):
            error = self.service.error("invalid_audio", "`audio` must be base64-encoded PCM16.")
            await self._send([error])
            return
        self._audio += pcm16
        text = audio.recall(bytes(self._audio), complete=True)
        if text is None:
            del self._audio[:-_MAX_HEARD_BYTES]
            return
        self._audio.clear()
        if self._speaking is not None:
            self._speaking.cancel()
            self._speaking = None
            self.interruptions += 1
            self.service.interrupted("".join(self._said))
        self._speak(self.service.hear(text))

    def _speak(self, frames: list[dict[str, Any]]) -> None:
        """Send `frames` in a task of their own, its lines paced as if spoken, so speech can cut in."""
        assert self._tg is not None
        scope = anyio.CancelScope()
        self._speaking = scope
        self._said = []
        self._tg.start_soon(self._say, frames, scope)

    async def _say(self, frames: list[dict[str, Any]], scope: anyio.CancelScope) -> None:
        timing = self._services.timing()
        first = True
        with scope:
            for frame in frames:
                if frame["type"] == "session.output_transcript.delta":
                    words = len(frame["delta"].split())
                    pace = words * 60 / timing.words_per_minute if timing.words_per_minute > 0 else 0.0
                    delay = timing.first_delta_delay if first else max(timing.delta_delay, pace)
                    first = False
                    if delay > 0:
                        await anyio.sleep(delay)
                    self._said.append(frame["delta"])
                await self._send([frame])
        if self._speaking is scope:
            self._speaking = None

    async def _send(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            self.sent.append(frame)
            try:
                await self.websocket.send(json.dumps(frame))
            except ConnectionClosed:
                return
