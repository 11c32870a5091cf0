"""`Session`: the anyio shell around the turn engine for one live conversation.

One connection at a time, one reader and one writer task for it, and the tool runs, all in one task
group that the session owns: nothing it starts outlives it. The engine decides; this file only
carries out its actions (queue a frame, start or cancel a tool, hand out an event), in order, and
feeds it what happens (server events, tool outcomes, application commands) with `time.monotonic()`.

When the connection is lost (a drop, a close, or a fatal error such as `session_expired`), the
session reconnects with backoff, and the engine replays the conversation into the new connection.
If that fails for good, running calls are cancelled and answered, and every waiter gets
`SessionClosed` with the last connection error as its cause.

Attached to a call (`call_id`: a WebRTC or SIP call the service holds), the session is the call's
sideband: the service sends no `session.created`, so the session speaks first (`session.update`) and
is open once `session.updated` confirms it; a drop re-attaches to the same call without replaying
anything; the service closing the socket normally means the call ended, and the session ends too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
from anyio.abc import TaskGroup

from agentkit import audio
from agentkit.connection import (
    ConnectionClosed,
    Endpoint,
    HandshakeError,
    RealtimeConnection,
    TransportOptions,
)
from agentkit.engine import (
    Action,
    AppEvent,
    ApprovalDecided,
    ApprovalError,
    ApprovalRequested,
    CallPolicy,
    CancelCall,
    Emit,
    ErrorReported,
    Send,
    StartCall,
    ToolCallFinished,
    Turn,
    TurnDone,
    TurnEngine,
)
from agentkit.engine.interim import service_filler
from agentkit.handoffs import HandedOff, check_audio, check_handoffs, find_agent, reachable, session_toolset
from agentkit.history import History, export_history
from agentkit.observer import SessionInfo, SessionObserver
from agentkit.protocol import (
    ClientEvent,
    Codec,
    ConversationItemCreate,
    ErrorDetail,
    ErrorEvent,
    InputAudioBufferCommit,
    InputTextPart,
    MessageItem,
    ProtocolError,
    ResponseCancel,
    ResponseCreate,
    ResponseParams,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    new_id,
)
from agentkit.session.approvals import ApproverRunner, Decision, approval_check
from agentkit.session.deadline import DeadlineTimer
from agentkit.session.errors import SessionClosed
from agentkit.session.events import DEFAULT_BUFFER, Broadcast, EventsDropped, EventStream, ToolProgress
from agentkit.session.fillers import filler_instructions
from agentkit.session.guarding import SessionGuards
from agentkit.session.outbox import Outbox
from agentkit.session.reconnect import worth_retrying
from agentkit.session.tool_runner import ToolRunner
from agentkit.tools import Tool, ToolContext, ToolOutcome, Toolset

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.tools.toolset import ToolLike

logger = logging.getLogger("agentkit.session")
_tool_logger = logging.getLogger("agentkit.tools")

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_AUDIO_CHUNK_MS = 200
_AUDIO_HIGH_WATER = 64
"""Queued frames above which `send_audio` waits for the writer (back-pressure on a slow socket)."""


@dataclass
class _Lost:
    """Why a connection ended."""

    error: BaseException | None = None
    error_code: str | None = None

    def describe(self) -> str:
        if self.error_code:
            return f"server error {self.error_code}"
        return str(self.error) if self.error is not None else "connection ended"


class _TurnWaiter:
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.turn: Turn | None = None


class Session:
    """A live conversation with a Realtime model. Open it with `async with agent.connect() as session:`.

    Commands (`send_text`, `send_audio`, ...) return as soon as their frames are queued; what the
    model does arrives as typed events (`async for event in session`) and as whole turns (`ask`).
    """

    def __init__(
        self,
        agent: Agent,
        endpoint: Endpoint,
        *,
        deps: Any,
        observer: SessionObserver,
        transport: TransportOptions | None = None,
        handshake_timeout: float = 10.0,
        close_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        call_id: str | None = None,
    ) -> None:
        self.id = new_id("session")
        """This client's id for the session; stays the same across reconnects."""
        self.call_id = call_id
        """The call this session controls over its sideband (None: a session of its own)."""
        self._sideband = endpoint.for_call(call_id) if call_id is not None else None
        self._output_key = secrets.token_bytes(16)
        self.call_ended = False
        """Attached sessions: the service closed the sideband normally, i.e. the call is over."""
        self.endpoint = endpoint
        self.agent = agent
        self.tools: Toolset = session_toolset(agent)
        """This session's own tools: enable or disable them here, then call `update_tools()`."""
        self.current_agent: Agent = agent
        self._overrides: dict[str, Tool] = {}
        """The agent speaking now (`agent` until a handoff)."""
        self.deps = deps
        self.server_session_id: str | None = None
        self.attached_session: SessionConfig | None = None
        """Attached sessions: the session the service reported when the attach settled (the call's
        state before anyone else on it could change it; the WebRTC guard restores from it)."""
        self._observer = observer
        self._transport = transport
        self._handshake_timeout = handshake_timeout
        self._close_timeout = close_timeout
        self._clock = clock
        config, filler_after = service_filler(
            agent.session_config(self.tools), agent.filler_after, endpoint.dialect, endpoint.model
        )
        self._engine = TurnEngine(
            config,
            policy=self._policy,
            replay_limit=agent.replay_limit,
            create_timeout=agent.create_timeout,
            approvals=approval_check(lambda: self.tools, self._tool_context, agent.approval_timeout),
            filler_after=filler_after,
            attached=call_id is not None,
            output_item_id=self._output_item_id if call_id is not None else None,
        )
        self._timer = DeadlineTimer(clock)
        """Armed at the engine's `next_deadline` (re-armed whenever it moves) to call its `tick`."""
        self._configured = False
        """Set by the first `session.updated` (an attached session is open once it arrives)."""
        self._refusal: ErrorDetail | None = None
        """An error the service sent before confirming the first `session.update`."""
        self._attach_settled = anyio.Event() if call_id is not None else None
        """Attached sessions: configured, refused or ended: what `__aenter__` waits for."""
        self._outbox = Outbox()
        self._events: Broadcast[AppEvent] = Broadcast()
        self._server_events: Broadcast[ServerEvent] = Broadcast()
        self._turn_waiters: deque[_TurnWaiter] = deque()
        self._ask_lock: anyio.Lock | None = None
        """Made by the first `ask` (a relay's sessions never ask)."""
        self._tg: TaskGroup | None = None
        self._runner: ToolRunner | None = None
        self._approver: ApproverRunner | None = None
        guarded = agent.output_guardrails or agent.tool_input_guardrails or agent.tool_output_guardrails
        self._guards = (
            SessionGuards(
                list(agent.output_guardrails),
                list(agent.tool_input_guardrails),
                list(agent.tool_output_guardrails),
                self._emit,
                clock,
            )
            if guarded
            else None
        )
        """None for an agent without guardrails: nothing to hold, and each event goes straight on."""
        self._connection: RealtimeConnection | None = None
        self._connection_scope = anyio.CancelScope()
        """Holds the reader, the writer and reconnects; cancelled on close only when they do not end
        by themselves (while reconnecting, or a close that hangs): never the caller's scope."""
        self._connection_running = False
        self._connection_done: anyio.Event | None = None
        """Created only when `aclose` has to wait for the connection task to end."""
        self._fatal: ErrorDetail | None = None
        self._entered = False
        self._connecting_since: float | None = None
        self._closing = False
        self._failure: BaseException | None = None
        self._audio_chunk = audio.bytes_for_ms(_AUDIO_CHUNK_MS, agent.input_audio_format or "pcm16")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "connected" if self._engine.is_connected else "reconnecting"
        return f"<Session {self.id} agent={self.agent.name!r} {state} endpoint={self.endpoint!r}>"

    # -- state -----------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closing or self._failure is not None or self.call_ended

    @property
    def connected(self) -> bool:
        return self._engine.is_connected and not self.closed

    @property
    def failure(self) -> BaseException | None:
        """Why the session ended on its own (None while it runs, or when the application closed it)."""
        return self._failure

    @property
    def busy(self) -> bool:
        """Whether a turn is in progress: a response is being produced or awaited, or a tool runs
        (a relay draining for a deploy waits for this to clear before it closes the connection)."""
        return not self.closed and (self._engine.response_active or bool(self.running_calls))

    def conversation(self) -> list[dict[str, Any]]:
        """The conversation so far (the replay record, tool outputs included) as JSON-able entries,
        for continuing it in another session, in this process or another: `restore_conversation`."""
        return self._engine.conversation()

    def restore_conversation(self, entries: list[dict[str, Any]]) -> None:
        """Before `async with`: continue the conversation `conversation()` exported (its calls all
        answered); the new connection is given it as a reconnect's replay is. ValueError if malformed."""
        if self._entered:
            raise RuntimeError("restore the conversation before opening the session")
        self._engine.restore(entries)

    def emit(self, event: AppEvent) -> None:
        """Publish an application event from a built-in tool or a plugin (observers and tracing see
        it too), as if the session had produced it."""
        if not self.closed:
            self._emit(event)

    def now(self) -> float:
        """The session's clock (`time` of its events)."""
        return self._clock()

    def history(self) -> dict[str, Any]:
        """The conversation so far as a JSON-ready document (`agentkit.history`): messages as heard,
        calls with their outputs, and the agent speaking now. Pass it to `agent.connect(history=...)`
        (in this process or another, today or later) to continue the conversation."""
        return export_history(self._engine.conversation(), self.current_agent.name)

    def restore_history(self, history: History) -> None:
        """Before `async with`: continue a parsed history (`agent.connect(history=...)` does this),
        as the agent that was speaking when it is one this session's agent can hand off to."""
        self.restore_conversation(history.entries)
        speaker = find_agent(self.agent, history.agent) if history.agent else None
        if speaker is not None and speaker is not self.current_agent:
            self.tools = self._agent_tools(speaker)
            self.current_agent = speaker
            update = SessionConfig(instructions=speaker.instructions or "", tools=self.tools.definitions())
            self._engine.update_session(update, self._clock())  # not connected yet: only remembered

    @property
    def running_calls(self) -> tuple[str, ...]:
        """The call ids of the tools running now."""
        return self._runner.running if self._runner is not None else ()

    @property
    def config(self) -> SessionConfig:
        """The session configuration as sent so far: the agent's, with every update merged in."""
        return self._engine.config

    @property
    def response_requested(self) -> bool:
        """A response is active, being created, or asked for and waiting for the active one to end."""
        return self._engine.response_requested

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        if self._entered:
            raise RuntimeError("a Session can be opened only once; call agent.connect() again")
        self._entered = True
        self._connecting_since = self._clock()
        # What this service cannot take (a custom voice over the preview, Voice Live settings over
        # OpenAI) fails here, as an `EncodeError` naming it, before any socket is opened.
        Codec(self.endpoint.dialect).encode_client_event(SessionUpdate(session=self._engine.config))
        connection, first = await self._open()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        if self.agent.approver is not None:
            self._approver = ApproverRunner(self._tg, self.agent.approver, self._decided)
        now = self._clock()
        self._connection = connection
        self._notify(self._observer.session_started, self._info(), now)
        self._notify(self._observer.connection_event, "connected", now, attempt=0)
        if first is not None:
            self._receive(first, now)
        self._apply(self._engine.connected(now), now)
        self._connection_running = True
        self._tg.start_soon(self._run_connection, connection, name=f"session {self.id} connection")
        if self._sideband is not None:
            await self._await_attached()
        return self

    async def _await_attached(self) -> None:
        """An attached call sends no `session.created`: the session is open once `session.updated`
        confirms our `session.update`; an error first, a close or silence fails the connect."""
        assert self._attach_settled is not None
        with anyio.move_on_after(self._handshake_timeout):
            await self._attach_settled.wait()
        if self._configured:
            return
        reason = (
            f"the service refused the session.update: {self._refusal.code or self._refusal.type}: "
            f"{self._refusal.message}"
            if self._refusal is not None
            else "the call ended"
            if self.closed
            else f"no session.updated within {self._handshake_timeout:g} s"
        )
        failure = HandshakeError(f"attaching to call {self.call_id} failed: {reason}", url=self._url_shown())
        with anyio.CancelScope(shield=True):
            await self.aclose()
        assert self._tg is not None
        await self._tg.__aexit__(None, None, None)
        raise failure

    def _url_shown(self) -> str:
        return (self._sideband or self.endpoint).url

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        assert self._tg is not None
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            self._runner = None  # it refers back to this session: a closed one is freed without the GC
            self._approver = None  # likewise
            if self._guards is not None:
                self._guards.release()

    async def aclose(self) -> None:
        """End the session: running calls are cancelled and answered, then the connection closes."""
        if self._closing or self._tg is None:
            return
        self._closing = True
        with anyio.CancelScope(shield=True):
            now = self._clock()
            was_connected = self._engine.is_connected
            self._apply(self._engine.close(now), now)
            if was_connected:
                with anyio.move_on_after(self._close_timeout):
                    await self._outbox.drained()
            if self._runner is not None:
                self._runner.cancel_all("session closed")
            if self._approver is not None:
                self._approver.cancel_all()
            connection, self._connection = self._connection, None
            if connection is not None:
                # The reader sees the close and the connection task ends on its own: no task is
                # cancelled, so no exception, traceback and frames are left for the cyclic GC.
                with anyio.move_on_after(self._close_timeout):
                    await connection.close()
                if self._connection_running:
                    self._connection_done = anyio.Event()
                    with anyio.move_on_after(self._close_timeout):
                        await self._connection_done.wait()
            self._connection_scope.cancel()  # still reconnecting, or a close that hung
            self._end(None)
            self._notify(self._observer.session_closed, self._clock())

    # -- channels --------------------------------------------------------------------------------

    def owns_output(self, item_id: str | None, call_id: str) -> bool:
        """Whether a `function_call_output` item is this session's own (on an attached call, its
        outputs carry ids only this session can make, so a device cannot pass one off as ours)."""
        return item_id is not None and hmac.compare_digest(item_id, self._output_item_id(call_id))

    def _output_item_id(self, call_id: str) -> str:
        digest = hmac.new(self._output_key, call_id.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
        return "out_" + digest[:24]

    def notify(self, event: AppEvent) -> None:
        """An event from a channel watching this session (e.g. the WebRTC guard's `PolicyEnforced`):
        observers and subscribers get it like the engine's own."""
        if not self.closed:
            self._emit(event)

    # -- application commands --------------------------------------------------------------------

    async def send_text(self, text: str, *, respond: bool = True) -> None:
        """A user message; with `respond`, the model answers it (after any response in progress)."""
        self._command(lambda now: self._engine.send_text(text, now, respond=respond))

    async def send_audio(self, data: bytes) -> None:
        """Append input audio (in the agent's input format), in chunks; waits while the socket lags."""
        for chunk in audio.chunks(data, self._audio_chunk, self.agent.input_audio_format or "pcm16"):
            if len(self._outbox) >= _AUDIO_HIGH_WATER:
                await self._outbox.drained()
            self._command(partial(self._engine.append_audio, chunk))

    async def commit_audio(self, *, respond: bool = True) -> None:
        """End of the user's spoken turn (manual turns; server VAD commits by itself)."""
        self._command(lambda now: self._engine.commit_audio(now, respond=respond))

    async def create_response(self, params: ResponseParams | None = None) -> None:
        """Ask the model to respond now (queued while a response is active)."""
        self._command(lambda now: self._engine.request_response(now, params))

    async def cancel_response(self) -> None:
        self._command(self._engine.cancel_response)

    async def interrupt(self, played_ms: int | None = None) -> None:
        """Stop the assistant (the user barged in): cancels the response and truncates what was not heard.

        `played_ms`: how much of the playing item was heard, when the application knows better than
        real-time playback.
        """
        self._command(lambda now: self._engine.interrupt(now, played_ms=played_ms))

    def report_playback(self, item_id: str, played_ms: int) -> None:
        """How far the application has played an assistant audio item (used to truncate on barge-in)."""
        self._command(lambda now: self._engine.playback(item_id, played_ms, now))

    @property
    def awaiting_approval(self) -> tuple[str, ...]:
        """The call ids waiting for `approve` or `reject`."""
        return self._engine.awaiting_approval

    async def approve(self, call_id: str) -> None:
        """Let a call that waits for approval run. `ApprovalError` when it is not waiting (unknown,
        or already approved, rejected, timed out or cancelled)."""
        self._command(lambda now: self._engine.approve(call_id, now))

    async def reject(self, call_id: str, reason: str = "") -> None:
        """Turn a waiting call down: the model is told it was not done, and `reason` (say it in words
        the model can repeat to the user). `ApprovalError` when it is not waiting."""
        self._command(lambda now: self._engine.reject(call_id, reason, now))

    async def hand_off(self, target: Agent, *, reason: str = "", call_id: str | None = None) -> str:
        """Let `target` take over the conversation: its instructions and tools (with its own transfer
        tools) in one `session.update`; the conversation so far is kept. Returns what a transfer tool
        tells the model. `HandoffError` when `target` cannot take over this session."""
        self._check_open()
        check_handoffs(target)
        tools = self._agent_tools(target)
        check_audio(self.agent, target)
        previous, self.current_agent, self.tools = self.current_agent, target, tools
        update = SessionConfig(instructions=target.instructions or "", tools=tools.definitions())
        if target.tool_choice is not None:
            update.tool_choice = target.tool_choice
        self._command(lambda now: self._engine.update_session(update, now))
        event = HandedOff(
            time=self._clock(), from_agent=previous.name, to_agent=target.name, reason=reason, call_id=call_id
        )
        self._emit(event)
        logger.info("session %s: %s handed off to %s (%s)", self.id, previous.name, target.name, reason)
        return (
            f"Transferred to {target.name}. Say to the customer that {target.name} takes it from here, "
            f"then continue the conversation as {target.name}."
        )

    def override_tool(self, tool: Tool) -> None:
        """Use `tool` for this session in place of the tool with its name, in the tools of whichever
        agent speaks, now and after handoffs (a test's mock goes in this way). KeyError when neither
        this session's agent nor any agent it can hand off to has such a tool."""
        in_session = any(t.name == tool.name for t in self.tools.all_tools)
        agents = reachable(self.agent)
        if not in_session and not any(t.name == tool.name for a in agents for t in a.toolset.all_tools):
            have = ", ".join(sorted({t.name for a in agents for t in a.toolset.all_tools}))
            raise KeyError(f"no agent of this session has a tool {tool.name!r} (they have {have})")
        self._overrides[tool.name] = tool
        if in_session:
            self.tools.replace(tool)

    def _agent_tools(self, agent: Agent) -> Toolset:
        """The tools a session running `agent` offers, with this session's overrides in place."""
        tools = session_toolset(agent)
        for name, override in self._overrides.items():
            if any(t.name == name for t in tools.all_tools):
                tools.replace(override)
        return tools

    async def update_instructions(self, instructions: str) -> None:
        self._command(lambda now: self._engine.update_session(SessionConfig(instructions=instructions), now))

    async def update_tools(self, tools: Iterable[ToolLike] | None = None) -> None:
        """Offer the model a new tool list, or (with no argument) `session.tools` as it is now."""
        if tools is not None:
            self.tools = Toolset(tools, name=self.tools.name)
        update = SessionConfig(tools=self.tools.definitions())
        self._command(lambda now: self._engine.update_session(update, now))

    async def ask(self, text: str, *, timeout: float | None = 120.0) -> Turn:  # noqa: ASYNC109 (a per-turn limit)
        """Send `text` and return the whole turn once the model is done, after all its tool rounds.

        Raises `TimeoutError` when the turn takes longer than `timeout` seconds, and `SessionClosed`
        when the session ends first. Concurrent `ask`s take turns.
        """
        if self._ask_lock is None:
            self._ask_lock = anyio.Lock(fast_acquire=True)
        async with self._ask_lock:
            self._command(lambda now: self._engine.send_text(text, now))
            waiter = _TurnWaiter()
            self._turn_waiters.append(waiter)
            try:
                with anyio.fail_after(timeout):
                    await waiter.done.wait()
            except TimeoutError:
                raise TimeoutError(f"no complete answer within {timeout} s") from None
            finally:
                if waiter in self._turn_waiters:
                    self._turn_waiters.remove(waiter)
            if waiter.turn is None:
                raise self._closed_error()
            return waiter.turn

    # -- events ----------------------------------------------------------------------------------

    def events(self, maxsize: int = DEFAULT_BUFFER) -> EventStream[AppEvent]:
        """Subscribe now: app events from this moment on, in a buffer of `maxsize` (oldest dropped,
        then one `EventsDropped` notice). `async for event in session` subscribes when it starts."""
        return self._events.subscribe(maxsize, self._dropped_notice)

    async def __aiter__(self) -> AsyncIterator[AppEvent]:
        async with self.events() as stream:
            async for event in stream:
                yield event

    def server_events(self, maxsize: int = DEFAULT_BUFFER) -> EventStream[ServerEvent]:
        """Subscribe to the canonical server events as they arrive, before the engine acts on them
        (the relay forwards them). A full buffer drops the oldest; `stream.dropped` counts them."""
        return self._server_events.subscribe(maxsize)

    async def send_client_event(self, event: ClientEvent) -> None:
        """Send a client event from elsewhere (the relay), keeping the engine's books straight.

        `response.create`, `response.cancel`, `session.update`, `input_audio_buffer.commit` and user
        text messages go through the engine (queued responses, turns, replay after a reconnect);
        anything else is forwarded as is. While reconnecting, forwarded events are dropped.
        """
        if isinstance(event, ResponseCreate):
            self._command(lambda now: self._engine.request_response(now, event.response))
        elif isinstance(event, ResponseCancel):
            self._command(self._engine.cancel_response)
        elif isinstance(event, SessionUpdate):
            self._command(lambda now: self._engine.update_session(event.session, now))
        elif isinstance(event, InputAudioBufferCommit):
            self._command(lambda now: self._engine.commit_audio(now, respond=False))
        elif (text := _user_text(event)) is not None:
            item_id = event.item.id if isinstance(event, ConversationItemCreate) else None
            self._command(lambda now: self._engine.send_text(text, now, respond=False, item_id=item_id))
        else:
            self._check_open()
            if self._engine.is_connected:
                self._outbox.put(event)
            else:
                logger.debug("session %s: dropped a %s while reconnecting", self.id, event.kind)

    # -- the engine's actions --------------------------------------------------------------------

    def _command(self, step: Callable[[float], list[Action]]) -> None:
        self._check_open()
        now = self._clock()
        self._apply(step(now), now)

    def _apply(self, actions: list[Action], now: float) -> None:
        for action in actions:
            if type(action) is Send:
                self._outbox.put(action.event)
            elif type(action) is Emit:
                self._emit(action.event)
            elif type(action) is StartCall:
                (self._runner or self._start_runner()).start(action, now)
            elif type(action) is CancelCall and self._runner is not None:
                self._runner.cancel(action.call_id, action.reason)
        deadline = self._engine.next_deadline
        if deadline != self._timer.deadline:
            self._timer.arm(deadline, self._deadline_passed)

    def _start_runner(self) -> ToolRunner:
        """The tool runner, made at the first call (many sessions never call a tool, and an idle
        one should hold as little as it can)."""
        assert self._tg is not None
        self._runner = ToolRunner(
            self._tg,
            tools=lambda: self.tools,
            limiter=anyio.CapacityLimiter(self.agent.max_concurrent_tools),
            default_timeout=self.agent.tool_timeout,
            observer=self._observer,
            context=self._tool_context,
            on_finished=self._tool_finished,
            precheck=self._guards.precheck if self._guards is not None else None,
        )
        return self._runner

    def _deadline_passed(self) -> None:
        """The engine's deadline came (on the event loop, outside any task): give up what waited."""
        try:
            now = self._clock()
            self._apply(self._engine.tick(now), now)
        except Exception:  # a bug here must not pass silently, nor leave the session's timer dead
            logger.exception("session %s: the deadline check failed", self.id)

    def _emit(self, event: AppEvent) -> None:
        try:
            self._observer.on_event(event)
        except Exception:
            logger.exception("session %s: observer failed on %s", self.id, type(event).__name__)
        if isinstance(event, ErrorReported):
            self._log_error(event)
            if event.fatal:
                self._fatal = event.error
        elif isinstance(event, TurnDone) and self._turn_waiters:
            waiter = self._turn_waiters.popleft()
            waiter.turn = event.turn
            waiter.done.set()
        elif isinstance(event, ApprovalRequested) and self._approver is not None:
            self._approver.ask(event)
        elif isinstance(event, (ApprovalDecided, ToolCallFinished)) and self._approver is not None:
            self._approver.cancel(event.call_id)  # decided some other way: the approver stops asking
        self._events.publish(event)

    def _receive(self, event: ServerEvent, now: float) -> None:
        if self._guards is None:
            self._show(event, now)
            return
        released, stop = self._guards.screen(event, now)
        if stop is not None:
            actions = self._engine.stop_output(
                stop.response_id, stop.item_id, stop.kept_chars, now, replacement=stop.replacement
            )
            self._apply(actions, now)
        for shown in released:
            self._show(shown, now)

    def _show(self, shown: ServerEvent, now: float) -> None:
        """One server event, as screened: to the relay's subscribers, then to the engine."""
        self._server_events.publish(shown)
        if isinstance(shown, ProtocolError):
            logger.warning("session %s: unreadable frame skipped: %s", self.id, shown.message)
            return
        if isinstance(shown, SessionCreated) and shown.session.id:
            self.server_session_id = shown.session.id
        self._note_attach(shown)
        self._apply(self._engine.receive(shown, now), now)

    def _note_attach(self, event: ServerEvent) -> None:
        """An attaching session is open at the first `session.updated`, refused at an error before it."""
        if self._configured:
            return
        if isinstance(event, SessionUpdated):
            self._configured = True
            if self._attach_settled is not None:
                self.attached_session = event.session
                self._attach_settled.set()
        elif isinstance(event, ErrorEvent) and self._attach_settled is not None:
            self._refusal = event.error
            self._attach_settled.set()

    def _decided(self, call_id: str, decision: Decision) -> None:
        """The approver answered; a call a person or its deadline decided first stays as it is."""
        if self.closed:
            return
        try:
            if decision.approved:
                self._command(lambda now: self._engine.approve(call_id, now))
            else:
                self._command(lambda now: self._engine.reject(call_id, decision.reason, now))
        except ApprovalError as exc:
            logger.info("session %s: the approver's decision came too late: %s", self.id, exc)

    def _tool_finished(self, outcome: ToolOutcome) -> None:
        if self._guards is not None:
            outcome = self._guards.screen_outcome(outcome)
        now = self._clock()
        self._apply(
            self._engine.call_finished(outcome.call_id, outcome.output, status=outcome.status, now=now), now
        )

    def _policy(self, name: str) -> CallPolicy:
        tool = self.tools.get(name)
        if tool is None:
            return CallPolicy()
        return CallPolicy(
            follow_up=tool.follow_up,
            cancel_on_interrupt=tool.cancel_on_interrupt,
            filler=filler_instructions(tool),
            late=tool.late,
        )

    def _tool_context(self, call_id: str, name: str) -> ToolContext[Any]:
        return ToolContext(
            call_id=call_id,
            tool_name=name,
            deps=self.deps,
            session=self,
            logger=_tool_logger.getChild(name),
            progress_hook=self._progress,
        )

    async def _progress(
        self, context: ToolContext[Any], message: str, data: dict[str, Any], *, speak: bool = False
    ) -> None:
        if speak and not self.closed:
            self._command(lambda now: self._engine.say_progress(context.call_id, message, now))
        if not self.closed:
            self._emit(
                ToolProgress(
                    time=self._clock(),
                    call_id=context.call_id,
                    name=context.tool_name,
                    message=message,
                    data=data,
                )
            )

    # -- the connection --------------------------------------------------------------------------

    async def _open(self) -> tuple[RealtimeConnection, ServerEvent | None]:
        """Connect, and read the first event (`session.created`) so the session's server id is known.

        An attached call sends no `session.created`: nothing is read (the session speaks first)."""
        if self._sideband is not None:
            return await self._sideband.connect(self._transport), None
        connection = await self.endpoint.connect(self._transport)
        first: ServerEvent | None = None
        try:
            with anyio.move_on_after(self._handshake_timeout):
                first = await connection.recv()
        except BaseException:
            with anyio.CancelScope(shield=True), anyio.move_on_after(self._close_timeout):
                await connection.close()
            raise
        return connection, first

    async def _run_connection(self, connection: RealtimeConnection) -> None:
        try:
            with self._connection_scope:
                while True:
                    self._fatal = None
                    lost = await self._serve(connection)
                    if not self._after_loss(lost):
                        return
                    reconnected = await self._reconnect(lost)
                    if reconnected is None:
                        return
                    connection = reconnected
        finally:
            self._timer.cancel()
            self._connection_running = False
            if self._connection_done is not None:
                self._connection_done.set()

    def _after_loss(self, lost: _Lost) -> bool:
        """A connection ended: whether to reconnect (not when closing, nor when an attached call ended)."""
        if self._closing:
            return False
        now = self._clock()
        code = lost.error.code if isinstance(lost.error, ConnectionClosed) else None
        if self._sideband is not None and code == 1000:
            self._call_over(now)
            return False
        logger.warning("session %s: connection lost (%s)", self.id, lost.describe())
        self._notify(
            self._observer.connection_event,
            "connection_lost",
            now,
            code=lost.error_code or code,
            reason=lost.describe(),
        )
        self._connection = None
        self._outbox.clear()
        self._apply(self._engine.connection_lost(now), now)
        return True

    async def _serve(self, connection: RealtimeConnection) -> _Lost:
        """Read and write on one connection until it ends (or a fatal error says it must)."""
        lost = _Lost()
        self._outbox.attach(connection.send)  # a writer runs only while frames wait (outbox.py)
        try:
            # The read loop, inline: each event resumes every coroutine in the chain that awaits
            # it, so the chain is kept short. No local name for the event: it would keep the last
            # one alive while the session is idle.
            while self._fatal is None:
                self._receive(await connection.recv(), self._clock())
            lost.error_code = self._fatal.code if self._fatal is not None else None
        except ConnectionClosed as exc:
            lost.error = exc.with_traceback(None)  # its frames would hold `lost`: a cycle
        finally:
            writer = self._outbox.detach()  # it stops after the send in flight
            await self._close_connection(connection)  # which then fails fast if it hangs
            if writer is not None:
                await self._outbox.finish(writer, self._close_timeout)
        return lost

    async def _close_connection(self, connection: RealtimeConnection) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(self._close_timeout):
            await connection.close()

    async def _reconnect(self, lost: _Lost) -> RealtimeConnection | None:
        policy = self.agent.reconnect
        error: BaseException | None = lost.error
        attempt = 0
        if policy is not None and worth_retrying(lost.error, lost.error_code):
            while attempt < policy.max_attempts and not self._closing:
                attempt += 1
                self._notify(self._observer.connection_event, "reconnecting", self._clock(), attempt=attempt)
                await anyio.sleep(policy.delay(attempt))
                try:
                    connection, first = await self._open()
                except Exception as exc:  # any failure to connect is one failed attempt
                    error = exc
                    logger.warning("session %s: reconnect attempt %d failed: %s", self.id, attempt, exc)
                    if not worth_retrying(exc):
                        break
                    continue
                now = self._clock()
                self._connection = connection
                if first is not None:
                    self._receive(first, now)
                self._apply(self._engine.reconnected(now), now)
                self._notify(self._observer.connection_event, "reconnected", now, attempt=attempt)
                logger.info("session %s: reconnected (attempt %d)", self.id, attempt)
                return connection
        reason = lost.describe() if error is None else f"{type(error).__name__}: {error}"
        self._notify(
            self._observer.connection_event, "reconnect_failed", self._clock(), attempt=attempt, reason=reason
        )
        failure = SessionClosed(
            f"session {self.id}: the connection was lost ({lost.describe()}) and could not be restored "
            f"after {attempt} attempt(s): {reason}"
        )
        failure.__cause__ = error
        self._end(failure)
        return None

    # -- ending ----------------------------------------------------------------------------------

    def _call_over(self, now: float) -> None:
        """The service closed the sideband normally: the call ended, and so does the session."""
        logger.info("session %s: call %s ended", self.id, self.call_id)
        self._notify(self._observer.connection_event, "call_ended", now, reason="the service closed the call")
        self._connection = None
        self.call_ended = True
        self._end(None)

    def _end(self, failure: BaseException | None) -> None:
        """No more turns or events: answer running calls, wake every waiter, end every stream."""
        if failure is not None and self._failure is None:
            self._failure = failure
        now = self._clock()
        if not self._engine.closed:
            self._apply(self._engine.close(now), now)
        if self._runner is not None:
            self._runner.cancel_all("session closed")
        if self._approver is not None:
            self._approver.cancel_all()
        self._outbox.clear()  # nothing more is written; wakes a `send_audio` held by back-pressure
        while self._turn_waiters:
            self._turn_waiters.popleft().done.set()
        if self._attach_settled is not None:
            self._attach_settled.set()
        self._events.end(self._failure)
        self._server_events.end(self._failure)

    def _check_open(self) -> None:
        if self.closed:
            raise self._closed_error()

    def _closed_error(self) -> SessionClosed:
        if self._failure is not None:
            error = SessionClosed(str(self._failure))
            error.__cause__ = self._failure.__cause__ or self._failure
            return error
        return SessionClosed(f"session {self.id} is closed")

    def _dropped_notice(self, count: int) -> AppEvent:
        return EventsDropped(time=self._clock(), count=count)

    def _info(self) -> SessionInfo:
        provider: str = self.endpoint.provider
        if provider == "custom" and urlsplit(self.endpoint.url).hostname in _LOOPBACK:
            provider = "local"
        return SessionInfo(
            agent_name=self.agent.name,
            provider=provider,
            model=self.endpoint.model,
            session_id=self.id,
            dialect=self.endpoint.dialect,
            server_session_id=self.server_session_id,
            connecting_since=self._connecting_since,
        )

    def _log_error(self, event: ErrorReported) -> None:
        error = event.error
        level = logging.DEBUG if event.handled else logging.WARNING
        logger.log(level, "session %s: server error %s: %s", self.id, error.code or error.type, error.message)

    def _notify(self, hook: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        try:
            hook(*args, **kwargs)
        except Exception:
            logger.exception("session %s: observer hook %s failed", self.id, getattr(hook, "__name__", hook))


def _user_text(event: ClientEvent) -> str | None:
    """The text of a `conversation.item.create` that appends a plain typed user message, else None."""
    if not isinstance(event, ConversationItemCreate) or event.previous_item_id is not None:
        return None
    item = event.item
    if not isinstance(item, MessageItem) or item.role != "user" or not item.content:
        return None
    if not all(isinstance(part, InputTextPart) for part in item.content):
        return None
    return item.text
