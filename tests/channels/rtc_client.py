"""A WebRTC caller in Python (aiortc): a microphone that plays PCM16 24 kHz audio at real-time pace,
the `oai-events` data channel, and a speaker that keeps what came back. No ICE servers: loopback only."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from array import array
from typing import Any

import anyio
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, AudioResampler

RATE = 24_000
FRAME = RATE // 50


class Microphone(MediaStreamTrack):
    """Plays `pcm16` once, 20 ms a frame in real time, then silence (a microphone never stops)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._pts = 0
        self._started: float | None = None
        self.drained = anyio.Event()

    def say(self, pcm16: bytes) -> None:
        self._pending.extend(pcm16)
        self.drained = anyio.Event()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        self._started = self._started or now
        due = self._started + self._pts / RATE
        if due > now:
            await asyncio.sleep(due - now)
        chunk = bytes(self._pending[: 2 * FRAME])
        del self._pending[: 2 * FRAME]
        if not self._pending:
            self.drained.set()
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(chunk.ljust(2 * FRAME, b"\0"))
        frame.sample_rate, frame.pts, frame.time_base = RATE, self._pts, fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


class Caller:
    """One WebRTC caller: `offer()`, then `accept(answer)`; `events` from the data channel,
    `loud_ms` of answer audio that came back above the noise floor."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.microphone = Microphone()
        self.pc.addTrack(self.microphone)
        self.channel = self.pc.createDataChannel("oai-events")
        self.events: list[dict[str, Any]] = []
        self.loud_ms = 0
        self.heard_ms = 0
        self._changed = anyio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._changed.set)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    def types(self) -> list[str]:
        return [str(event.get("type")) for event in self.events]

    async def wait(self, condition: Any) -> None:
        """Until `condition()` holds; every message, audio frame and state change re-checks it."""
        while not condition():
            self._changed = anyio.Event()
            await self._changed.wait()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.pc.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)

    def _on_message(self, message: str | bytes) -> None:
        self.events.append(json.loads(message))
        self._changed.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        task = asyncio.ensure_future(self._listen(track))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                for out in resampler.resample(frame):
                    samples = array("h", bytes(out.planes[0])[: 2 * out.samples])
                    ms = 1000 * out.samples // RATE
                    self.heard_ms += ms
                    if samples and max(abs(s) for s in samples) > 1000:
                        self.loud_ms += ms
                self._changed.set()
        except MediaStreamError:
            return
