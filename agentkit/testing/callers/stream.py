"""What every simulated carrier stream does the same way: open the media WebSocket, speak in paced
20 ms packets, listen and play what comes back, and close. A carrier's caller says only how its
frames look (`_media_frame`, `_on_frame`) and how it says goodbye (`_goodbye`)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .earpiece import Earpiece
from .voice import PACKET_MS, caller_speech, packets, silence


class StreamCaller:
    """The media half of a simulated call; subclasses place the call and speak the carrier's frames."""

    audio_format: str
    """`g711_ulaw` or `pcm16`: what the caller sends and expects back."""

    def __init__(self, ear: Earpiece, *, pace: float, voice: str | None) -> None:
        self.ear = ear
        self.pace = pace
        self.voice = voice
        self.sent_packets = 0
        self.frames: list[dict[str, Any]] = []
        """Every frame the app sent, in order."""
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = anyio.Event()
        self._websocket: ClientConnection | None = None
        self._tg: TaskGroup | None = None
        self._send_lock = anyio.Lock()

    # -- carrier specifics --------------------------------------------------------------------------

    def _media_frame(self, packet: bytes) -> dict[str, Any]:
        """One packet of the caller's audio as the carrier frames it."""
        raise NotImplementedError

    async def _on_frame(self, message: dict[str, Any]) -> None:
        """One frame from the app (already kept in `frames`)."""
        raise NotImplementedError

    async def _goodbye(self) -> None:
        """What the carrier sends before it closes the stream on a hang-up (nothing by default)."""

    # -- the stream -----------------------------------------------------------------------------------

    async def _connect(self, url: str) -> None:
        """Open the media WebSocket and start listening and playing."""
        self._websocket = await connect(url, max_size=2**20, open_timeout=10)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._listen)
        self._tg.start_soon(self.ear.play)

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(message))

    async def send_raw(self, frame: str | bytes) -> None:
        if self._websocket is None:
            raise RuntimeError("the call is not connected")
        async with self._send_lock:
            try:
                await self._websocket.send(frame)
            except ConnectionClosed:
                pass

    async def send_audio(self, data: bytes) -> None:
        """Audio in the caller's format, in 20 ms packets, paced (`pace` 0: as fast as possible)."""
        for packet in packets(data, self.audio_format):
            self.sent_packets += 1
            await self.send(self._media_frame(packet))
            if self.pace > 0:
                await anyio.sleep(PACKET_MS / 1000 * self.pace)
            elif self.sent_packets % 50 == 0:
                await anyio.lowlevel.checkpoint()

    async def say(self, text: str, *, trailing_silence_ms: int = 800) -> None:
        """Speak `text`, then stay quiet long enough for voice detection to end the turn."""
        speech = caller_speech(text, self.audio_format, self.voice)
        await self.send_audio(speech + silence(trailing_silence_ms, self.audio_format))

    async def hang_up(self) -> None:
        """Say goodbye the carrier's way and close the stream."""
        if self._websocket is not None and not self.closed.is_set():
            await self._goodbye()
            await self._websocket.close()
        await self.wait_closed()

    async def wait_closed(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (a simulated caller's patience)
        if self._tg is None:
            return
        with anyio.fail_after(timeout):
            await self.closed.wait()
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)
        self._tg = None

    async def _listen(self) -> None:
        assert self._websocket is not None
        try:
            async for frame in self._websocket:
                message = json.loads(frame)
                self.frames.append(message)
                await self._on_frame(message)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._websocket.close_code
            self.close_reason = self._websocket.close_reason or ""
            self.closed.set()
            self.ear.answer_done()
