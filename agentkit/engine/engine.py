"""The turn engine: canonical server events, tool results and application commands in; actions out.

Everything that decides what a session does next lives in this file:

- A function call starts at its `function_call_arguments.done` (not at `output_item.done` or
  `response.done`), found by its item, never by arrival order. The preview dialect's `.done` has no
  `name`: the name then comes from `output_item.added` (or, failing that, `output_item.done`).
- Every call gets exactly one output: the tool's, or a cancellation the engine writes itself when the
  call's item or response ends `cancelled` / `incomplete` / `failed`, on interruption (per tool), on a
  lost connection before its arguments were complete, and on close. A second call with a known
  `call_id` is ignored; a result for a settled call is dropped.
- At most one `response.create` per tool batch (the calls of one response), sent only once that
  response is done, every call of it has its output posted, and no response is active or being
  created. A `conversation_already_has_active_response` error for our own `response.create` is
  recovered: skipped when the response that beat it already saw the outputs, otherwise retried once
  the active response ends. A batch overtaken by a new user turn asks for no follow-up of its own.
  Each create is tagged in `response.metadata` (`CREATE_TAG`), so once the server has echoed a tag,
  a response server VAD started is never taken for the answer to ours.
- A call whose tool needs approval waits (phase `AWAITING_APPROVAL`, still in its batch) until
  `approve` starts it, or `reject` or its deadline answers it; the book lives in `approvals`.
- A call running past `filler_after` gets one short out-of-band line (`conversation: "none"`), sent
  only when the line is quiet; it answers no call, is not recorded, and is never a batch's follow-up.
  A late result follows its tool's `late` policy (see `fillers`).
- Barge-in stops the old response's audio, truncates what was not heard, cancels the response when
  the server does not, and cancels the running calls whose policy says so.
- No wait is unbounded: a `response.create` the server leaves unanswered for `create_timeout`
  seconds is reported (`ErrorReported`, code `response_create_timeout`, not fatal) and released, so
  what it was for is asked once more (a second silence gives up on it); a "response running" refusal
  we never saw the response of holds follow-ups back only that long. The shell calls `tick(now)` at
  `next_deadline`.
- Errors are reported and the engine goes on. The conversation is recorded so that a new connection
  can be given it back (`reconnected`).
- A response the connection cut off (no `response.done` before the drop) is asked for again after
  the replay, by the same follow-up rule (one create, none while a response is active, none once a
  new user turn overtook it), unless the user or the application stopped it. The replay keeps the
  assistant text received before the drop (the application still plays the audio it already got),
  so the model sees its answer cut mid-way and continues it rather than starting over.
- On an attached call (`attached=True`: a WebRTC or SIP call the service holds, controlled over the
  sideband) the service owns the conversation and the audio. A reconnect re-attaches without
  replaying anything (the call still holds it) and posts only the outputs the service never
  acknowledged; a response the drop cut off is not asked for again (it went on without us); no
  playback is tracked and nothing is truncated (the service knows what the caller heard). Barge-in
  there is `response.cancel` plus `output_audio_buffer.clear`, so the caller stops hearing it.

This file never knows about sockets, wire dialects, clocks, threads or the tools package: frames
arrive decoded, time arrives as `now`, and a tool is a name with a `CallPolicy`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.engine.actions import Action, CallPolicy, CancelCall, Emit, Send, StartCall
from agentkit.engine.app_events import (
    AppEvent,
    ApprovalDecided,
    ApprovalRequested,
    ArgumentsDelta,
    AudioChunk,
    ErrorReported,
    InputTranscript,
    Interrupted,
    OutputAudioCleared,
    OutputAudioStarted,
    OutputAudioStopped,
    Reconnected,
    ResponseFinished,
    ResponseStarted,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TranscriptDelta,
    TurnDone,
    TurnStarted,
)
from agentkit.engine.approvals import (
    ApprovalBook,
    ApprovalCheck,
    no_approvals,
    rejected_output,
    timed_out_output,
)
from agentkit.engine.calls import Phase, ToolCall, cancelled_output, item_key, parse_partial
from agentkit.engine.fillers import FillerLine, dropped_output, filler_params, spoken_progress
from agentkit.engine.hearing import Hearing
from agentkit.engine.playback import Playback, audio_ms
from agentkit.engine.record import DEFAULT_MAX_ENTRIES, ConversationRecord
from agentkit.engine.turns import TurnBuilder, add_usage
from agentkit.protocol import (
    ClientEvent,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemTruncate,
    ErrorDetail,
    ErrorEvent,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioBufferAppend,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    InputAudioTranscriptionUpdated,
    MessageItem,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    Response,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseParams,
    ResponseTextDelta,
    ResponseTextDone,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    StatusDetails,
    TurnDetection,
    Usage,
    WarningEvent,
    event_id,
    user_text,
)

ACTIVE_RESPONSE_CODE = "conversation_already_has_active_response"
CREATE_TAG = "agentkit_create"
"""The `response.metadata` key our `response.create`s carry (value: the create's `event_id`), so the
`response.created` the server echoes it in is told apart from a response server VAD started."""
FATAL_ERROR_CODES = frozenset({"session_expired", "beta_api_shape_disabled", "invalid_beta"})
"""Codes after which this connection cannot go on (the shell reconnects or closes)."""
_ENDED_BADLY = frozenset({"cancelled", "incomplete", "failed"})
_MAY_FOLLOW_UP = frozenset({"completed", "disconnected"})
CREATE_TIMEOUT_CODE = "response_create_timeout"
BUSY_TIMEOUT_CODE = "active_response_timeout"
NO_CALL_ID_CODE = "function_call_without_call_id"
"""Reported (once per call item) when the model calls a tool with an empty `call_id`: no output can
ever be matched to it, so it is not run, and the report is what answers it."""
DEFAULT_CREATE_TIMEOUT = 15.0
_FORGET_AFTER = 1024
"""Ids of finished responses and calls kept (to ignore late events and duplicates) before the oldest go."""


def _tagged(params: ResponseParams | None, create_id: str) -> ResponseParams:
    """`params` with our tag added to its metadata (the caller's own keys are kept)."""
    tagged = params.model_copy() if params is not None else ResponseParams()
    tagged.metadata = {**(tagged.metadata or {}), CREATE_TAG: create_id}
    return tagged


def _remember(ids: dict[str, None], key: str) -> None:
    ids[key] = None
    if len(ids) > _FORGET_AFTER:
        del ids[next(iter(ids))]


def _service_names_outputs(call_id: str) -> str | None:
    """No item id of our own for a call's output: the service picks one (one function for all
    engines, rather than a lambda per engine)."""
    return None


def default_policy(name: str) -> CallPolicy:
    return CallPolicy()


def is_active_response_error(error: ErrorDetail) -> bool:
    """The server refused a `response.create` because a response is running (early servers: no code)."""
    if error.code == ACTIVE_RESPONSE_CODE:
        return True
    return error.code is None and "active response" in error.message.lower()


@dataclass(eq=False)
class _Response:
    id: str
    created_seq: int
    turn: TurnBuilder | None = None
    calls: list[ToolCall] = field(default_factory=list)
    done: bool = False
    status: str = "in_progress"
    interrupted: bool = False
    """Barge-in hit it while it ran: no more audio or text from it, and no new calls start."""
    superseded: bool = False
    """A new user turn began before its follow-up: its outputs are posted without one."""
    followed_up: bool = False
    cancel_requested: bool = False
    """We asked the server to cancel it (the application's `cancel_response`)."""
    out_of_band: bool = False
    """A filler (`conversation: "none"`): not in the conversation, never anyone's follow-up."""
    filler_due: bool = True
    """Its calls may still get their one timed filler."""
    stopped: bool = False
    """A guardrail stopped it: nothing more it says is recorded (`stop_output`)."""

    @property
    def recorded(self) -> bool:
        """Whether what it says goes into the conversation record."""
        return not self.out_of_band and not self.stopped

    @property
    def cut_off(self) -> bool:
        """The connection dropped mid-answer, not because anyone stopped it: the answer is owed."""
        return (
            self.status == "disconnected"
            and not self.interrupted
            and not self.cancel_requested
            and not self.out_of_band
        )


@dataclass(eq=False)
class _Create:
    """A `response.create` we sent, until we know whether the server took it."""

    event_id: str
    params: ResponseParams | None
    batches: list[_Response]
    from_app: bool
    sent_at: float
    retry: bool
    """It re-asks for a create that went unanswered: if it goes unanswered too, it is given up."""
    response_id: str | None = None
    out_of_band: bool = False


class EngineClosed(RuntimeError):
    """An application command reached an engine that was already closed."""


class TurnEngine:
    """A pure state machine for one Realtime session (it outlives reconnects, not `close`).

    Every method takes the current time and returns the actions to carry out, in order.
    """

    def __init__(
        self,
        session: SessionConfig | None = None,
        *,
        policy: Callable[[str], CallPolicy] = default_policy,
        new_event_id: Callable[[], str] = event_id,
        replay_limit: int = DEFAULT_MAX_ENTRIES,
        create_timeout: float | None = DEFAULT_CREATE_TIMEOUT,
        approvals: ApprovalCheck = no_approvals,
        filler_after: float | None = None,
        attached: bool = False,
        output_item_id: Callable[[str], str | None] | None = None,
    ) -> None:
        """`replay_limit`: how many of the latest conversation entries a reconnect replays (the
        record keeps no more, so a long session stays bounded in memory). `create_timeout`: seconds
        a `response.create` may go unanswered before it is released and retried (None: no limit).
        `approvals`: which calls wait for a person's decision before they start (see `approvals`).
        `filler_after`: seconds a call may run before the agent says a filler line (None: never).
        `attached`: the session controls a call the service holds (see the module's rules).
        `output_item_id`: the item id to give a call's output (None: the service picks one), so a
        guard can tell the session's own outputs from injected ones."""
        if filler_after is not None and not filler_after >= 0:
            raise ValueError(f"filler_after must be zero or more (or None), got {filler_after!r}")
        self._filler_after = filler_after
        self._lines: deque[FillerLine] = deque()
        if create_timeout is not None and not create_timeout > 0:
            raise ValueError(f"create_timeout must be positive (or None), got {create_timeout!r}")
        self._create_timeout = create_timeout
        self._attached = attached
        self._output_item_id = output_item_id or _service_names_outputs
        self._audio_playing: str | None = None
        """Attached calls: the response whose audio the caller is hearing now (`output_audio_buffer.*`)."""
        self._config = session if session is not None else SessionConfig()
        self._policy = policy
        self._needs_approval = approvals
        self._approvals = ApprovalBook()
        self._new_event_id = new_event_id
        self._seq = 0
        self._connected = False
        self._closed = False
        self._server_session = SessionConfig()
        self._responses: dict[str, _Response] = {}
        self._retired: dict[str, None] = {}
        """Finished response ids, oldest first; with `_settled_ids` bounded by `_FORGET_AFTER`."""
        self._settled_ids: dict[str, None] = {}
        self._unanswerable: dict[str, None] = {}
        """Item keys of calls without a call_id, already reported."""
        self._calls: dict[str, ToolCall] = {}
        self._calls_by_item: dict[str, ToolCall] = {}
        self._app_requests: deque[ResponseParams | None] = deque()
        self._in_flight: _Create | None = None
        self._attributed: dict[str, _Create] = {}
        self._cancel_ids: deque[str] = deque(maxlen=16)
        self._busy_since: float | None = None
        """The server refused a create for a response we never saw: follow-ups wait for its end."""
        self._retry_next = False
        self._echoes_metadata = False
        """The server echoed a tag once: from then on an untagged `response.created` is not ours."""
        self._turn: TurnBuilder | None = None
        self._playback = Playback()
        self._record = ConversationRecord(replay_limit)
        self._hearing = Hearing()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected" if self._connected else "disconnected"
        return f"<TurnEngine {state} responses={len(self._responses)} calls={len(self._calls)}>"

    # -- what the shell may ask ------------------------------------------------------------------

    @property
    def config(self) -> SessionConfig:
        """The session configuration as sent so far (what a reconnect sends again)."""
        return self._config

    @property
    def attached(self) -> bool:
        """The session controls a call the service holds (WebRTC / SIP sideband)."""
        return self._attached

    @property
    def is_connected(self) -> bool:
        return self._connected

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def response_active(self) -> bool:
        return self._in_flight is not None or any(not r.done for r in self._responses.values())

    @property
    def response_requested(self) -> bool:
        """A response is active, being created, or asked for and waiting its turn."""
        return self.response_active or bool(self._app_requests) or self._busy_since is not None

    @property
    def next_deadline(self) -> float | None:
        """When `tick` is next due (None: nothing is waiting on the server or on a decision)."""
        if self._closed:
            return None
        deadline = self._approvals.next_deadline
        if self._create_timeout is not None and self._connected:
            since = self._busy_since  # the shell asks after every input: no list built here
            if self._in_flight is not None and (since is None or self._in_flight.sent_at < since):
                since = self._in_flight.sent_at
            if since is not None:
                waited = since + self._create_timeout
                deadline = waited if deadline is None else min(deadline, waited)
        if self._filler_after is not None:
            for call in self._filler_candidates():
                if call.started_at is not None:
                    due = call.started_at + self._filler_after
                    deadline = due if deadline is None else min(deadline, due)
        return deadline

    @property
    def running_calls(self) -> tuple[str, ...]:
        return tuple(c.call_id for c in self._calls.values() if c.phase is Phase.RUNNING)

    @property
    def awaiting_approval(self) -> tuple[str, ...]:
        """The call ids waiting for `approve` or `reject`."""
        return self._approvals.waiting

    # -- connection ------------------------------------------------------------------------------

    def connected(self, now: float) -> list[Action]:
        """The first connection is open: configure the session (and give it a restored conversation)."""
        self._check_open()
        self._connected = True
        out: list[Action] = [self._send(SessionUpdate(session=self._config))]
        out.extend(self._send(ConversationItemCreate(item=item)) for item in self._record.replay())
        return out

    def conversation(self) -> list[dict[str, Any]]:
        """The conversation so far as JSON-able entries (see `ConversationRecord.export`), so that
        another process can continue it (`restore`)."""
        return self._record.export()

    def restore(self, entries: list[dict[str, Any]]) -> None:
        """Before the first connection: continue a conversation exported with `conversation()`; it
        is given to the first connection as the replay is to a new one. Every call in it must have
        its output (a call that had none ran elsewhere: answer it before restoring)."""
        if self._connected or self._closed:
            raise RuntimeError("a conversation can only be restored before the first connection")
        if any("call_id" in entry and entry.get("output") is None for entry in entries):
            raise ValueError("every call of a restored conversation needs its output")
        self._record.restore(entries)

    def connection_lost(self, now: float) -> list[Action]:
        """The socket is gone: responses in progress end, calls still streaming are given up."""
        if not self._connected:
            return []
        self._connected = False
        out: list[Action] = []
        if self._in_flight is not None:
            self._recover_create(self._in_flight, None)
            self._in_flight = None
        self._attributed.clear()
        self._cancel_ids.clear()
        self._busy_since = None
        self._retry_next = False
        for response in list(self._responses.values()):
            if not response.done:
                self._finish_response(response, "disconnected", None, None, now, out)
        if not self._attached:  # an attached call keeps what it acknowledged: `reconnected` re-posts the rest
            for call in self._calls.values():
                call.posted = False
                call.acked_seq = None
        self._audio_playing = None
        self._playback.reset()
        self._advance(now, out)
        return out

    def reconnected(self, now: float) -> list[Action]:
        """A new connection is open: configure it, replay the conversation, then carry on."""
        self._check_open()
        self._connected = True
        out: list[Action] = [self._send(SessionUpdate(session=self._config))]
        if self._attached:
            self._repost_unacknowledged(out)
            out.append(Emit(Reconnected(time=now, replayed_items=0)))
            self._advance(now, out)
            return out
        items = self._record.replay()
        out.extend(self._send(ConversationItemCreate(item=item)) for item in items)
        for call in self._calls.values():
            if call.phase is Phase.SETTLED:
                call.posted = True
        out.append(Emit(Reconnected(time=now, replayed_items=len(items))))
        self._advance(now, out)
        return out

    def _repost_unacknowledged(self, out: list[Action]) -> None:
        """Re-attached to a call: post again each settled output the service never acknowledged."""
        for call in self._calls.values():
            if call.phase is Phase.SETTLED and call.acked_seq is None:
                item = self._output_item(call.call_id, call.output or "")
                call.posted = self._post(out, ConversationItemCreate(item=item))

    def close(self, now: float) -> list[Action]:
        """The session ends: every unsettled call is cancelled and answered; nothing stays pending."""
        if self._closed:
            return []
        out: list[Action] = []
        for call in list(self._calls.values()):
            self._cancel_call(call, "session closed", now, out)
        turn = self._turn
        mine = [r for r in self._responses.values() if r.turn is turn]
        if turn is not None and any(r.cut_off for r in mine) and all(r.done for r in mine):
            self._finish_turn(turn, now, out)  # its continuation will never come: it ends as it is
        self._app_requests.clear()
        self._in_flight = None
        self._closed = True
        self._policy = default_policy  # no more calls start; the shell's policy often refers back to it
        self._needs_approval = no_approvals  # likewise the session's approval check
        return out

    # -- application commands --------------------------------------------------------------------

    def send_text(
        self,
        text: str,
        now: float,
        *,
        respond: bool = True,
        params: ResponseParams | None = None,
        item_id: str | None = None,
    ) -> list[Action]:
        """A user message; with `respond`, one response to it (queued while another is active).

        `item_id` keeps a client's own id for the item (the relay forwards the page's), so the
        service's echo names the message the client already shows; without one the service picks.
        """
        self._check_open()
        out: list[Action] = []
        turn = self._begin_turn(now, out)
        turn.user_input.append(text)
        self._record.user_text(text)
        item = user_text(text)
        if item_id is not None:
            item.id = item_id
        self._post(out, ConversationItemCreate(item=item))
        if respond:
            self._app_requests.append(params)
        self._advance(now, out)
        return out

    def append_audio(self, audio: bytes, now: float) -> list[Action]:
        self._check_open()
        out: list[Action] = []
        self._post(out, InputAudioBufferAppend.from_bytes(audio))
        return out

    def commit_audio(
        self, now: float, *, respond: bool = True, params: ResponseParams | None = None
    ) -> list[Action]:
        """End of the user's spoken input (manual turns); with `respond`, ask for a response."""
        self._check_open()
        out: list[Action] = []
        self._begin_turn(now, out)
        self._post(out, InputAudioBufferCommit())
        if respond:
            self._app_requests.append(params)
        self._advance(now, out)
        return out

    def request_response(self, now: float, params: ResponseParams | None = None) -> list[Action]:
        """Ask for a response: sent at once when none is active, else when the active one ends."""
        self._check_open()
        out: list[Action] = []
        self._app_requests.append(params)
        self._advance(now, out)
        return out

    def cancel_response(self, now: float) -> list[Action]:
        """Cancel the active response (nothing is truncated: see `interrupt` for barge-in)."""
        self._check_open()
        out: list[Action] = []
        active = self._active()
        if active is not None:
            self._cancel_on_server(active, out)
        return out

    def interrupt(self, now: float, *, played_ms: int | None = None) -> list[Action]:
        """The application interrupts: like a barge-in, but the engine always cancels the response.

        `played_ms`: how far playback got into the item that was playing, when the application knows.
        """
        self._check_open()
        out: list[Action] = []
        self._interrupt(now, out, server_cancels=False, played_ms=played_ms)
        self._advance(now, out)
        return out

    def stop_output(
        self,
        response_id: str,
        item_id: str,
        kept_chars: int,
        now: float,
        *,
        replacement: ResponseParams | None = None,
    ) -> list[Action]:
        """A guardrail stopped what the assistant was saying: cancel the response, truncate its audio to
        what was heard, keep at most `kept_chars` of the item's text in the record (never what tripped
        the guardrail), and optionally ask for a `replacement` response once the line is quiet."""
        self._check_open()
        out: list[Action] = []
        response = self._responses.get(response_id)
        if response is not None:
            response.stopped = True
        self._interrupt(now, out, server_cancels=False, played_ms=None)
        self._record.cut(item_id, kept_chars)
        if replacement is not None:
            self._app_requests.append(replacement)
        self._advance(now, out)
        return out

    def playback(self, item_id: str, played_ms: int, now: float) -> list[Action]:
        """The application reports how much of an assistant item it has played so far."""
        self._playback.reported(item_id, played_ms)
        return []

    def approve(self, call_id: str, now: float) -> list[Action]:
        """A person approved a waiting call: it starts now. `ApprovalError` if it is not waiting."""
        self._check_open()
        self._approvals.decide(call_id, "approved")
        call = self._calls[call_id]
        out: list[Action] = [
            Emit(ApprovalDecided(time=now, call_id=call_id, name=call.name, verdict="approved"))
        ]
        self._start(call, now, out)
        return out

    def reject(self, call_id: str, reason: str, now: float) -> list[Action]:
        """A person turned a waiting call down: `reason` becomes its output (what the model tells the
        user). `ApprovalError` if it is not waiting."""
        self._check_open()
        self._approvals.decide(call_id, "rejected")
        call = self._calls[call_id]
        decided = ApprovalDecided(
            time=now, call_id=call_id, name=call.name, verdict="rejected", reason=reason
        )
        out: list[Action] = [Emit(decided)]
        self._settle(call, rejected_output(call.name, reason), "rejected", now, out)
        self._advance(now, out)
        return out

    def say_progress(self, call_id: str, message: str, now: float) -> list[Action]:
        """A running tool's progress note, said out of band when the line is quiet (dropped if the
        call's answer is due first, or the call is over or overtaken by a new user turn)."""
        self._check_open()
        out: list[Action] = []
        call = self._calls.get(call_id)
        response = self._responses.get(call.response_id) if call is not None else None
        if call is not None and call.phase is not Phase.SETTLED and response is not None:
            response.filler_due = False
            self._lines.append(FillerLine(call_id, spoken_progress(message)))
            self._advance(now, out)
        return out

    def update_session(self, update: SessionConfig, now: float) -> list[Action]:
        """Change instructions, tools or any other setting: the fields set in `update` only."""
        self._check_open()
        merged = {**self._config.model_dump(exclude_unset=True), **update.model_dump(exclude_unset=True)}
        self._config = SessionConfig.model_validate(merged)
        out: list[Action] = []
        self._post(out, SessionUpdate(session=update))
        return out

    # -- inputs from the server and the tool runner ----------------------------------------------

    def receive(self, event: ServerEvent, now: float) -> list[Action]:
        """One canonical server event; events the engine has no rule for are ignored."""
        handler = _HANDLERS.get(type(event))
        if handler is None or self._closed:
            return []
        self._seq += 1
        out: list[Action] = []
        handler(self, event, now, out)
        return out

    def tick(self, now: float) -> list[Action]:
        """Time passed (call it at `next_deadline`): waits past their limit are given up."""
        out: list[Action] = []
        if self._closed:
            return out
        self._expire_approvals(now, out)
        self._due_fillers(now)
        limit = self._create_timeout
        if limit is None:
            self._advance(now, out)
            return out
        create = self._in_flight
        if create is not None and now >= create.sent_at + limit:
            self._in_flight = None
            retry = not create.retry
            if retry:
                self._recover_create(create, None)
                self._retry_next = True
            outcome = "asking again" if retry else "given up"
            message = f"no answer to response.create within {limit:g} s: {outcome}"
            self._report_timeout(CREATE_TIMEOUT_CODE, message, create.event_id, retry, now, out)
            turn = self._turn
            if not retry and turn is not None and not turn.response_ids and not self._app_requests:
                self._finish_turn(turn, now, out)  # its answer will not come: `ask` must not hang
        if self._busy_since is not None and now >= self._busy_since + limit:
            self._busy_since = None
            message = f"the response the server said was running did not end within {limit:g} s"
            self._report_timeout(BUSY_TIMEOUT_CODE, message, None, True, now, out)
        self._advance(now, out)
        return out

    def _filler_candidates(self) -> list[ToolCall]:
        """Unsettled calls whose batch may still get its timed filler."""
        found: list[ToolCall] = []
        for response in self._responses.values():
            if response.filler_due and not response.superseded and not response.interrupted:
                found.extend(
                    c
                    for c in response.calls
                    if c.phase in (Phase.RUNNING, Phase.AWAITING_APPROVAL)
                    and c.policy is not None
                    and c.policy.filler is not None
                )
        return found

    def _due_fillers(self, now: float) -> None:
        if self._filler_after is None:
            return
        for call in self._filler_candidates():
            response = self._responses[call.response_id]
            filler = call.policy.filler if call.policy is not None else None
            due = call.started_at is not None and now >= call.started_at + self._filler_after
            if response.filler_due and filler is not None and due:
                response.filler_due = False
                self._lines.append(FillerLine(call.call_id, filler))

    def _next_line(self) -> FillerLine | None:
        """The first owed filler line that still makes sense (its call runs, its turn is current)."""
        while self._lines:
            line = self._lines.popleft()
            call = self._calls.get(line.call_id)
            response = self._responses.get(call.response_id) if call is not None else None
            if (
                call is not None
                and call.phase is not Phase.SETTLED
                and response is not None
                and not response.superseded
                and not response.interrupted
            ):
                return line
        return None

    def _expire_approvals(self, now: float, out: list[Action]) -> None:
        for call_id in self._approvals.expired(now):
            call = self._calls[call_id]
            timeout = self._approvals.timeout_of(call_id)
            self._approvals.end(call_id, "timed out")
            reason = f"no decision within {timeout:g} s"
            out.append(
                Emit(
                    ApprovalDecided(
                        time=now, call_id=call_id, name=call.name, verdict="timed_out", reason=reason
                    )
                )
            )
            self._settle(call, timed_out_output(call.name, timeout), "approval_timeout", now, out)

    @staticmethod
    def _report_timeout(
        code: str, message: str, event_id: str | None, handled: bool, now: float, out: list[Action]
    ) -> None:
        error = ErrorDetail(type="timeout", code=code, message=message, event_id=event_id)
        out.append(Emit(ErrorReported(time=now, error=error, fatal=False, handled=handled)))

    def call_finished(self, call_id: str, output: str, *, status: str, now: float) -> list[Action]:
        """The shell's run of a call ended; a result for a call already settled is dropped."""
        call = self._calls.get(call_id)
        if call is None or call.phase is not Phase.RUNNING or self._closed:
            return []
        out: list[Action] = []
        self._settle(call, output, status, now, out)
        self._advance(now, out)
        return out

    # -- server event handlers -------------------------------------------------------------------

    def _on_session(self, event: SessionCreated | SessionUpdated, now: float, out: list[Action]) -> None:
        reported = event.session.model_dump(exclude_unset=True)
        merged = {**self._server_session.model_dump(exclude_unset=True), **reported}
        self._server_session = SessionConfig.model_validate(merged)

    def _on_error(self, event: ErrorEvent, now: float, out: list[Action]) -> None:
        error = event.error
        handled = False
        create = None
        if error.event_id is not None:
            if self._in_flight is not None and self._in_flight.event_id == error.event_id:
                create, self._in_flight = self._in_flight, None
            else:
                create = self._attributed.pop(error.event_id, None)
            if error.event_id in self._cancel_ids and error.code == "response_cancel_not_active":
                handled = True
        elif self._in_flight is not None and is_active_response_error(error):
            create, self._in_flight = self._in_flight, None  # unnamed, but only our create can be refused so
        if create is not None and is_active_response_error(error):
            handled = True
            winner = self._responses.get(create.response_id or "") or self._active()
            if winner is None:
                self._busy_since = now  # a response we never saw is running: wait for a response.done
            self._recover_create(create, winner)
        fatal = error.code in FATAL_ERROR_CODES
        out.append(Emit(ErrorReported(time=now, error=error, fatal=fatal, handled=handled)))
        self._advance(now, out)

    def _on_response_created(self, event: ResponseCreated, now: float, out: list[Action]) -> None:
        response_id = event.response.id
        if not response_id or response_id in self._responses or response_id in self._retired:
            return
        response = _Response(response_id, self._seq)
        create = self._claimed_by(event.response)
        if create is not None:
            response.out_of_band = create.out_of_band
            self._in_flight = None
            create.response_id = response_id
            self._attributed[create.event_id] = create
        else:  # the server started it (VAD): it already sees every output it acknowledged
            for batch in self._responses.values():
                if self._ready(batch) and self._saw_outputs(response, batch):
                    batch.followed_up = True
        turn = self._turn if self._turn is not None else self._begin_turn(now, out)
        self._responses[response_id] = response
        response.turn = turn
        turn.response_ids.append(response_id)
        out.append(Emit(ResponseStarted(time=now, response_id=response_id, out_of_band=response.out_of_band)))

    def _claimed_by(self, response: Response) -> _Create | None:
        """The create in flight that started `response`, judged by our tag when the server echoes it.

        A server that never echoed a tag leaves only a guess: the first response after our create is
        taken as its answer, and an error naming the create corrects that.
        """
        tag = (response.metadata or {}).get(CREATE_TAG)
        if tag is not None:
            self._echoes_metadata = True
        create = self._in_flight
        if create is None:
            return None
        if tag == create.event_id or (tag is None and not self._echoes_metadata):
            return create
        return None

    def _on_response_done(self, event: ResponseDone, now: float, out: list[Action]) -> None:
        done = event.response
        self._busy_since = None
        response = self._ensure_response(done.id, now, out)
        if response is not None and not response.done:
            for index, item in enumerate(done.output):
                if isinstance(item, FunctionCallItem):
                    call = self._call_at(done.id, index, item.id, item.call_id, now, out)
                    if call is not None:
                        self._complete_from_item(call, item)
                elif (
                    isinstance(item, MessageItem)
                    and item.role == "assistant"
                    and item.id
                    and response.recorded
                ):
                    self._record.assistant_final(item.id, item.text)
                    if response.turn is not None:
                        response.turn.add_message(item.id)
            self._finish_response(response, done.status, done.usage, done.status_details, now, out)
        self._advance(now, out)

    def _on_output_item_added(self, event: ResponseOutputItemAdded, now: float, out: list[Action]) -> None:
        item = event.item
        if isinstance(item, FunctionCallItem):
            call = self._call_at(event.response_id, event.output_index, item.id, item.call_id, now, out)
            if call is not None and not call.name:
                call.name = item.name
        elif isinstance(item, MessageItem) and item.role == "assistant" and item.id:
            response = self._ensure_response(event.response_id, now, out)
            if response is not None and response.recorded:
                self._record.assistant_final(item.id, "")
                if response.turn is not None:
                    response.turn.add_message(item.id)

    def _on_output_item_done(self, event: ResponseOutputItemDone, now: float, out: list[Action]) -> None:
        item = event.item
        if isinstance(item, MessageItem) and item.role == "assistant" and item.id:
            if self._in_conversation(event.response_id):
                self._record.assistant_final(item.id, item.text)
            return
        if not isinstance(item, FunctionCallItem):
            return
        call = self._call_at(event.response_id, event.output_index, item.id, item.call_id, now, out)
        if call is None or call.phase is Phase.SETTLED:
            return
        self._complete_from_item(call, item)
        if item.status in _ENDED_BADLY:
            self._cancel_call(call, f"its item ended {item.status}", now, out)
        else:
            self._try_start(call, now, out)
        self._advance(now, out)

    def _on_arguments_delta(
        self, event: ResponseFunctionCallArgumentsDelta, now: float, out: list[Action]
    ) -> None:
        call = self._call_at(event.response_id, event.output_index, event.item_id, event.call_id, now, out)
        if call is None or call.arguments_done or call.phase is not Phase.STREAMING:
            return
        call.arguments += event.delta
        partial = parse_partial(call.arguments)
        out.append(
            Emit(
                ArgumentsDelta(
                    time=now,
                    call_id=call.call_id,
                    name=call.name,
                    delta=event.delta,
                    arguments_so_far=call.arguments,
                    partial=partial,
                )
            )
        )

    def _on_arguments_done(
        self, event: ResponseFunctionCallArgumentsDone, now: float, out: list[Action]
    ) -> None:
        call = self._call_at(event.response_id, event.output_index, event.item_id, event.call_id, now, out)
        if call is None or call.phase is not Phase.STREAMING:
            return
        call.arguments = event.arguments or call.arguments
        call.arguments_done = True
        call.name = call.name or (event.name or "")
        self._try_start(call, now, out)
        self._advance(now, out)

    def _on_audio_delta(self, event: ResponseAudioDelta, now: float, out: list[Action]) -> None:
        response = self._responses.get(event.response_id) or self._ensure_response(
            event.response_id, now, out
        )
        if response is None or response.interrupted:
            return
        if not response.out_of_band and not self._attached:  # a filler is not in the conversation; on a
            # call the service plays the audio and knows what was heard: nothing to truncate either
            format_ = self._config.output_audio_format or self._server_session.output_audio_format
            self._playback.received(event.item_id, event.response_id, audio_ms(event.delta, format_), now)
        out.append(
            Emit(
                AudioChunk(time=now, response_id=event.response_id, item_id=event.item_id, audio=event.delta)
            )
        )

    def _on_text_delta(
        self, event: ResponseTextDelta | ResponseAudioTranscriptDelta, now: float, out: list[Action]
    ) -> None:
        response = self._responses.get(event.response_id) or self._ensure_response(
            event.response_id, now, out
        )
        if response is None or not event.item_id:
            return
        if response.recorded:
            self._record.assistant_delta(event.item_id, event.delta)
            if response.turn is not None:
                response.turn.add_message(event.item_id)
        if response.interrupted:
            return
        kind = TextDelta if isinstance(event, ResponseTextDelta) else TranscriptDelta
        out.append(
            Emit(kind(time=now, response_id=event.response_id, item_id=event.item_id, delta=event.delta))
        )

    def _on_text_done(
        self, event: ResponseTextDone | ResponseAudioTranscriptDone, now: float, out: list[Action]
    ) -> None:
        text = event.text if isinstance(event, ResponseTextDone) else event.transcript
        if self._in_conversation(event.response_id):
            self._record.assistant_final(event.item_id, text)

    def _on_item_added(
        self, event: ConversationItemAdded | ConversationItemDone, now: float, out: list[Action]
    ) -> None:
        item = event.item
        if isinstance(item, FunctionCallOutputItem):
            call = self._calls.get(item.call_id)
            if call is not None and call.acked_seq is None:
                call.acked_seq = self._seq

    def _on_item_deleted(self, event: ConversationItemDeleted, now: float, out: list[Action]) -> None:
        self._record.delete(event.item_id)

    def _on_committed(self, event: InputAudioBufferCommitted, now: float, out: list[Action]) -> None:
        if event.item_id:
            self._record.user_audio(event.item_id)

    def _on_input_transcript(
        self, event: InputAudioTranscriptionCompleted, now: float, out: list[Action]
    ) -> None:
        self._hearing.completed(event)
        self._record.user_transcript(event.item_id, event.transcript)
        if self._turn is not None:
            self._turn.user_input.append(event.transcript)
        out.append(Emit(InputTranscript(time=now, item_id=event.item_id, transcript=event.transcript)))

    def _on_output_audio(
        self,
        event: OutputAudioBufferStarted | OutputAudioBufferStopped | OutputAudioBufferCleared,
        now: float,
        out: list[Action],
    ) -> None:
        if isinstance(event, OutputAudioBufferStarted):
            self._audio_playing = event.response_id or self._audio_playing
            out.append(Emit(OutputAudioStarted(time=now, response_id=event.response_id)))
            return
        if self._audio_playing == event.response_id or not event.response_id:
            self._audio_playing = None
        kind = OutputAudioStopped if isinstance(event, OutputAudioBufferStopped) else OutputAudioCleared
        out.append(Emit(kind(time=now, response_id=event.response_id)))

    def _on_speech_started(self, event: InputAudioBufferSpeechStarted, now: float, out: list[Action]) -> None:
        self._interrupt(now, out, server_cancels=self._server_cancels_on_speech(), played_ms=None)
        self._begin_turn(now, out)
        self._advance(now, out)

    # -- responses and the follow-up rule --------------------------------------------------------

    def _ensure_response(self, response_id: str, now: float, out: list[Action]) -> _Response | None:
        """The response an event belongs to; one never announced is taken as started now."""
        response = self._responses.get(response_id)
        if response is None and response_id and response_id not in self._retired:
            self._on_response_created(ResponseCreated(response=Response(id=response_id)), now, out)
            response = self._responses.get(response_id)
        return response

    def _in_conversation(self, response_id: str) -> bool:
        """Whether what the response says belongs to the conversation (a filler's does not)."""
        response = self._responses.get(response_id)
        return response is None or response.recorded

    def _active(self) -> _Response | None:
        return next((r for r in reversed(self._responses.values()) if not r.done), None)

    def _finish_response(
        self,
        response: _Response,
        status: str,
        usage: Usage | None,
        details: StatusDetails | None,
        now: float,
        out: list[Action],
    ) -> None:
        response.done = True
        response.status = status
        for key in [k for k, c in self._attributed.items() if c.response_id == response.id]:
            del self._attributed[key]
        if response.turn is not None and usage is not None:
            response.turn.usage = add_usage(response.turn.usage, usage)
        for call in response.calls:
            if status in _ENDED_BADLY:
                self._cancel_call(call, f"its response ended {status}", now, out)
            elif status == "disconnected":
                if call.phase is Phase.STREAMING:
                    self._cancel_call(call, "the connection was lost", now, out)
                    self._record.drop_call(call.call_id)
            else:
                call.arguments_done = True
                self._try_start(call, now, out, name_required=False)
        out.append(
            Emit(
                ResponseFinished(
                    time=now, response_id=response.id, status=status, usage=usage, status_details=details
                )
            )
        )

    def _wants_follow_up(self, response: _Response) -> bool:
        return (
            response.done
            and response.status in _MAY_FOLLOW_UP
            and not response.followed_up
            and ((response.cut_off and not self._attached) or any(c.wants_follow_up for c in response.calls))
            and (not response.superseded or any(c.speaks_late for c in response.calls))
        )

    def _ready(self, response: _Response) -> bool:
        return self._wants_follow_up(response) and all(c.posted for c in response.calls)

    @staticmethod
    def _saw_outputs(response: _Response, batch: _Response) -> bool:
        """Whether `response` was created after the server acknowledged every output of `batch`."""
        return all(c.acked_seq is not None and c.acked_seq < response.created_seq for c in batch.calls)

    def _recover_create(self, create: _Create, winner: _Response | None) -> None:
        """Our `response.create` did not start a response: put back what it was for."""
        if create.from_app:
            self._app_requests.appendleft(create.params)
        for batch in create.batches:
            if winner is None or not self._saw_outputs(winner, batch):
                batch.followed_up = False

    def _pump(self, now: float, out: list[Action]) -> None:
        """Send the next `response.create` if one is due and nothing is active."""
        if not self._connected or self._in_flight is not None or self._busy_since is not None:
            return
        if any(not r.done for r in self._responses.values()):
            return
        ready = [r for r in self._responses.values() if self._ready(r)]
        out_of_band = False
        if self._app_requests:
            params, from_app = self._app_requests.popleft(), True
        elif ready:
            params, from_app = None, False
        elif (line := self._next_line()) is not None:
            params, from_app, out_of_band = filler_params(line), False, True
        else:
            return
        if not out_of_band:
            self._lines.clear()  # the answer is coming: it says more than a filler would
        for batch in ready:
            batch.followed_up = True
        create_id = self._new_event_id()
        send = self._send(ResponseCreate(event_id=create_id, response=_tagged(params, create_id)))
        self._in_flight = _Create(
            create_id, params, ready, from_app, now, self._retry_next, out_of_band=out_of_band
        )
        self._retry_next = False
        out.append(send)

    def _advance(self, now: float, out: list[Action]) -> None:
        """After any change of state: send what is due, forget what is over, close a finished turn."""
        if self._closed:
            return
        self._pump(now, out)
        creates = [*self._attributed.values(), *([self._in_flight] if self._in_flight else [])]
        unsure = {c.response_id for c in creates} | {b.id for c in creates for b in c.batches}
        for response in [r for r in self._responses.values() if r.id not in unsure and self._retirable(r)]:
            del self._responses[response.id]
            _remember(self._retired, response.id)
            for call in response.calls:
                self._calls_by_item.pop(call.item_key, None)
                self._calls.pop(call.call_id, None)
                _remember(self._settled_ids, call.call_id)
        turn = self._turn
        if (
            turn is not None
            and turn.response_ids
            and self._in_flight is None
            and not self._app_requests
            and not any(r.turn is turn for r in self._responses.values())
        ):
            self._finish_turn(turn, now, out)

    def _retirable(self, response: _Response) -> bool:
        return (
            response.done
            and all(c.phase is Phase.SETTLED for c in response.calls)
            and not self._wants_follow_up(response)
        )

    # -- calls -----------------------------------------------------------------------------------

    def _call_at(
        self,
        response_id: str,
        output_index: int,
        item_id: str | None,
        call_id: str,
        now: float,
        out: list[Action],
    ) -> ToolCall | None:
        """The call an event is about, found by its item; None for duplicates and unknowables."""
        key = item_key(item_id, response_id, output_index)
        call = self._calls_by_item.get(key)
        if call is not None:
            return call
        if call_id in self._settled_ids:
            return None  # a duplicate of a call long finished
        known = self._calls.get(call_id) if call_id else None
        if known is not None:
            other_item = bool(item_id and known.item_id and item_id != known.item_id)
            if known.response_id != response_id or other_item:
                return None  # a duplicate call_id: ignored
            self._calls_by_item[key] = known  # the same call, named another way by this event
            known.item_id = known.item_id or item_id or ""
            return known
        response = self._ensure_response(response_id, now, out)
        if response is None:
            return None
        if not call_id:
            self._report_unanswerable(key, now, out)
            return None
        call = ToolCall(call_id, key, response_id, item_id or "")
        self._calls[call_id] = call
        self._calls_by_item[key] = call
        response.calls.append(call)
        if response.turn is not None:
            response.turn.calls.append(call)
        self._record.call(call_id)
        return call

    def _report_unanswerable(self, key: str, now: float, out: list[Action]) -> None:
        if key in self._unanswerable:
            return
        _remember(self._unanswerable, key)
        message = "the model called a tool without a call_id; no output can answer it, so it was not run"
        error = ErrorDetail(type="invalid_response", code=NO_CALL_ID_CODE, message=message)
        out.append(Emit(ErrorReported(time=now, error=error, fatal=False)))

    @staticmethod
    def _complete_from_item(call: ToolCall, item: FunctionCallItem) -> None:
        call.name = call.name or item.name
        if not call.arguments_done:
            call.arguments = item.arguments or call.arguments
            call.arguments_done = True

    def _try_start(
        self, call: ToolCall, now: float, out: list[Action], *, name_required: bool = True
    ) -> None:
        if call.phase is not Phase.STREAMING or not call.arguments_done:
            return
        if name_required and not call.name:
            return  # preview: wait for the item to tell the name
        response = self._responses.get(call.response_id)
        if response is not None and response.interrupted:
            self._cancel_call(call, "the user interrupted", now, out)
            return
        call.policy = self._policy(call.name)
        call.started_at = now
        self._record.call(call.call_id, call.name, call.arguments)
        need = self._needs_approval(call.call_id, call.name, call.arguments)
        if need is None:
            self._start(call, now, out)
            return
        call.phase = Phase.AWAITING_APPROVAL
        self._approvals.wait(call.call_id, need, now)
        deadline = None if need.timeout is None else now + need.timeout
        out.append(
            Emit(
                ApprovalRequested(
                    time=now,
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                    response_id=call.response_id,
                    deadline=deadline,
                )
            )
        )

    def _start(self, call: ToolCall, now: float, out: list[Action]) -> None:
        call.phase = Phase.RUNNING
        out.append(StartCall(call.call_id, call.name, call.arguments, call.response_id))
        out.append(
            Emit(
                ToolCallStarted(
                    time=now,
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                    response_id=call.response_id,
                )
            )
        )

    def _cancel_call(self, call: ToolCall, reason: str, now: float, out: list[Action]) -> None:
        if call.phase is Phase.SETTLED:
            return
        if call.phase is Phase.RUNNING:
            out.append(CancelCall(call.call_id, reason))
        elif call.phase is Phase.AWAITING_APPROVAL:
            self._approvals.end(call.call_id, f"cancelled ({reason})")
        self._settle(call, cancelled_output(reason), "cancelled", now, out)

    def _settle(self, call: ToolCall, output: str, status: str, now: float, out: list[Action]) -> None:
        response = self._responses.get(call.response_id)
        late = response is not None and response.superseded and not response.followed_up
        if late and status == "ok" and call.policy is not None and call.policy.late == "drop":
            output, status = dropped_output(call.name), "dropped"
        call.phase = Phase.SETTLED
        call.output = output
        call.status = status
        self._record.call(call.call_id, call.name, call.arguments)
        self._record.call_output(call.call_id, output)
        call.posted = self._post(out, ConversationItemCreate(item=self._output_item(call.call_id, output)))
        out.append(
            Emit(
                ToolCallFinished(
                    time=now,
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                    output=output,
                    status=status,
                )
            )
        )

    # -- turns and barge-in ----------------------------------------------------------------------

    def _begin_turn(self, now: float, out: list[Action]) -> TurnBuilder:
        """The user starts a turn: pending follow-ups are overtaken by it."""
        current = self._turn
        if current is not None and not current.has_activity:
            return current
        if current is not None:
            self._finish_turn(current, now, out)
        for response in self._responses.values():
            if not response.followed_up:
                response.superseded = True
        self._turn = TurnBuilder(now)
        out.append(Emit(TurnStarted(time=now)))
        return self._turn

    def _finish_turn(self, turn: TurnBuilder, now: float, out: list[Action]) -> None:
        texts = [self._record.text_of(item_id) for item_id in turn.message_ids]
        out.append(Emit(TurnDone(time=now, turn=turn.freeze(texts, now))))
        if self._turn is turn:
            self._turn = None

    def _server_cancels_on_speech(self) -> bool:
        """Whether server VAD cancels the response itself (`interrupt_response`, true by default)."""
        detection: TurnDetection | None = None
        if "turn_detection" in self._server_session.model_fields_set:
            detection = self._server_session.turn_detection
        elif "turn_detection" in self._config.model_fields_set:
            detection = self._config.turn_detection
        return detection is None or detection.interrupt_response is not False

    def _interrupt(
        self, now: float, out: list[Action], *, server_cancels: bool, played_ms: int | None
    ) -> None:
        active = [r for r in self._responses.values() if not r.done]
        if self._attached:
            self._interrupt_call(active, now, out, server_cancels=server_cancels)
            return
        heard = self._playback.stop(now, played_ms)
        if not active and not heard:
            return
        for response in active:
            response.interrupted = True
        target = active[-1] if active else None
        first = heard[0] if heard else None
        response_id = target.id if target is not None else first.response_id if first is not None else None
        out.append(
            Emit(
                Interrupted(
                    time=now,
                    response_id=response_id,
                    item_id=first.item_id if first is not None else None,
                    played_ms=first.played_ms if first is not None else None,
                )
            )
        )
        if target is not None and not server_cancels:
            self._cancel_on_server(target, out)
        for cut in heard:
            truncate = ConversationItemTruncate(
                item_id=cut.item_id, content_index=0, audio_end_ms=cut.played_ms
            )
            self._post(out, truncate)
            self._record.heard(cut.item_id, cut.played_ms / cut.received_ms if cut.received_ms else 1.0)
        self._cancel_interruptible_calls(now, out)

    def _interrupt_call(
        self, active: list[_Response], now: float, out: list[Action], *, server_cancels: bool
    ) -> None:
        """Barge-in on a call: the service truncates by itself; stop the response and what is playing."""
        playing = self._audio_playing
        if not active and playing is None:
            return
        for response in active:
            response.interrupted = True
        response_id = active[-1].id if active else playing
        out.append(Emit(Interrupted(time=now, response_id=response_id, item_id=None, played_ms=None)))
        if not server_cancels:
            if active:
                self._cancel_on_server(active[-1], out)
            self._post(out, OutputAudioBufferClear())  # the buffered audio would play on otherwise
        self._cancel_interruptible_calls(now, out)

    def _cancel_interruptible_calls(self, now: float, out: list[Action]) -> None:
        for response in list(self._responses.values()):
            for call in response.calls:
                if (
                    call.phase in (Phase.RUNNING, Phase.AWAITING_APPROVAL)
                    and call.policy is not None
                    and call.policy.cancel_on_interrupt
                ):
                    self._cancel_call(call, "the user interrupted", now, out)
        if self._turn is not None:
            self._turn.interrupted = True

    def _cancel_on_server(self, response: _Response, out: list[Action]) -> None:
        response.cancel_requested = True
        cancel = ResponseCancel(response_id=response.id)
        if self._post(out, cancel) and cancel.event_id is not None:
            self._cancel_ids.append(cancel.event_id)

    # -- sending ---------------------------------------------------------------------------------

    def _send(self, event: ClientEvent) -> Send:
        if event.event_id is None:
            event.event_id = self._new_event_id()
        return Send(event)

    def _output_item(self, call_id: str, output: str) -> FunctionCallOutputItem:
        item_id = self._output_item_id(call_id)
        if item_id is None:
            return FunctionCallOutputItem(call_id=call_id, output=output)
        return FunctionCallOutputItem(id=item_id, call_id=call_id, output=output)

    def _post(self, out: list[Action], event: ClientEvent) -> bool:
        """Send when connected; while disconnected the record (replayed later) is all that counts."""
        if not self._connected:
            return False
        out.append(self._send(event))
        return True

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosed("the session is closed")


def _heard(
    tell: Callable[[Hearing, Any, float], AppEvent | None],
) -> Callable[[TurnEngine, Any, float, list[Action]], None]:
    """A handler for what only informs the application (see `engine.hearing`)."""

    def handle(engine: TurnEngine, event: Any, now: float, out: list[Action]) -> None:
        told = tell(engine._hearing, event, now)
        if told is not None:
            out.append(Emit(told))

    return handle


_HANDLERS: dict[type[ServerEvent], Callable[[TurnEngine, Any, float, list[Action]], None]] = {
    SessionCreated: TurnEngine._on_session,
    SessionUpdated: TurnEngine._on_session,
    ErrorEvent: TurnEngine._on_error,
    ResponseCreated: TurnEngine._on_response_created,
    ResponseDone: TurnEngine._on_response_done,
    ResponseOutputItemAdded: TurnEngine._on_output_item_added,
    ResponseOutputItemDone: TurnEngine._on_output_item_done,
    ResponseFunctionCallArgumentsDelta: TurnEngine._on_arguments_delta,
    ResponseFunctionCallArgumentsDone: TurnEngine._on_arguments_done,
    ResponseAudioDelta: TurnEngine._on_audio_delta,
    ResponseAudioTranscriptDelta: TurnEngine._on_text_delta,
    ResponseTextDelta: TurnEngine._on_text_delta,
    ResponseAudioTranscriptDone: TurnEngine._on_text_done,
    ResponseTextDone: TurnEngine._on_text_done,
    ConversationItemAdded: TurnEngine._on_item_added,
    ConversationItemCreated: TurnEngine._on_item_added,
    ConversationItemDone: TurnEngine._on_item_added,
    ConversationItemDeleted: TurnEngine._on_item_deleted,
    InputAudioBufferCommitted: TurnEngine._on_committed,
    InputAudioBufferSpeechStarted: TurnEngine._on_speech_started,
    InputAudioTranscriptionCompleted: TurnEngine._on_input_transcript,
    InputAudioTranscriptionDelta: _heard(Hearing.delta),
    InputAudioTranscriptionUpdated: _heard(Hearing.updated),
    InputAudioTranscriptionFailed: _heard(Hearing.failed),
    InputAudioBufferSpeechStopped: _heard(lambda _hearing, event, now: Hearing.speech_stopped(event, now)),
    OutputAudioBufferStarted: TurnEngine._on_output_audio,
    OutputAudioBufferStopped: TurnEngine._on_output_audio,
    OutputAudioBufferCleared: TurnEngine._on_output_audio,
    WarningEvent: _heard(lambda _hearing, event, now: Hearing.warning(event, now)),
}
"""The engine's rule for each server event type (one table for every engine: no bound methods per
session, and no reference cycle from an engine to itself)."""
