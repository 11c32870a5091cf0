"""Real WebRTC media for the local server's calls, with aiortc (the `webrtc` extra).

When the calls endpoint gets a real offer (ICE credentials and a DTLS fingerprint, as a browser's
`createOffer()` makes), `CallMedia` answers it from an aiortc `RTCPeerConnection`: the caller's
audio track is decoded, resampled to PCM16 24 kHz and fed to the call's hearing (`LocalCall.hear`:
VAD, then the recogniser); the answer's audio (`ResponseAudioDelta`s the session plays) goes back,
paced in real time, on an outgoing audio track; and the `oai-events` data channel is one more party
of the call's fan-out, exactly like the in-process `LocalCall.peer`.

No ICE servers are configured (aiortc would otherwise ask a public STUN server): the candidates are
this machine's own addresses, so the media never leaves it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fractions
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, AudioResampler

from agentkit.protocol import ResponseAudioDelta
from agentkit.testing import audio

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

    from agentkit.testing.calls import LocalCall

logger = logging.getLogger("agentkit.testing.calls")

DATA_CHANNEL = "oai-events"
"""The data channel's label, as the services name it."""
RATE = 24_000
FRAME_SAMPLES = RATE // 50
"""20 ms, the usual WebRTC audio frame."""
_FRAME_BYTES = 2 * FRAME_SAMPLES
MAX_PENDING_EVENTS = 1024
"""Server events kept for a data channel that is not open yet (the call's first events)."""
MAX_INBOX = 4096
"""Client events from the data channel not yet taken by the session; past it the caller is flooding."""


class MediaError(ValueError):
    """The offer could not be negotiated (aiortc refused it); the message says why."""


class AnswerTrack(MediaStreamTrack):
    """The call's outgoing audio: what the session plays, in 20 ms frames at real-time pace, silence
    in between (a WebRTC track never stops while the call is up)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._started: float | None = None
        self._pts = 0
        self._empty = asyncio.Event()
        self._empty.set()
        self.sent_audio_ms = 0
        """How much answer audio (not silence) went out."""

    def feed(self, pcm16: bytes) -> None:
        if pcm16:
            self._pending.extend(pcm16)
            self._empty.clear()

    def clear(self) -> None:
        """Barge-in: the audio the caller has not heard yet is dropped."""
        self._pending.clear()
        self._empty.set()

    async def played_out(self) -> None:
        """Until everything fed so far has gone out (or was cleared, or the track stopped)."""
        await self._empty.wait()

    def stop(self) -> None:
        super().stop()
        self._empty.set()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._started is None:
            self._started = now
        due = self._started + self._pts / RATE
        if due > now:
            await asyncio.sleep(due - now)
        chunk = bytes(self._pending[:_FRAME_BYTES])
        del self._pending[:_FRAME_BYTES]
        if not self._pending:
            self._empty.set()
        if chunk:
            self.sent_audio_ms += len(chunk) // (2 * RATE // 1000)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(chunk.ljust(_FRAME_BYTES, b"\0"))
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME_SAMPLES
        return frame


class CallMedia:
    """One call's WebRTC peer on the server side: `answer(offer)`, then `bind(call)` before the call
    starts, so the data channel gets every event from `session.created` on."""

    def __init__(self) -> None:
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = AnswerTrack()
        self._incoming: list[MediaStreamTrack] = []
        self._channel: RTCDataChannel | None = None
        self._pending: list[str] = []
        self._inbox: asyncio.Queue[str] = asyncio.Queue(MAX_INBOX)
        self._tasks: set[asyncio.Task[None]] = set()
        self._call: LocalCall | None = None
        self._closed = False
        self.heard_ms = 0
        """How much caller audio reached the call's hearing."""
        self._pc.on("track", self._on_track)
        self._pc.on("datachannel", self._on_datachannel)
        self._pc.on("connectionstatechange", self._on_state)

    def __repr__(self) -> str:
        return f"CallMedia({self._pc.connectionState}, heard_ms={self.heard_ms})"

    @property
    def had_data_channel(self) -> bool:
        """Whether the caller opened the `oai-events` data channel (the call's events went to it)."""
        return self._channel is not None

    @property
    def state(self) -> str:
        """The peer connection's state (`new`, `connecting`, `connected`, `failed`, `closed`)."""
        return str(self._pc.connectionState)

    async def answer(self, offer_sdp: str) -> str:
        """The SDP answer for a browser's offer; `MediaError` if aiortc cannot negotiate it (then
        call `close()`)."""
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            if not self._incoming:
                raise MediaError("the offer has no audio track to receive")
            for transceiver in self._pc.getTransceivers():
                if transceiver.kind == "audio":
                    transceiver.sender.replaceTrack(self.track)
                    transceiver.direction = "sendrecv"
                    break
            await self._pc.setLocalDescription(await self._pc.createAnswer())
        except MediaError:
            raise
        except Exception as exc:  # aiortc raises ValueError, KeyError, ... for what it cannot use
            reason = str(exc) or type(exc).__name__
            raise MediaError(f"it could not be negotiated ({reason[:120]})") from None
        return str(self._pc.localDescription.sdp)

    def bind(self, call: LocalCall) -> None:
        """Join the call: its events to the data channel, its played audio to the track, the caller's
        audio to its hearing."""
        self._call = call
        call.wire.parties.append(self)
        call.wire.listeners.append(self._play)
        call.wire.played_out = self.track.played_out
        for track in self._incoming:
            self._spawn(self._hear(track, call), "hear")
        self._spawn(self._forward(call), "data channel")

    async def close(self) -> None:
        """Stop the peer connection and every task of this call's media (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.track.stop()
        # Not the task closing it (the caller hanging up ends the call from one of these tasks).
        others = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await self._pc.close()
        if others:
            await asyncio.wait(others, timeout=2)

    # -- a party of the call ---------------------------------------------------------------------

    async def deliver(self, text: str) -> None:
        if '"output_audio_buffer.cleared"' in text:
            self.track.clear()
        channel = self._channel
        if channel is not None and channel.readyState == "open":
            channel.send(text)
        elif channel is None and len(self._pending) < MAX_PENDING_EVENTS:
            self._pending.append(text)

    async def hang_up(self, code: int, reason: str) -> None:
        await self.close()

    def cut(self) -> None:
        """Sidebands are cut on a network fault; the caller's media is not."""

    # -- aiortc's callbacks ----------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._incoming.append(track)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != DATA_CHANNEL or self._channel is not None:
            logger.info("call media: ignoring data channel %r", channel.label[:40])
            return
        self._channel = channel
        channel.on("message", self._on_message)
        pending, self._pending = self._pending, []
        for text in pending:
            channel.send(text)

    def _on_message(self, message: str | bytes) -> None:
        text = message if isinstance(message, str) else message.decode("utf-8", "replace")
        try:
            self._inbox.put_nowait(text)
        except asyncio.QueueFull:
            logger.warning("call media: the caller sent more than %d events unread; hanging up", MAX_INBOX)
            self._spawn(self._end_call(), "flood")

    def _on_state(self) -> None:
        if self._pc.connectionState in ("failed", "closed") and not self._closed:
            self._spawn(self._end_call(), "caller left")

    # -- the pumps -------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"call media {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forward(self, call: LocalCall) -> None:
        while True:
            await call.wire.push(await self._inbox.get())

    async def _hear(self, track: MediaStreamTrack, call: LocalCall) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                for out in resampler.resample(frame):
                    pcm = bytes(out.planes[0])[: 2 * out.samples]
                    self.heard_ms += len(pcm) // (2 * RATE // 1000)
                    await call.hear(pcm)
        except MediaStreamError:
            return  # the caller's track ended

    async def _end_call(self) -> None:
        if self._call is not None:
            await self._call.hang_up()
        await self.close()

    def _play(self, event: ResponseAudioDelta) -> None:
        if self._call is None:
            return
        try:
            data = base64.b64decode(event.delta)
        except (binascii.Error, ValueError):
            return
        fmt = self._call.connection.session.output_audio_format or "pcm16"
        self.track.feed(audio.decode(data, fmt))
