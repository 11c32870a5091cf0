"""One session of the local server: its configuration, conversation, input audio buffer and
responses. Everything here is per session; nothing is shared with other sessions.

A session reads client frames from, and writes server events to, a `Wire`: one WebSocket for a
session of its own, or a call's fan-out (`agentkit.testing.calls`) for a WebRTC call, where the
caller's data channel and the server's sidebands all take part and the audio travels as media.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import anyio.lowlevel
from anyio import TASK_STATUS_IGNORED
from anyio.abc import TaskGroup, TaskStatus
from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.server import ServerConnection as WebSocket
from websockets.exceptions import ConnectionClosed

from agentkit.protocol import (
    VOICE_LIVE_CLIENT_EVENTS,
    ClientEvent,
    Codec,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    Dialect,
    ErrorDetail,
    ErrorEvent,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCleared,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioPart,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    Item,
    MessageItem,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    ProtocolError,
    ResponseAudioDelta,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseParams,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    UnknownClientEvent,
    UnknownEvent,
    UnknownItem,
    WarningEvent,
    event_id,
    new_id,
)
from agentkit.testing import audio
from agentkit.testing.conversation import Conversation
from agentkit.testing.errors import ClientError, error_event, invalid_value, missing_parameter
from agentkit.testing.faults import Faults
from agentkit.testing.hearing.recogniser import INSTALL_HINT, Recogniser
from agentkit.testing.hearing.vocabulary import vocabulary_of
from agentkit.testing.models import ModelContext, RealtimeModel
from agentkit.testing.responder import DELTA_EVENTS, ResponseSettings, ResponseStream, Synthesizer
from agentkit.testing.routing import Route
from agentkit.testing.session_state import apply_update, check_wire_session, default_session
from agentkit.testing.timing import Timing
from agentkit.testing.vad import EnergyVAD
from agentkit.testing.voice_live_turns import VoiceLiveTurns, not_simulated

logger = logging.getLogger("agentkit.testing.server")

_ITEM = TypeAdapter[Item](Item)
_MIN_COMMIT_MS = 100
_PREVIEW_ONLY_CLIENT_TYPES = frozenset({"transcription_session.update"})
_CLIENT_TYPES = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
)


@dataclass(frozen=True)
class Heard:
    """Caller audio that arrived as media (a WebRTC track), PCM16 at 24 kHz, in frame order."""

    pcm16: bytes


Frame = str | bytes | Heard


class Wire(Protocol):
    """Where a session's frames come from and go to."""

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...

    def abort(self) -> None:
        """Cut the connection(s) without a close frame (a network failure, as a client sees it)."""

    def frames(self) -> AsyncIterator[Frame]:
        """Client frames until the connection (or the call) ends."""
        ...

    def play(self, event: ResponseAudioDelta) -> None:
        """A call's output audio goes out as media, not as events."""


class WebSocketWire:
    """A session's own WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send(self, text: str) -> None:
        await self.websocket.send(text)

    async def close(self, code: int, reason: str) -> None:
        await self.websocket.close(code, reason)

    def abort(self) -> None:
        transport = getattr(self.websocket, "transport", None)
        if transport is not None:
            transport.abort()

    async def frames(self) -> AsyncIterator[Frame]:
        async for frame in self.websocket:
            yield frame

    def play(self, event: ResponseAudioDelta) -> None:  # pragma: no cover - WebSockets carry audio events
        raise AssertionError("a WebSocket session sends its audio as events")


def request_headers(websocket: WebSocket) -> dict[str, str]:
    request = websocket.request
    return {k.lower(): v for k, v in request.headers.raw_items()} if request else {}


@dataclass
class Services:
    """What every connection of one server shares: read live, so a test can swap them mid-run."""

    model: Callable[[], RealtimeModel]
    timing: Callable[[], Timing]
    faults: Callable[[], Faults]
    synthesize: Synthesizer
    transcribe: Callable[[bytes], str | None]
    """The exact path: what `spoken()` speech says (None for any other audio)."""
    hearing: Recogniser | None = None
    """Recognises any other audio; None hears only `spoken()` speech."""
    warn_deaf: bool = False
    """Say once, when unmarked audio arrives, that a recogniser would hear it (the package is missing)."""
    record_timeline: bool = False

    async def hear(self, pcm16: bytes, session: SessionConfig) -> str | None:
        """What the audio says: marked speech exactly, else the recogniser's words, else None."""
        marked = self.transcribe(pcm16)
        if marked is not None or not pcm16:
            return marked
        if self.hearing is None:
            if self.warn_deaf:
                self.warn_deaf = False
                logger.warning(
                    "the local server got audio not made with spoken() and has no speech recogniser, so it"
                    " hears no words in it: %s",
                    INSTALL_HINT,
                )
            return None
        vocabulary = vocabulary_of(session.instructions, session.tools)
        try:
            return await anyio.to_thread.run_sync(self.hearing.transcribe, pcm16, vocabulary)
        except Exception:  # a recogniser's failure is one turn not understood, not a dead connection
            logger.exception("the speech recogniser failed; nothing was heard in this audio")
            return None


@dataclass(eq=False)
class _Active:
    stream: ResponseStream
    in_conversation: bool
    cancelled: anyio.Event = field(default_factory=anyio.Event)
    finished: anyio.Event = field(default_factory=anyio.Event)
    reason: str = "client_cancelled"

    def cancel(self, reason: str) -> None:
        self.reason = reason
        self.cancelled.set()


class ServerConnection:
    """The server side of one WebSocket session.

    Tests read `dialect`, `path`, `headers`, `received` (decoded canonical client events in arrival
    order) and `sent` (server events sent); set `faults` to inject faults on this connection only.
    `on_call`: the session of a WebRTC call (audio as media, `output_audio_buffer.*` events).
    """

    def __init__(
        self,
        wire: Wire | WebSocket,
        route: Route,
        target: str,
        services: Services,
        *,
        headers: dict[str, str] | None = None,
        on_call: bool = False,
        session: SessionConfig | None = None,
    ) -> None:
        if not isinstance(wire, WebSocketWire) and isinstance(wire, WebSocket):
            headers = request_headers(wire) if headers is None else headers
            wire = WebSocketWire(wire)
        self._ws: Wire = wire
        self.route = route
        self.dialect = route.dialect
        self.path = target
        self.on_call = on_call
        self.headers: dict[str, str] = headers or {}
        self.received: list[ClientEvent] = []
        self.sent: list[ServerEvent] = []
        self.timeline: list[tuple[float, str, str]] | None = [] if services.record_timeline else None
        """With `record_timeline`: (time.perf_counter(), "sent" or "received", wire type) per frame."""
        self.faults: Faults | None = None
        self.closed = anyio.Event()
        self._services = services
        self._codec = Codec(route.dialect)
        self.session: SessionConfig = session or default_session(route.dialect, route.model)
        self._playing: str | None = None
        """A call's response whose audio the caller is hearing (between `output_audio_buffer.started`
        and `.stopped` / `.cleared`)."""
        self._silenced: set[str] = set()
        """A call's responses whose audio was cleared: the rest of it is not played."""
        self.conversation = Conversation()
        self._buffer = bytearray()
        self._buffer_start_ms = 0
        """Position of the buffer's first byte in the connection's input audio stream."""
        self._stream_ms = 0
        self._speech_item: str | None = None
        self._detector: EnergyVAD | None = None
        self._voice_locked = False
        self._default: _Active | None = None
        self._responses: set[_Active] = set()
        self._tg: TaskGroup | None = None
        self._voice_live_turns = VoiceLiveTurns()

    def __repr__(self) -> str:
        return f"ServerConnection(dialect={self.dialect.value!r}, path={self.path.split('?')[0]!r})"

    def _faults(self) -> Faults:
        return self.faults if self.faults is not None else self._services.faults()

    # -- sending ---------------------------------------------------------------------------------

    async def send(
        self, event: ServerEvent, delay: float = 0.0, interrupt: anyio.Event | None = None
    ) -> bool:
        """Send one event after the configured delays (cut short when `interrupt` fires); False when the
        event does not exist in this dialect."""
        if not self._codec.supports(type(event)):
            return False
        if self.on_call and isinstance(event, ResponseAudioDelta):
            return await self._play(event)
        body = self._codec.server_event_to_dict(event)
        delay += self._services.timing().event_delay + self._faults().delays.get(body["type"], 0.0)
        if delay > 0:
            with anyio.move_on_after(delay):
                await (interrupt.wait() if interrupt else anyio.sleep(delay))
        with anyio.CancelScope(shield=True):
            await self._ws.send(json.dumps(body, separators=(",", ":")))
        if self.timeline is not None:
            self.timeline.append((time.perf_counter(), "sent", body["type"]))
        self.sent.append(event)
        if self.on_call and isinstance(event, ResponseDone) and event.response.id == self._playing:
            played_out = getattr(self._ws, "played_out", None)
            if played_out is not None and event.response.status == "completed" and self._tg is not None:
                # Real media plays in real time: the caller is still hearing it until the track drains.
                self._tg.start_soon(self._stop_when_played, event.response.id, played_out)
                return True
            self._playing = None
            stopped = (
                OutputAudioBufferStopped if event.response.status == "completed" else OutputAudioBufferCleared
            )
            await self.send(stopped(event_id=event_id(), response_id=event.response.id))
        return True

    async def _stop_when_played(self, response_id: str, played_out: Callable[[], Awaitable[None]]) -> None:
        """`output_audio_buffer.stopped` once the media track has played the answer (unless cleared)."""
        await played_out()
        if self._playing == response_id:
            self._playing = None
            await self.send(OutputAudioBufferStopped(event_id=event_id(), response_id=response_id))

    async def _play(self, event: ResponseAudioDelta) -> bool:
        """A call's audio: played to the caller as media, announced by `output_audio_buffer.started`."""
        if event.response_id in self._silenced:
            return True
        if self._playing != event.response_id:
            self._playing = event.response_id
            await self.send(OutputAudioBufferStarted(event_id=event_id(), response_id=event.response_id))
        self._ws.play(event)
        return True

    async def _clear_output(self) -> None:
        """Drop the audio the caller has not heard yet (barge-in, `output_audio_buffer.clear`)."""
        playing, self._playing = self._playing, None
        if playing is not None:
            self._silenced.add(playing)
        await self.send(OutputAudioBufferCleared(event_id=event_id(), response_id=playing or ""))

    async def _send_error(self, error: ClientError, client_event_id: str | None) -> None:
        await self.send(error.event(client_event_id))

    async def _send_raw(self, text: str) -> None:
        with anyio.CancelScope(shield=True):
            await self._ws.send(text)

    def drop(self) -> None:
        """Abort the TCP connection without a close frame (a network failure, as the client sees it)."""
        self._ws.abort()

    async def expire(self) -> None:
        """End the session the way the service does at its maximum duration."""
        minutes = 30
        await self.send(
            error_event("session_expired", f"Your session hit the maximum duration of {minutes} minutes.")
        )
        await self._ws.close(1000, "session expired")

    # -- the connection's life -------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                if self.route.beta_header_rejected:
                    await self.send(
                        error_event(
                            "beta_api_shape_disabled",
                            "The Realtime Beta API is no longer supported. "
                            "Please use /v1/realtime for the GA API.",
                        )
                    )
                    await self._ws.close(4000, "beta_api_shape_disabled")
                    return
                await self.send(SessionCreated(event_id=event_id(), session=self.session))
                expire_after = self._faults().expire_after
                if expire_after is not None:
                    tg.start_soon(self._expire_later, expire_after)
                try:
                    async for frame in self._ws.frames():
                        if isinstance(frame, Heard):
                            await self._feed(frame.pcm16, "pcm16")
                            continue
                        await self._handle(frame)
                        await anyio.lowlevel.checkpoint()  # let responses stream between a burst of frames
                except ConnectionClosed:
                    pass
                tg.cancel_scope.cancel()
        finally:
            self.closed.set()

    async def _expire_later(self, seconds: float) -> None:
        await anyio.sleep(seconds)
        try:
            await self.expire()
        except ConnectionClosed:
            pass

    async def _handle(self, frame: str | bytes) -> None:
        arrived = time.perf_counter()
        event = self._codec.decode_client_event(frame)
        if self.timeline is not None:
            self.timeline.append((arrived, "received", getattr(event, "type", None) or event.kind))
        if isinstance(event, ProtocolError):
            await self._report_unreadable(event, frame)
            return
        self.received.append(event)
        try:
            await self._dispatch(event, frame)
        except ClientError as error:
            await self._send_error(error, event.event_id)

    async def _report_unreadable(self, event: ProtocolError, frame: str | bytes) -> None:
        try:
            data = json.loads(frame)
        except (ValueError, RecursionError):
            await self.send(error_event("invalid_json", "The frame is not valid JSON."))
            return
        client_event_id = data.get("event_id") if isinstance(data, dict) else None
        if event.type is None:
            await self.send(
                error_event("missing_required_parameter", "Missing required parameter: 'type'.", "type")
            )
            return
        await self.send(error_event("invalid_value", event.message, None, client_event_id))

    async def _dispatch(self, event: ClientEvent, frame: str | bytes) -> None:
        if isinstance(event, UnknownClientEvent) or self._unsupported(event, frame):
            kind = event.type if isinstance(event, UnknownClientEvent) else _wire(frame).get("type")
            supported = ", ".join(f"'{name}'" for name in _CLIENT_TYPES)
            raise invalid_value("type", f"Invalid value: '{kind}'. Supported values are: {supported}.")
        if isinstance(event, SessionUpdate):
            await self._session_update(event, frame)
        elif isinstance(event, InputAudioBufferAppend):
            if not event.audio and "audio" not in _wire(frame):  # only tiny frames are read twice
                raise missing_parameter("audio")
            await self._append(event)
        elif isinstance(event, InputAudioBufferCommit):
            await self._commit_manually()
        elif isinstance(event, InputAudioBufferClear):
            self._reset_buffer()
            await self.send(InputAudioBufferCleared(event_id=event_id()))
        elif isinstance(event, ConversationItemCreate):
            await self._add_item(event.item, event.previous_item_id)
        elif isinstance(event, ConversationItemRetrieve):
            item = self.conversation.get(event.item_id)
            await self.send(ConversationItemRetrieved(event_id=event_id(), item=item))
        elif isinstance(event, ConversationItemDelete):
            self.conversation.delete(event.item_id)
            await self.send(ConversationItemDeleted(event_id=event_id(), item_id=event.item_id))
        elif isinstance(event, ConversationItemTruncate):
            await self._truncate(event)
        elif isinstance(event, ResponseCreate):
            faults = self._faults()
            if faults.ignore_creates > 0:
                faults.ignore_creates -= 1  # lost: no response, no error
                return
            await self._create_response(event.response)
        elif isinstance(event, ResponseCancel):
            await self._cancel(event)
        elif isinstance(event, OutputAudioBufferClear) and self.on_call:
            await self._clear_output()
        elif isinstance(event, VOICE_LIVE_CLIENT_EVENTS):
            await self._voice_live_turns.handle(event, self)
        else:
            raise invalid_value("type", f"{event.kind} is only supported over WebRTC and SIP.")

    def _unsupported(self, event: ClientEvent, frame: str | bytes) -> bool:
        if isinstance(event, VOICE_LIVE_CLIENT_EVENTS):
            return self.dialect is not Dialect.VOICE_LIVE
        if self.dialect.value == "ga" and isinstance(event, SessionUpdate):
            return _wire(frame).get("type") in _PREVIEW_ONLY_CLIENT_TYPES
        return False

    # -- what Voice Live's client-marked turns use -----------------------------------------------

    def reset_input(self) -> None:
        self._reset_buffer()

    async def append_input(self, event: InputAudioBufferAppend) -> None:
        await self._append(event)

    async def commit_input_and_respond(self) -> None:
        await self._commit_manually()
        if self._default is None:
            await self._create_response(None)

    # -- session ---------------------------------------------------------------------------------

    async def _session_update(self, event: SessionUpdate, frame: str | bytes) -> None:
        raw = _wire(frame).get("session")
        check_wire_session(raw, self.dialect, current_type=self.session.type)
        self.session = apply_update(
            self.session, event.session, self.dialect, voice_locked=self._voice_locked
        )
        self._detector = None
        await self.send(SessionUpdated(event_id=event_id(), session=self.session))
        for warning in not_simulated(event.session):
            await self.send(WarningEvent(event_id=event_id(), warning=warning))

    # -- conversation ----------------------------------------------------------------------------

    async def _announce(self, item: Item, previous: str | None) -> None:
        await self.send(ConversationItemAdded(event_id=event_id(), previous_item_id=previous, item=item))
        await self.send(ConversationItemDone(event_id=event_id(), previous_item_id=previous, item=item))

    async def _add_item(self, item: Item, previous_item_id: str | None) -> None:
        if isinstance(item, UnknownItem):
            raise invalid_value(
                "item.type",
                f"Invalid value: '{item.type}'. Supported values are: 'message', 'function_call', "
                "and 'function_call_output'.",
            )
        if isinstance(item, MessageItem) and item.role not in ("user", "assistant", "system"):
            raise invalid_value("item.role", f"Invalid value: '{item.role}'.")
        stored, previous = self.conversation.add(item, previous_item_id)
        await self._announce(stored, previous)

    async def _truncate(self, event: ConversationItemTruncate) -> None:
        played = self.conversation.audio_ms.get(event.item_id, 0)
        self.conversation.truncate(event.item_id, event.content_index, event.audio_end_ms, played)
        self.conversation.audio_ms[event.item_id] = event.audio_end_ms
        await self.send(
            ConversationItemTruncated(
                event_id=event_id(),
                item_id=event.item_id,
                content_index=event.content_index,
                audio_end_ms=event.audio_end_ms,
            )
        )

    # -- input audio -----------------------------------------------------------------------------

    def _input_format(self) -> str:
        """A call's input is media, decoded to PCM16 24 kHz; a WebSocket's is in the session's format."""
        return "pcm16" if self.on_call else self.session.input_audio_format or "pcm16"

    def _reset_buffer(self) -> None:
        self._buffer.clear()
        self._buffer_start_ms = self._stream_ms
        self._speech_item = None

    async def _append(self, event: InputAudioBufferAppend) -> None:
        try:
            data = base64.b64decode(event.audio, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_value(
                "audio", "Invalid value for 'audio': expected base64-encoded audio."
            ) from None
        await self._feed(data, self._input_format())

    async def _feed(self, data: bytes, fmt: str) -> None:
        """Input audio into the buffer, through server VAD when it is on."""
        self._buffer.extend(data)
        duration = audio.duration_ms(len(data), fmt)
        self._stream_ms += duration
        detection = self.session.turn_detection
        if detection is None:
            return
        if self._detector is None:
            self._detector = EnergyVAD.from_turn_detection(detection, start_ms=self._stream_ms - duration)
        for boundary in self._detector.feed(audio.decode(data, fmt)):
            if boundary.kind == "speech_started":
                await self._speech_started(boundary.audio_ms)
            elif self._speech_item is not None:
                await self._speech_stopped(boundary.audio_ms)

    async def _speech_started(self, at_ms: int) -> None:
        self._speech_item = new_id("item")
        await self.send(
            InputAudioBufferSpeechStarted(
                event_id=event_id(), audio_start_ms=at_ms, item_id=self._speech_item
            )
        )
        detection = self.session.turn_detection
        if detection is not None and detection.interrupt_response is not False:
            if self._default is not None:
                self._default.cancel("turn_detected")
            if self.on_call and self._playing is not None:
                await self._clear_output()

    async def _speech_stopped(self, at_ms: int) -> None:
        item_id = self._speech_item or new_id("item")
        await self.send(
            InputAudioBufferSpeechStopped(event_id=event_id(), audio_end_ms=at_ms, item_id=item_id)
        )
        keep = max(
            0,
            (at_ms - self._buffer_start_ms) * audio.bytes_per_ms(self._input_format()),
        )
        await self._commit(item_id, bytes(self._buffer[:keep]) or bytes(self._buffer))
        self._buffer = self._buffer[keep:]
        self._buffer_start_ms = at_ms
        detection = self.session.turn_detection
        if (
            detection is not None
            and detection.create_response is not False
            and self.session.type != "transcription"
            and self._default is None
        ):
            await self._create_response(None)

    async def _commit_manually(self) -> None:
        fmt = self._input_format()
        held = audio.duration_ms(len(self._buffer), fmt)
        if held < _MIN_COMMIT_MS:
            raise ClientError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. "
                f"Expected at least {_MIN_COMMIT_MS}ms of audio, but buffer only has {held:.2f}ms of audio.",
            )
        data = bytes(self._buffer)
        item_id = self._speech_item or new_id("item")
        self._reset_buffer()
        await self._commit(item_id, data)

    async def _commit(self, item_id: str, data: bytes) -> None:
        fmt = self._input_format()
        item = MessageItem(id=item_id, role="user", status="completed", content=[InputAudioPart()])
        stored, previous = self.conversation.add(item)
        heard = await self._services.hear(audio.decode(data, fmt), self.session)
        if heard is not None:
            self.conversation.heard[item_id] = heard
        await self.send(
            InputAudioBufferCommitted(event_id=event_id(), previous_item_id=previous, item_id=item_id)
        )
        await self._announce(stored, previous)
        if self.session.input_audio_transcription is not None:
            transcript = heard if heard is not None else f"(audio, {audio.duration_ms(len(data), fmt)} ms)"
            for word in transcript.split(" "):
                await self.send(
                    InputAudioTranscriptionDelta(
                        event_id=event_id(), item_id=item_id, content_index=0, delta=word
                    )
                )
            usage = {"type": "duration", "seconds": round(audio.duration_ms(len(data), fmt) / 1000, 3)}
            await self.send(
                InputAudioTranscriptionCompleted(
                    event_id=event_id(), item_id=item_id, content_index=0, transcript=transcript, usage=usage
                )
            )

    # -- responses -------------------------------------------------------------------------------

    async def _create_response(self, params: ResponseParams | None) -> None:
        in_conversation = params is None or params.conversation in (None, "auto")
        if in_conversation and self._default is not None and self._default.cancelled.is_set():
            await self._default.finished.wait()  # an interrupted response closes before the next starts
        if in_conversation and self._default is not None:
            active_id = self._default.stream.id
            raise ClientError(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {active_id}. "
                "Wait until the response is finished before creating a new response.",
            )
        items = (
            self._response_input(params)
            if params and params.input is not None
            else self.conversation.for_model()
        )
        context = ModelContext(items=items, session=self.session, response=params)
        outputs = self._services.model().respond(context)
        modalities = (
            (params.output_modalities if params else None) or self.session.output_modalities or ["audio"]
        )
        settings = ResponseSettings(
            dialect=self.dialect,
            modalities=list(modalities),
            voice=_voice(params.voice if params and params.voice else self.session.voice),
            audio_format=(params.output_audio_format if params else None)
            or self.session.output_audio_format
            or "pcm16",
            chunk_ms=self._services.timing().audio_chunk_ms,
            metadata=params.metadata if params else None,
            max_output_tokens=(params.max_output_tokens if params else None)
            or self.session.max_output_tokens,
            interleave=self._faults().interleave_items,
        )
        input_tokens = sum(max(1, len(_text(item)) // 4) for item in items)
        stream = ResponseStream(
            outputs,
            settings,
            self.conversation if in_conversation else None,
            self._services.synthesize,
            input_tokens,
        )
        active = _Active(stream, in_conversation)
        if in_conversation:
            self._default = active
        self._responses.add(active)
        if "audio" in modalities:
            self._voice_locked = True
        assert self._tg is not None
        await self._tg.start(self._stream, active)

    def _response_input(self, params: ResponseParams) -> list[Item]:
        items: list[Item] = []
        for index, entry in enumerate(params.input or []):
            if entry.get("type") == "item_reference":
                items.append(self.conversation.get(str(entry.get("id", ""))))
                continue
            try:
                items.append(_ITEM.validate_python(entry))
            except ValidationError:
                raise invalid_value(f"response.input[{index}]", "Invalid input item.") from None
        return items

    async def _stream(self, active: _Active, *, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        """Send one response; the caller resumes once `response.created` (and any one-shot fault) is out.

        Cancellation is checked between events, so what the client saw and what `close()` reports agree."""
        malformed, unknown, error = self._faults().take_one_shots()
        timing = self._services.timing()
        count, first_delta, started = 0, True, False
        try:
            for event in active.stream.events():
                delay = 0.0
                if isinstance(event, DELTA_EVENTS):
                    delay = timing.delay_before(event, first=first_delta)
                    first_delta = False
                await self.send(event, delay, active.cancelled)
                if isinstance(event, ResponseCreated):
                    await self._inject(malformed, unknown, error)
                    task_status.started()
                    started = True
                elif isinstance(event, ResponseDone) and self._default is active:
                    self._default = None  # done means done: trailing events must not block the next create
                count += 1
                drop_after = self._faults().drop_after_events
                if drop_after is not None and count >= drop_after:
                    self.drop()
                    return
                if active.cancelled.is_set() and not active.stream.finished:
                    break
            if not active.stream.finished:
                for event in active.stream.close("cancelled", active.reason):
                    await self.send(event)
        except ConnectionClosed:
            pass  # the client went away mid-response: nothing left to tell it
        finally:
            if not started:  # the client left before `response.created` went out: release the caller
                task_status.started()
            self._responses.discard(active)
            if self._default is active:
                self._default = None
            active.finished.set()

    async def _inject(self, malformed: bool, unknown: bool, error: ErrorDetail | None) -> None:
        if malformed:
            await self._send_raw('{"type": "response.output_text.delta", "delta": ')
        if unknown:
            await self.send(
                UnknownEvent(
                    type="response.unexpected_event",
                    raw={"type": "response.unexpected_event", "event_id": event_id()},
                )
            )
        if error is not None:
            await self.send(ErrorEvent(event_id=event_id(), error=error))

    async def _cancel(self, event: ResponseCancel) -> None:
        target = self._default
        if event.response_id:
            target = next((a for a in self._responses if a.stream.id == event.response_id), None)
        if target is None or target.cancelled.is_set():
            raise ClientError("response_cancel_not_active", "Cancellation failed: no active response found.")
        target.cancel("client_cancelled")


def _voice(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return value if isinstance(value, str) else None


def _text(item: Item) -> str:
    return (
        item.text
        if isinstance(item, MessageItem)
        else getattr(item, "arguments", "") or getattr(item, "output", "")
    )


def _wire(frame: str | bytes) -> dict[str, Any]:
    """The frame as a JSON object, for the few wire details the canonical event does not keep.

    The codec has already read this frame, but with another parser: one nested deeper than
    `json` allows must not crash the connection.
    """
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
