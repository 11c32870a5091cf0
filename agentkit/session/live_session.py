"""`LiveSession`: an agent on OpenAI GPT-Live (`v1/live/sessions`), the full-duplex service.

The service starts and ends its own turns, so this session never asks for a response, cancels one
or truncates one: it streams the user's audio in, shows what the service says, and runs the agent's
`@tool`s when the service delegates a call to them (the tools are offered as the Responses backend's
client-actionable functions). Every delegated call is answered exactly once: with its output, its
error, its timeout, or, when the session closes first, as cancelled; a call whose connection dropped
belongs to a service session that is gone and is reported cancelled, never answered twice.

A dropped connection starts a new service session (GPT-Live has no resume) with the conversation so
far as its startup `input` history: text messages, which is all the service takes. Turns are the
client's view of the conversation: one starts when the user is heard (or the service speaks on its
own) and ends once the service has been quiet for `turn_quiet` seconds with no call outstanding; the
user speaking over the service ends its turn as interrupted (the service stops by itself).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import anyio
from anyio.abc import TaskGroup

from agentkit import audio
from agentkit.connection import ConnectionClosed, HandshakeError, RealtimeConnection, TransportOptions
from agentkit.connection.gpt_live import GptLiveEndpoint
from agentkit.engine import (
    AppEvent,
    AudioChunk,
    ErrorReported,
    InputTranscriptPartial,
    Interrupted,
    Reconnected,
    ToolCallFinished,
    ToolCallStarted,
    TranscriptDelta,
    Turn,
    TurnDone,
    TurnStarted,
)
from agentkit.engine.app_events import ToolCallRecord
from agentkit.engine.duplex import (
    ClientDelegate,
    ClientDelegations,
    DelegatedCalls,
    DelegatedTask,
    client_delegation,
    responses_delegation,
)
from agentkit.protocol import ErrorDetail, Usage, new_id
from agentkit.protocol.events import ProtocolError
from agentkit.protocol.live import (
    LiveDelegationCreated,
    LiveErrorEvent,
    LiveEvent,
    LiveInputTranscriptDelta,
    LiveOutputAudioDelta,
    LiveOutputTranscriptDelta,
    LiveResponseEvent,
    LiveSessionClosed,
    LiveSessionStarted,
    decode_live,
    input_audio_append,
    refuse_realtime_command,
    session_close,
)
from agentkit.session.errors import SessionClosed
from agentkit.session.events import DEFAULT_BUFFER, Broadcast, EventsDropped, EventStream
from agentkit.session.reconnect import worth_retrying
from agentkit.tools import ToolContext, ToolOutcome

if TYPE_CHECKING:
    from agentkit.agent import Agent

logger = logging.getLogger("agentkit.session")
_tool_logger = logging.getLogger("agentkit.tools")

DEFAULT_BACKEND_MODEL = "gpt-5.5"
"""The Responses model the app's tools are delegated through (the published examples' one)."""

LIVE_COMMANDS = frozenset(
    {
        "session.update",
        "session.input_audio.append",
        "session.input_audio.mute",
        "session.input_audio.unmute",
        "session.instructions.append",
        "session.thinking.append",
        "session.commentary.append",
        "response.item.create",
        "response.create",
        "session.close",
    }
)
"""Everything this session may send after `session.start`: GPT-Live's client commands, nothing else."""

Role = Literal["developer", "user", "assistant"]
_AUDIO_CHUNK_MS = 200
_RESUMABLE_CLOSES = frozenset({"expired", "connection_lost"})


class ServiceSessionEnded(Exception):
    """The service ended its session in a way a new one may continue (it expired)."""


@dataclass(frozen=True)
class LiveMessage:
    """One text message of the conversation, as GPT-Live takes history at startup."""

    role: Role
    text: str

    def wire(self) -> dict[str, Any]:
        part = "output_text" if self.role == "assistant" else "input_text"
        return {"type": "message", "role": self.role, "content": [{"type": part, "text": self.text}]}


@dataclass
class _Turn:
    id: str
    started_at: float
    user: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    calls: list[ToolCallRecord] = field(default_factory=list)
    open_calls: int = 0
    awaiting_reply: bool = False
    last_activity: float = 0.0
    changed: anyio.Event = field(default_factory=anyio.Event)

    def poke(self, now: float) -> None:
        self.last_activity = now
        self.changed.set()
        self.changed = anyio.Event()


class LiveSession:
    """An agent's conversation on GPT-Live: `async with agent.connect(GptLiveEndpoint...) as session:`.

    `send_audio` streams the user's speech; `events()` gives what happens as agentkit's app events
    (transcripts, audio, tool calls, `TurnDone`, `Interrupted`, `Reconnected`, `ErrorReported`).
    """

    def __init__(
        self,
        agent: Agent,
        endpoint: GptLiveEndpoint,
        *,
        deps: Any = None,
        transport: TransportOptions | None = None,
        history: Iterable[LiveMessage] = (),
        backend_model: str = DEFAULT_BACKEND_MODEL,
        client_delegate: ClientDelegate | None = None,
        voice: str | None = None,
        turn_quiet: float = 0.5,
        reply_wait: float = 10.0,
        handshake_timeout: float = 10.0,
        close_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not turn_quiet > 0:
            raise ValueError(f"turn_quiet must be positive, got {turn_quiet!r}")
        self.id = new_id("session")
        self.agent = agent
        self.endpoint = endpoint
        self.tools = agent.toolset
        self.deps = deps
        self.server_session_id: str | None = None
        """The service's id of the current service session (a new one after each reconnect)."""
        self._transport = transport
        self._messages: list[LiveMessage] = list(history)
        self._backend_model = backend_model
        self._client_delegate = client_delegate
        self._voice = voice
        self._turn_quiet = turn_quiet
        self._reply_wait = reply_wait
        self._handshake_timeout = handshake_timeout
        self._close_timeout = close_timeout
        self._clock = clock
        self._events: Broadcast[AppEvent] = Broadcast()
        self._tg: TaskGroup | None = None
        self._connection: RealtimeConnection | None = None
        self._calls: DelegatedCalls | None = None
        self._delegations = ClientDelegations()
        self._running: dict[str, anyio.CancelScope] = {}
        self._idle = anyio.Event()
        self._idle.set()
        self._cancel_reason = ""
        self._turn: _Turn | None = None
        self._closing = False
        self._closed = False
        self._failure: BaseException | None = None
        self._reader_done = anyio.Event()
        self._audio_chunk = audio.bytes_for_ms(_AUDIO_CHUNK_MS, "pcm16")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "connected" if self._connection is not None else "reconnecting"
        return f"<LiveSession {self.id} agent={self.agent.name!r} {state} endpoint={self.endpoint!r}>"

    @property
    def closed(self) -> bool:
        return self._closing or self._closed

    @property
    def failure(self) -> BaseException | None:
        """Why the session ended on its own (None while it runs, or when the application closed it)."""
        return self._failure

    @property
    def running_calls(self) -> tuple[str, ...]:
        return tuple(self._running)

    def history(self) -> list[LiveMessage]:
        """The conversation so far as text messages: pass it as `history=` to continue it later."""
        return list(self._messages)

    def events(self, maxsize: int = DEFAULT_BUFFER) -> EventStream[AppEvent]:
        """Subscribe now: app events from this moment on (oldest dropped past `maxsize`)."""
        return self._events.subscribe(maxsize, lambda count: EventsDropped(time=self._clock(), count=count))

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> LiveSession:
        if self._tg is not None:
            raise RuntimeError("a LiveSession can be opened only once; call agent.connect() again")
        connection = await self._open()
        self._connection = connection  # commands may be sent before the reader task first runs
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._run, connection, name=f"live session {self.id}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        assert self._tg is not None
        return await self._tg.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        """End the session: running calls are cancelled and answered, then `session.close` is sent."""
        if self._closing or self._tg is None:
            return
        self._closing = True
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(self._close_timeout):
                while self._running:  # a call delegated meanwhile is cancelled and answered too
                    self._cancel_calls("session closed")
                    await self._idle.wait()
            connection = self._connection
            if connection is not None:
                try:
                    await self._send(connection, session_close())
                    with anyio.move_on_after(self._close_timeout):
                        await self._reader_done.wait()
                except ConnectionClosed:
                    pass
                with anyio.move_on_after(self._close_timeout):
                    await connection.close()
            self._tg.cancel_scope.cancel()
            self._end(None)

    # -- commands --------------------------------------------------------------------------------

    async def send_audio(self, pcm16: bytes) -> None:
        """Stream the user's speech (PCM16, 24 kHz) in; dropped while the session reconnects."""
        if self.closed:
            raise SessionClosed(f"session {self.id} is closed")
        for at in range(0, len(pcm16), self._audio_chunk):
            connection = self._connection
            if connection is None:
                return
            chunk = base64.b64encode(pcm16[at : at + self._audio_chunk]).decode("ascii")
            try:
                await self._send(connection, input_audio_append(chunk))
            except ConnectionClosed:
                return  # the reader sees the drop and reconnects

    async def _send(self, connection: RealtimeConnection, frame: dict[str, Any]) -> None:
        """Send one command, refusing any the service does not have (a bug, never sent)."""
        kind = str(frame.get("type"))
        refuse_realtime_command(kind)
        if kind not in LIVE_COMMANDS:
            raise ValueError(f"GPT-Live has no client command `{kind}`")
        await connection.send_text(json.dumps(frame))

    # -- the connection --------------------------------------------------------------------------

    def _start_frame(self) -> dict[str, Any]:
        session: dict[str, Any] = {}
        if self.agent.instructions:
            session["instructions"] = self.agent.instructions
        if self._voice:
            session["audio"] = {"output": {"voice": self._voice}}
        if self._client_delegate is not None:
            session["delegation"] = client_delegation()
        elif self.tools.definitions():
            session["delegation"] = responses_delegation(self.tools, model=self._backend_model)
        if self._messages:
            session["input"] = [message.wire() for message in self._messages]
        return self.endpoint.start_frame(session)

    async def _open(self) -> RealtimeConnection:
        """Connect, send `session.start`, and wait for `session.started` (an error refuses it)."""
        connection = await self.endpoint.connect(self._transport)
        try:
            await connection.send_text(json.dumps(self._start_frame()))
            with anyio.move_on_after(self._handshake_timeout):
                while True:
                    event = decode_live(await connection.recv_frame())
                    if isinstance(event, LiveSessionStarted):
                        self.server_session_id = event.session.id
                        return connection
                    if isinstance(event, LiveErrorEvent):
                        error = event.error
                        message = connection.redact(error.message)
                        raise HandshakeError(
                            f"GPT-Live refused session.start: {error.code or error.type}: {message}",
                            url=self.endpoint.url,
                        )
            raise HandshakeError(
                f"no session.started within {self._handshake_timeout:g} s", url=self.endpoint.url
            )
        except BaseException:
            with anyio.CancelScope(shield=True), anyio.move_on_after(self._close_timeout):
                await connection.close()
            raise

    async def _run(self, connection: RealtimeConnection) -> None:
        try:
            while True:
                lost = await self._serve(connection)
                if self._closing or lost is None:
                    return
                self._connection_lost(lost)
                reconnected = await self._reconnect(lost)
                if reconnected is None:
                    return
                connection = reconnected
        finally:
            self._reader_done.set()
            if not self._closing:
                self._end(self._failure)

    async def _serve(self, connection: RealtimeConnection) -> BaseException | None:
        """Read one service session until it ends; what ended it, or None for a close that is final."""
        self._connection = connection
        self._calls = DelegatedCalls(self.tools, default_timeout=self.agent.tool_timeout)
        self._delegations = ClientDelegations()
        try:
            while True:
                event = decode_live(await connection.recv_frame())
                ended = self._receive(event, connection)
                if ended is None:
                    continue
                if self._closing:
                    return None
                if ended.reason in _RESUMABLE_CLOSES:
                    return ServiceSessionEnded(f"the service ended its session ({ended.reason})")
                self._end(SessionClosed(f"live session {self.id}: the service closed it ({ended.reason})"))
                return None
        except ConnectionClosed as exc:
            return None if self._closing else exc.with_traceback(None)
        finally:
            self._connection = None

    def _connection_lost(self, lost: BaseException) -> None:
        logger.warning("live session %s: the service session was lost (%s)", self.id, lost)
        self._cancel_calls("the connection to the service was lost")
        if self._turn is not None:
            self._finish_turn(interrupted=True)

    async def _reconnect(self, lost: BaseException) -> RealtimeConnection | None:
        policy = self.agent.reconnect
        error: BaseException = lost
        attempt = 0
        if policy is not None and worth_retrying(lost):
            while attempt < policy.max_attempts and not self._closing:
                attempt += 1
                await anyio.sleep(policy.delay(attempt))
                with anyio.move_on_after(self._close_timeout):
                    await self._idle.wait()  # the old session's calls are settled first
                try:
                    connection = await self._open()
                except Exception as exc:  # any failure to connect is one failed attempt
                    error = exc
                    if not worth_retrying(exc):
                        break
                    continue
                self._emit(Reconnected(time=self._clock(), replayed_items=len(self._messages)))
                return connection
        failure = SessionClosed(
            f"live session {self.id}: the service session was lost ({lost}) and no new one could be "
            f"started after {attempt} attempt(s): {error}"
        )
        failure.__cause__ = error
        self._end(failure)
        return None

    def _end(self, failure: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._failure = failure
        if self._turn is not None:
            self._finish_turn(interrupted=True)
        self._events.end(failure)

    # -- what the service says -------------------------------------------------------------------

    def _receive(
        self, event: LiveEvent | ProtocolError, connection: RealtimeConnection
    ) -> LiveSessionClosed | None:
        now = self._clock()
        if isinstance(event, ProtocolError):
            logger.warning("live session %s: unreadable frame skipped: %s", self.id, event.message)
        elif isinstance(event, LiveInputTranscriptDelta):
            self._heard(event.delta, now)
        elif isinstance(event, LiveOutputTranscriptDelta):
            turn = self._output(now)
            turn.text.append(event.delta)
            self._emit(TranscriptDelta(time=now, response_id=turn.id, item_id=turn.id, delta=event.delta))
        elif isinstance(event, LiveOutputAudioDelta):
            turn = self._output(now)
            self._emit(AudioChunk(time=now, response_id=turn.id, item_id=turn.id, audio=event.delta))
        elif isinstance(event, LiveResponseEvent):
            self._delegated(event, connection, now)
        elif isinstance(event, LiveDelegationCreated):
            self._handed_over(event, connection, now)
        elif isinstance(event, LiveErrorEvent):
            message = connection.redact(event.error.message)
            detail = ErrorDetail(type=event.error.type or "error", code=event.error.code, message=message)
            self._emit(ErrorReported(time=now, error=detail, fatal=False))
            logger.warning("live session %s: service error %s: %s", self.id, detail.code, detail.message)
        elif isinstance(event, LiveSessionClosed):
            return event
        return None

    def _start_turn(self, now: float) -> _Turn:
        turn = _Turn(id=new_id("turn"), started_at=now, last_activity=now)
        self._turn = turn
        self._emit(TurnStarted(time=now))
        assert self._tg is not None
        self._tg.start_soon(self._watch, turn)
        return turn

    def _heard(self, delta: str, now: float) -> None:
        turn = self._turn
        if turn is not None and turn.text:
            # The user spoke over the service: it stops by itself; the app stops playing.
            self._emit(Interrupted(time=now, response_id=turn.id, item_id=turn.id, played_ms=None))
            self._finish_turn(interrupted=True)
            turn = None
        if turn is None:
            turn = self._start_turn(now)
        turn.user.append(delta)
        turn.poke(now)
        self._emit(InputTranscriptPartial(time=now, item_id=turn.id, transcript="".join(turn.user)))

    def _output(self, now: float) -> _Turn:
        turn = self._turn or self._start_turn(now)
        turn.awaiting_reply = False
        turn.poke(now)
        return turn

    def _delegated(self, event: LiveResponseEvent, connection: RealtimeConnection, now: float) -> None:
        calls = self._calls
        call = calls.ledger.observe(event) if calls is not None else None
        if call is None or calls is None:
            return
        turn = self._turn or self._start_turn(now)
        turn.open_calls += 1
        turn.poke(now)
        call_id, name = str(call["call_id"]), str(call.get("name", ""))
        raw = call.get("arguments")
        arguments = raw if isinstance(raw, str) else "{}"
        self._emit(
            ToolCallStarted(time=now, call_id=call_id, name=name, arguments=arguments, response_id=turn.id)
        )
        scope = anyio.CancelScope()
        if self._closing:
            scope.cancel()  # delegated as the session closes: answered as cancelled at once
        self._running[call_id] = scope
        self._idle = anyio.Event()
        assert self._tg is not None
        self._tg.start_soon(self._call, calls, connection, call, arguments, turn, scope)

    async def _call(
        self,
        calls: DelegatedCalls,
        connection: RealtimeConnection,
        call: dict[str, Any],
        arguments: str,
        turn: _Turn,
        scope: anyio.CancelScope,
    ) -> None:
        call_id, name = str(call["call_id"]), str(call.get("name", ""))
        outcome: ToolOutcome | None = None
        with scope:
            context = ToolContext(
                call_id=call_id,
                tool_name=name,
                deps=self.deps,
                session=self,
                logger=_tool_logger.getChild(name),
            )
            outcome = await calls.run(call, context)
        if outcome is None:
            outcome = ToolOutcome.cancelled(call_id, name, self._cancel_reason)
        answer = calls.ledger.answer(call_id, outcome.output)  # exactly once, whatever happens next
        with anyio.CancelScope(shield=True):
            try:
                if calls is self._calls:
                    for frame in answer:
                        await self._send(connection, frame)
                    turn.awaiting_reply = True
            except ConnectionClosed:
                logger.info("live session %s: call %s was lost with its connection", self.id, call_id)
        turn.calls.append(ToolCallRecord(call_id, name, arguments, outcome.output, outcome.status))
        self._settled(call_id, turn)
        now = self._clock()
        self._emit(
            ToolCallFinished(
                time=now,
                call_id=call_id,
                name=name,
                arguments=arguments,
                output=outcome.output,
                status=outcome.status,
            )
        )

    def _handed_over(self, event: LiveDelegationCreated, connection: RealtimeConnection, now: float) -> None:
        """Client delegation: the service handed the user's request to the application."""
        delegations, calls = self._delegations, self._calls
        delegation_id = delegations.observe(event)
        if delegation_id is None or calls is None:
            return
        turn = self._turn or self._start_turn(now)
        turn.open_calls += 1
        turn.poke(now)
        scope = anyio.CancelScope()
        if self._closing:
            scope.cancel()
        self._running[delegation_id] = scope
        self._idle = anyio.Event()
        assert self._tg is not None
        self._tg.start_soon(self._work, delegations, calls, connection, delegation_id, turn, scope)

    async def _work(
        self,
        delegations: ClientDelegations,
        calls: DelegatedCalls,
        connection: RealtimeConnection,
        delegation_id: str,
        turn: _Turn,
        scope: anyio.CancelScope,
    ) -> None:
        """Do one delegation's work and give it exactly one result (silent when there is none)."""
        content: str | None = None
        spoken = True
        with scope:
            if self._client_delegate is None:
                content, spoken = "This application takes no delegated work: answer the user yourself.", False
            else:
                ran = 0

                async def run_tool(name: str, arguments: dict[str, Any] | str) -> ToolOutcome:
                    nonlocal ran
                    ran += 1
                    return await self._run_tool(calls, turn, f"{delegation_id}.{ran}", name, str(arguments))

                task = DelegatedTask(delegation_id, "".join(turn.user).strip(), self.tools, run_tool)
                try:
                    content = await self._client_delegate(task)
                except Exception:
                    logger.exception("live session %s: the delegate failed on %s", self.id, delegation_id)
                    content = "The delegated work failed with an error; tell the user it could not be done."
        if content is None:
            content, spoken = f"The delegated work was not done: {self._cancel_reason}.", False
        answer = delegations.answer(delegation_id, content, spoken=spoken)  # exactly once
        with anyio.CancelScope(shield=True):
            try:
                if delegations is self._delegations:
                    await self._send(connection, answer)
                    turn.awaiting_reply = spoken
            except ConnectionClosed:
                logger.info(
                    "live session %s: delegation %s was lost with its connection", self.id, delegation_id
                )
        self._settled(delegation_id, turn)

    async def _run_tool(
        self, calls: DelegatedCalls, turn: _Turn, call_id: str, name: str, arguments: str
    ) -> ToolOutcome:
        """One tool run inside a client delegation, shown and recorded like a delegated call."""
        self._emit(
            ToolCallStarted(
                time=self._clock(), call_id=call_id, name=name, arguments=arguments, response_id=turn.id
            )
        )
        context = ToolContext(
            call_id=call_id, tool_name=name, deps=self.deps, session=self, logger=_tool_logger.getChild(name)
        )
        try:
            outcome = await calls.run({"call_id": call_id, "name": name, "arguments": arguments}, context)
        except anyio.get_cancelled_exc_class():
            outcome = ToolOutcome.cancelled(call_id, name, self._cancel_reason)
            self._finished(turn, call_id, arguments, outcome)
            raise
        self._finished(turn, call_id, arguments, outcome)
        return outcome

    def _finished(self, turn: _Turn, call_id: str, arguments: str, outcome: ToolOutcome) -> None:
        name = outcome.name
        turn.calls.append(ToolCallRecord(call_id, name, arguments, outcome.output, outcome.status))
        self._emit(
            ToolCallFinished(
                time=self._clock(),
                call_id=call_id,
                name=name,
                arguments=arguments,
                output=outcome.output,
                status=outcome.status,
            )
        )

    def _settled(self, key: str, turn: _Turn) -> None:
        del self._running[key]
        if not self._running:
            self._idle.set()
        turn.open_calls -= 1
        turn.poke(self._clock())

    def _cancel_calls(self, reason: str) -> None:
        self._cancel_reason = reason
        for scope in self._running.values():
            scope.cancel()

    async def _watch(self, turn: _Turn) -> None:
        """Ends `turn` once the service has been quiet long enough with nothing outstanding."""
        while self._turn is turn:
            changed = turn.changed
            quiet_until = turn.last_activity + self._turn_quiet
            if turn.open_calls:
                await changed.wait()
            elif self._clock() < quiet_until:
                with anyio.move_on_after(quiet_until - self._clock()):
                    await changed.wait()
            elif turn.awaiting_reply and self._clock() < turn.last_activity + self._reply_wait:
                with anyio.move_on_after(turn.last_activity + self._reply_wait - self._clock()):
                    await changed.wait()
            elif turn.text or turn.calls or turn.user:
                self._finish_turn(interrupted=False)
            else:
                return

    def _finish_turn(self, *, interrupted: bool) -> None:
        turn, self._turn = self._turn, None
        if turn is None:
            return
        now = self._clock()
        user, said = "".join(turn.user).strip(), "".join(turn.text).strip()
        if user:
            self._messages.append(LiveMessage("user", user))
        for record in turn.calls:
            if record.status == "ok":
                self._messages.append(LiveMessage("developer", f"{record.name} returned: {record.output}"))
        if said:
            self._messages.append(LiveMessage("assistant", said))
        del self._messages[: -self.agent.replay_limit]
        result = Turn(
            user_input=user,
            text=said,
            tool_calls=tuple(turn.calls),
            usage=Usage(),
            interrupted=interrupted,
            response_ids=(turn.id,),
            started_at=turn.started_at,
            ended_at=now,
        )
        turn.changed.set()
        self._emit(TurnDone(time=now, turn=result))

    def _emit(self, event: AppEvent) -> None:
        self._events.publish(event)
