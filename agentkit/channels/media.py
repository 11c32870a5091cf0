"""The media bridge: one carrier stream (Twilio, ACS) and one `Session`, audio both ways.

The carrier's adapter (a `MediaLeg`) turns its frames into `LegEvent`s and plays audio back; this
module does the rest, the same for every carrier: caller audio to the model as it arrives, the
model's audio to the caller as it arrives (never decoded when the formats match), marks after each
clip so the session knows what the caller has actually heard, `clear` plus truncation at that point
on barge-in, and the hang-up closing the session (running tools are cancelled and answered).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from agentkit.agent import Agent
from agentkit.engine import AudioChunk, Interrupted, ResponseFinished
from agentkit.engine.playback import audio_ms
from agentkit.protocol import ResponseParams
from agentkit.relay.limits import TokenBucket
from agentkit.session import Session, SessionClosed

from .asgi import AsgiWebSocket, WebSocketGone

logger = logging.getLogger("agentkit.channels")

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011

DONE_SUFFIX = ":done"
"""A mark whose name ends so follows the last audio of a response: the caller heard it all."""


class StreamError(Exception):
    """The carrier's stream broke the protocol or a limit; the stream closes with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class StreamLimits:
    """What one carrier stream may send. Carriers send 50 small frames a second; anything far
    outside that is a fault or an attack, and ends that stream only."""

    max_frame_bytes: int = 64 * 1024
    messages_per_second: float = 150.0
    message_burst: int = 300
    setup_timeout_s: float = 10.0
    """Time from the WebSocket opening to a valid call set-up (Twilio `start`, ACS metadata)."""
    idle_timeout_s: float | None = 30.0
    """Carriers stream continuously (silence too): this long without a frame means the call is gone."""
    max_call_s: float | None = 60 * 60

    def __post_init__(self) -> None:
        for name in ("max_frame_bytes", "messages_per_second", "message_burst", "setup_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"StreamLimits.{name} must be positive")
        for name in ("idle_timeout_s", "max_call_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"StreamLimits.{name} must be positive or None")


# -- what a carrier adapter reports ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegAudio:
    data: bytes
    """Caller audio in the leg's format."""


@dataclass(frozen=True, slots=True)
class LegMark:
    name: str
    """A mark the bridge sent, echoed once the caller heard the audio before it."""


@dataclass(frozen=True, slots=True)
class LegDtmf:
    digit: str


@dataclass(frozen=True, slots=True)
class LegHangup:
    reason: str = "the caller hung up"


LegEvent = LegAudio | LegMark | LegDtmf | LegHangup


class MediaLeg(Protocol):
    """A carrier's side of one call, after its set-up was verified."""

    audio_format: str
    """`g711_ulaw` or `pcm16` (24 kHz): the session is opened in this format both ways."""
    echoes_marks: bool
    """The carrier reports playback (Twilio marks); otherwise real-time playback is assumed."""

    async def next_event(self) -> LegEvent:
        """The next thing the caller's side did; `StreamError` on a protocol fault."""
        ...

    async def play(self, audio_b64: str) -> None: ...

    async def mark(self, name: str) -> None: ...

    async def clear(self) -> None: ...


class FrameReader:
    """Reads a carrier's JSON frames under `StreamLimits` (size, rate, idle time); `StreamError` on
    anything else, so every carrier closes garbage the same way."""

    def __init__(self, websocket: AsgiWebSocket, limits: StreamLimits, clock: Callable[[], float]) -> None:
        self.websocket = websocket
        self.limits = limits
        self._clock = clock
        self._bucket = TokenBucket(limits.messages_per_second, limits.message_burst, clock())

    async def next(self, timeout_s: float | None = None) -> dict[str, Any] | None:
        """The next frame as a JSON object; None when the carrier closed the socket."""
        timeout = timeout_s if timeout_s is not None else self.limits.idle_timeout_s
        with anyio.move_on_after(timeout if timeout is not None else float("inf")) as waited:
            frame = await self.websocket.receive()
        if waited.cancelled_caught:
            raise StreamError(CLOSE_POLICY, f"nothing received for {timeout:g} s")
        if frame is None:
            return None
        if len(frame) > self.limits.max_frame_bytes:
            raise StreamError(CLOSE_TOO_BIG, f"frame larger than {self.limits.max_frame_bytes} bytes")
        if not self._bucket.take(1, self._clock()):
            raise StreamError(CLOSE_POLICY, "message rate limit exceeded")
        if isinstance(frame, bytes):
            raise StreamError(CLOSE_UNSUPPORTED, "binary frames are not part of this protocol")
        try:
            message = json.loads(frame)
        except ValueError:
            raise StreamError(CLOSE_BAD_DATA, "a frame is not JSON") from None
        if not isinstance(message, dict):
            raise StreamError(CLOSE_BAD_DATA, "a frame is not a JSON object")
        return message


def decode_audio(payload: Any) -> bytes:
    """A base64 audio payload; `StreamError` when it is missing or not base64."""
    if not isinstance(payload, str):
        raise StreamError(CLOSE_BAD_DATA, "an audio frame has no payload")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise StreamError(CLOSE_BAD_DATA, "an audio payload is not base64") from None


# -- the agent on a phone line ------------------------------------------------------------------


def phone_agent(agent: Agent, audio_format: str, *, instructions: str | None = None) -> Agent:
    """A copy of `agent` for one call: the carrier's audio format both ways, spoken answers, server
    turn detection unless the agent chose its own, and per-call instructions if given."""
    line = copy.copy(agent)
    line.input_audio_format = audio_format
    line.output_audio_format = audio_format
    if line.output_modalities is None or "audio" not in line.output_modalities:
        line.output_modalities = ["audio"]
    if line.turn_detection is None or line.turn_detection == "manual":
        line.turn_detection = "server_vad"
    if instructions is not None:
        line.instructions = instructions
    return line


# -- marks ------------------------------------------------------------------------------------------


class _MarkBook:
    """Marks sent and not yet echoed: name -> (item, ms of that item the caller will have heard)."""

    def __init__(self) -> None:
        self._pending: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._sent_ms: dict[str, float] = {}
        self._count = 0

    def after_clip(self, item_id: str, clip_ms: float) -> str:
        self._sent_ms[item_id] = self._sent_ms.get(item_id, 0.0) + clip_ms
        self._count += 1
        name = f"{self._count}"
        self._pending[name] = (item_id, int(self._sent_ms[item_id]))
        return name

    def done(self, response_id: str) -> str:
        self._count += 1
        return f"{self._count}:{response_id}{DONE_SUFFIX}"

    def echoed(self, name: str) -> tuple[str, int] | None:
        """Where the caller is now; marks before this one are implied."""
        position = self._pending.get(name)
        if position is None:
            return None  # a done mark, or one dropped by a clear: nothing to report
        while self._pending:
            sent, _ = self._pending.popitem(last=False)
            if sent == name:
                break
        return position

    def clear(self) -> None:
        self._pending.clear()
        self._sent_ms.clear()


# -- the bridge ---------------------------------------------------------------------------------------

DtmfHook = Callable[[Session, str], Awaitable[None]]


class MediaBridge:
    """Carries one call between a `MediaLeg` and a `Session` until either ends."""

    def __init__(
        self,
        session: Session,
        leg: MediaLeg,
        *,
        call_id: str,
        greeting: str | None = None,
        max_call_s: float | None = None,
        on_dtmf: DtmfHook | None = None,
    ) -> None:
        self.session = session
        self.leg = leg
        self.call_id = call_id
        self.greeting = greeting
        self.max_call_s = max_call_s
        self.on_dtmf = on_dtmf
        self.ended_by: str = ""
        """Who ended the call: `caller`, `agent`, `limit` or `protocol`."""
        self._marks = _MarkBook()
        self._audio_in: set[str] = set()

    async def run(self) -> StreamError | None:
        """Bridge until the call ends; returns the protocol fault that ended it, if one did."""
        fault: StreamError | None = None
        events = self.session.events()
        async with anyio.create_task_group() as tg:

            async def caller_side() -> None:
                nonlocal fault
                try:
                    await self._caller_to_model()
                except StreamError as exc:
                    fault = exc
                    self.ended_by = "protocol"
                except SessionClosed:
                    self.ended_by = "agent"
                tg.cancel_scope.cancel()

            async def agent_side() -> None:
                try:
                    await self._model_to_caller(events)
                except (SessionClosed, WebSocketGone):
                    pass
                self.ended_by = self.ended_by or "agent"
                tg.cancel_scope.cancel()

            tg.start_soon(caller_side)
            tg.start_soon(agent_side)
            if self.max_call_s is not None:
                tg.start_soon(self._deadline, tg, self.max_call_s)
            if self.greeting:
                await self.session.create_response(ResponseParams(instructions=self.greeting))
        events.close()
        return fault

    async def _deadline(self, tg: anyio.abc.TaskGroup, seconds: float) -> None:
        await anyio.sleep(seconds)
        logger.info("call %s: maximum call length (%g s) reached", self.call_id, seconds)
        self.ended_by = "limit"
        tg.cancel_scope.cancel()

    async def _caller_to_model(self) -> None:
        session, leg = self.session, self.leg
        while True:
            event = await leg.next_event()
            if type(event) is LegAudio:
                if event.data:
                    await session.send_audio(event.data)
            elif type(event) is LegMark:
                position = self._marks.echoed(event.name)
                if position is not None:
                    session.report_playback(*position)
            elif type(event) is LegDtmf:
                if self.on_dtmf is not None:
                    await self.on_dtmf(session, event.digit)
            elif type(event) is LegHangup:
                logger.info("call %s: %s", self.call_id, event.reason)
                self.ended_by = "caller"
                return

    async def _model_to_caller(self, events: Any) -> None:
        leg, marks = self.leg, self._marks
        async for event in events:
            kind = type(event)
            if kind is AudioChunk:
                await leg.play(event.audio)
                self._audio_in.add(event.response_id)
                if leg.echoes_marks:
                    await leg.mark(marks.after_clip(event.item_id, audio_ms(event.audio, leg.audio_format)))
            elif kind is Interrupted:
                marks.clear()
                await leg.clear()
            elif kind is ResponseFinished and event.response_id in self._audio_in:
                self._audio_in.discard(event.response_id)
                if leg.echoes_marks:
                    await leg.mark(marks.done(event.response_id))


async def close_quietly(websocket: AsgiWebSocket, code: int, reason: str) -> None:
    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
        await websocket.close(code, reason)


def monotonic() -> float:
    return time.monotonic()
