"""`TracingObserver`: a session's app events become OpenTelemetry spans and metrics.

One trace per turn: an `invoke_agent {agent}` root span from the user's input to the turn's final
response, a `chat {model}` child per model response and an `execute_tool {tool}` child per call
(current while the tool runs, so whatever the tool traces nests under it). A session-long parent
span would stay open for hours and hide every turn until the session ends, so instead a short
`connect {agent}` span marks the session's start and every turn links to it; all of a session's
traces also share `gen_ai.conversation.id`. Lost connections become `reconnect {agent}` spans.

Only the OpenTelemetry API is used: without an SDK the tracer and meter are no-ops, spans do not
record, and no attribute dict is built (`span.is_recording()` is checked first).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from agentkit import __version__
from agentkit.engine import (
    AppEvent,
    ApprovalDecided,
    ApprovalRequested,
    AudioChunk,
    ErrorReported,
    Interrupted,
    PolicyEnforced,
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
from agentkit.guardrails import GuardrailTripped
from agentkit.handoffs import HandedOff
from agentkit.observer import SessionInfo
from agentkit.tracing import attributes as attr
from agentkit.tracing.metrics import Instruments
from agentkit.transfer import TransferredToPerson

__all__ = ["TracingObserver"]

_log = logging.getLogger(__name__)
_SCOPE = "agentkit"


@dataclass
class _Turn:
    span: Span
    context: otel_context.Context
    started: float
    first_audio: float | None = None
    first_text: float | None = None
    error_type: str | None = None


@dataclass
class _Response:
    span: Span
    turn: _Turn | None
    started: float
    first_delta: float | None = None


@dataclass
class _Tool:
    span: Span
    context: otel_context.Context
    name: str
    started: float


class TracingObserver:
    """Traces one session at a time: pass a new one to each `agent.connect(..., observer=...)`, or
    the class itself as `Agent(observers=[TracingObserver])`, which makes one per session.

    `record_content=True` also records what the user said and tool arguments and results, which may
    hold personal data.
    Providers default to the global ones set through `opentelemetry.trace` / `opentelemetry.metrics`.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        record_content: bool = False,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider)
        self._instruments = Instruments.create(metrics.get_meter(_SCOPE, __version__, meter_provider))
        self.record_content = record_content
        self._info: SessionInfo | None = None
        self._live = False
        self._offset_ns: int | None = None
        self._connected_at: float | None = None
        self._session_link: tuple[Link, ...] = ()
        self._turn_count = 0
        self._turn: _Turn | None = None
        self._responses: dict[str, _Response] = {}
        self._tools: dict[str, _Tool] = {}
        self._reconnect: Span | None = None
        self._handlers: dict[type[AppEvent], Callable[[Any], None]] = {
            AudioChunk: self._audio,
            TextDelta: self._text,
            TranscriptDelta: self._text,
            TurnStarted: self._turn_started,
            ResponseStarted: self._response_started,
            ToolCallStarted: self._tool_started,
            ToolCallFinished: self._tool_finished,
            ResponseFinished: self._response_finished,
            TurnDone: self._turn_done,
            Interrupted: self._interrupted,
            ErrorReported: self._error,
            Reconnected: self._reconnected,
            ApprovalRequested: self._approval_requested,
            PolicyEnforced: self._policy_enforced,
            ApprovalDecided: self._approval_decided,
            HandedOff: self._handed_off,
            GuardrailTripped: self._guardrail_tripped,
            TransferredToPerson: self._transferred,
        }

    # -- the observer hooks ---------------------------------------------------------------------

    def session_started(self, info: SessionInfo, now: float) -> None:
        if self._live:
            _log.warning("a TracingObserver traces one session at a time: make one per connect()")
        self._live = True
        self._info = info
        self._turn_count = 0
        self._offset_ns = None
        self._anchor(now)
        started = next(
            (t for t in (info.connecting_since, self._connected_at) if t is not None and t <= now), now
        )
        span = self._tracer.start_span(
            f"connect {info.agent_name}", kind=SpanKind.CLIENT, start_time=self._ns(started)
        )
        if span.is_recording():
            span.set_attributes(self._common())
            span.set_attribute(attr.DIALECT, info.dialect.value)
            if info.server_session_id:
                span.set_attribute(attr.SERVER_SESSION_ID, info.server_session_id)
        span.end(self._ns(now))
        self._session_link = (Link(span.get_span_context()),)

    def on_event(self, event: AppEvent) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        try:
            handler(event)
        except Exception:  # tracing must never break the session it watches
            _log.warning("tracing failed on %s", type(event).__name__, exc_info=True)

    def connection_event(self, name: str, now: float, **attributes: Any) -> None:
        try:
            self._connection_event(name, now, attributes)
        except Exception:
            _log.warning("tracing failed on connection event %s", name, exc_info=True)

    def tool_scope(self, call: ToolCallStarted) -> AbstractContextManager[None]:
        tool = self._tools.get(call.call_id) or self._start_tool(
            call.call_id, call.name, call.arguments, call.time
        )
        return _attached(tool.context)

    def session_closed(self, now: float) -> None:
        self._live = False
        end = self._ns(now)
        for call_id in list(self._tools):
            tool = self._tools.pop(call_id)
            tool.span.add_event("session_closed", timestamp=end)
            tool.span.end(end)
        for response in self._responses.values():
            response.span.add_event("session_closed", timestamp=end)
            response.span.end(end)
        self._responses.clear()
        if self._turn is not None:
            self._turn.span.add_event("session_closed", timestamp=end)
            self._turn.span.end(end)
            self._turn = None
        if self._reconnect is not None:
            self._reconnect.set_attribute("agentkit.reconnect.outcome", "closed")
            self._reconnect.end(end)
            self._reconnect = None

    # -- turns ----------------------------------------------------------------------------------

    def _turn_started(self, event: TurnStarted) -> None:
        if self._turn is not None:  # the engine always closes a turn first; be safe if not
            self._turn.span.end(self._ns(event.time))
        self._begin_turn(event.time)

    def _begin_turn(self, now: float) -> _Turn:
        self._turn_count += 1
        span = self._tracer.start_span(
            f"invoke_agent {self._agent_name}",
            context=otel_context.Context(),
            kind=SpanKind.INTERNAL,
            links=self._session_link,
            start_time=self._ns(now),
        )
        if span.is_recording():
            span.set_attributes(self._common())
            span.set_attribute(attr.OPERATION, "invoke_agent")
            span.set_attribute(attr.TURN_NUMBER, self._turn_count)
        self._turn = _Turn(span, trace.set_span_in_context(span), now)
        return self._turn

    def _turn_done(self, event: TurnDone) -> None:
        turn = self._turn
        if turn is None:
            return
        self._turn = None
        span = turn.span
        done = event.turn
        if span.is_recording():
            span.set_attributes(attr.usage_attributes(done.usage))
            span.set_attribute(attr.TURN_INTERRUPTED, done.interrupted)
            span.set_attribute(attr.TURN_RESPONSES, len(done.response_ids))
            span.set_attribute(attr.TURN_TOOL_CALLS, len(done.tool_calls))
            if self.record_content and done.user_input:
                span.set_attribute(attr.TURN_USER_INPUT, done.user_input)
            if turn.first_audio is not None:
                span.set_attribute(attr.TIME_TO_FIRST_AUDIO, _ms(turn.first_audio - turn.started))
            if turn.first_text is not None:
                span.set_attribute(attr.TIME_TO_FIRST_TEXT, _ms(turn.first_text - turn.started))
        metric_attributes = self._metric_common()
        if turn.error_type is not None:
            span.set_status(Status(StatusCode.ERROR, turn.error_type))
            span.set_attribute(attr.ERROR_TYPE, turn.error_type)
            metric_attributes[attr.ERROR_TYPE] = turn.error_type
        span.end(self._ns(event.time))
        self._instruments.turn_duration.record(max(event.time - turn.started, 0.0), metric_attributes)
        if turn.first_audio is not None:
            self._instruments.time_to_first_audio.record(
                max(turn.first_audio - turn.started, 0.0), self._metric_common()
            )

    def _interrupted(self, event: Interrupted) -> None:
        at = self._ns(event.time)
        event_attributes: attr.Attributes = {}
        if event.played_ms is not None:
            event_attributes["agentkit.played_ms"] = event.played_ms
        if event.response_id is not None:
            event_attributes[attr.RESPONSE_ID] = event.response_id
        if self._turn is not None:
            self._turn.span.add_event("interrupted", event_attributes, at)
        response = self._responses.get(event.response_id or "")
        if response is not None:
            response.span.add_event("interrupted", event_attributes, at)

    # -- responses ------------------------------------------------------------------------------

    def _response_started(self, event: ResponseStarted) -> None:
        turn = self._turn if self._turn is not None else self._begin_turn(event.time)
        model = self._info.model if self._info is not None else None
        span = self._tracer.start_span(
            f"chat {model}" if model else "chat",
            context=turn.context,
            kind=SpanKind.CLIENT,
            start_time=self._ns(event.time),
        )
        if span.is_recording():
            span.set_attributes(self._common())
            span.set_attribute(attr.OPERATION, "chat")
            span.set_attribute(attr.RESPONSE_ID, event.response_id)
        self._responses[event.response_id] = _Response(span, turn, event.time)

    def _audio(self, event: AudioChunk) -> None:
        response = self._responses.get(event.response_id)
        if response is None:
            return
        if response.first_delta is None:
            response.first_delta = event.time
        if response.turn is not None and response.turn.first_audio is None:
            response.turn.first_audio = event.time

    def _text(self, event: TextDelta | TranscriptDelta) -> None:
        response = self._responses.get(event.response_id)
        if response is None:
            return
        if response.first_delta is None:
            response.first_delta = event.time
        if response.turn is not None and response.turn.first_text is None:
            response.turn.first_text = event.time

    def _response_finished(self, event: ResponseFinished) -> None:
        response = self._responses.pop(event.response_id, None)
        if response is None:
            return
        span = response.span
        error_type = attr.response_error_type(event.status, event.status_details)
        if span.is_recording():
            span.set_attribute(attr.RESPONSE_STATUS, event.status)
            span.set_attribute(attr.FINISH_REASONS, (attr.finish_reason(event.status, event.status_details),))
            if event.status_details is not None and event.status_details.reason:
                span.set_attribute(attr.RESPONSE_STATUS_REASON, event.status_details.reason)
            if event.usage is not None:
                span.set_attributes(attr.usage_attributes(event.usage))
            if response.first_delta is not None:
                span.set_attribute(attr.TIME_TO_FIRST_DELTA, _ms(response.first_delta - response.started))
        if error_type is not None:
            span.set_status(Status(StatusCode.ERROR, error_type))
            span.set_attribute(attr.ERROR_TYPE, error_type)
            if response.turn is not None:
                response.turn.error_type = error_type
        span.end(self._ns(event.time))
        if event.usage is not None:
            metric_attributes = self._metric_common()
            metric_attributes[attr.OPERATION] = "chat"
            for token_type, count in (
                ("input", event.usage.input_tokens),
                ("output", event.usage.output_tokens),
            ):
                self._instruments.token_usage.record(
                    count, {**metric_attributes, attr.TOKEN_TYPE: token_type}
                )

    # -- tool calls -----------------------------------------------------------------------------

    def _tool_started(self, event: ToolCallStarted) -> None:
        if event.call_id not in self._tools:
            self._start_tool(event.call_id, event.name, event.arguments, event.time, event.response_id)

    def _start_tool(
        self, call_id: str, name: str, arguments: str, now: float, response_id: str | None = None
    ) -> _Tool:
        response = self._responses.get(response_id or "")
        turn = response.turn if response is not None else self._turn
        span = self._tracer.start_span(
            f"execute_tool {name}",
            context=turn.context if turn is not None else otel_context.Context(),
            kind=SpanKind.INTERNAL,
            links=() if turn is not None else self._session_link,
            start_time=self._ns(now),
        )
        if span.is_recording():
            span.set_attributes(self._common())
            span.set_attribute(attr.OPERATION, "execute_tool")
            span.set_attribute(attr.TOOL_NAME, name)
            span.set_attribute(attr.TOOL_CALL_ID, call_id)
            span.set_attribute(attr.TOOL_TYPE, "function")
            if self.record_content:
                span.set_attribute(attr.TOOL_ARGUMENTS, arguments)
        tool = _Tool(span, trace.set_span_in_context(span), name, now)
        self._tools[call_id] = tool
        return tool

    def _tool_finished(self, event: ToolCallFinished) -> None:
        tool = self._tools.pop(event.call_id, None)
        if tool is None:  # answered without ever running (cancelled while its arguments streamed)
            tool = self._start_tool(event.call_id, event.name, event.arguments, event.time)
            del self._tools[event.call_id]
        span = tool.span
        if span.is_recording():
            span.set_attribute(attr.TOOL_STATUS, event.status)
            if self.record_content:
                span.set_attribute(attr.TOOL_RESULT, event.output)
        metric_attributes = self._metric_common()
        metric_attributes[attr.TOOL_NAME] = event.name
        metric_attributes[attr.TOOL_TYPE] = "function"
        metric_attributes[attr.TOOL_STATUS] = event.status
        if event.status != attr.TOOL_OK:
            span.set_status(Status(StatusCode.ERROR, event.status))
            span.set_attribute(attr.ERROR_TYPE, event.status)
            metric_attributes[attr.ERROR_TYPE] = event.status
        span.end(self._ns(event.time))
        self._instruments.tool_duration.record(max(event.time - tool.started, 0.0), metric_attributes)

    # -- approvals ------------------------------------------------------------------------------

    def _approval_requested(self, event: ApprovalRequested) -> None:
        event_attributes: attr.Attributes = {attr.TOOL_NAME: event.name, attr.TOOL_CALL_ID: event.call_id}
        if self.record_content:
            event_attributes[attr.TOOL_ARGUMENTS] = event.arguments
        self._record_event("approval_requested", event.time, event_attributes)

    def _policy_enforced(self, event: PolicyEnforced) -> None:
        event_attributes: attr.Attributes = {
            "agentkit.policy.rule": event.rule,
            "agentkit.policy.count": event.count,
            "agentkit.policy.detail": event.detail,
        }
        self._record_event("policy_enforced", event.time, event_attributes)

    def _approval_decided(self, event: ApprovalDecided) -> None:
        event_attributes: attr.Attributes = {
            attr.TOOL_NAME: event.name,
            attr.TOOL_CALL_ID: event.call_id,
            "agentkit.approval.verdict": event.verdict,
        }
        if event.reason and self.record_content:
            event_attributes["agentkit.approval.reason"] = event.reason
        self._record_event("approval_decided", event.time, event_attributes)

    def _handed_off(self, event: HandedOff) -> None:
        """Spans from now on carry the new agent's name; the turn gets a `handoff` event."""
        event_attributes: attr.Attributes = {
            "agentkit.handoff.from": event.from_agent,
            "agentkit.handoff.to": event.to_agent,
        }
        if event.reason and self.record_content:
            event_attributes["agentkit.handoff.reason"] = event.reason
        self._record_event("handoff", event.time, event_attributes)
        if self._info is not None:
            self._info = dataclasses.replace(self._info, agent_name=event.to_agent)

    def _guardrail_tripped(self, event: GuardrailTripped) -> None:
        event_attributes: attr.Attributes = {
            "agentkit.guardrail.name": event.guardrail,
            "agentkit.guardrail.kind": event.kind,
            "agentkit.guardrail.action": event.action,
        }
        if event.call_id:
            event_attributes[attr.TOOL_CALL_ID] = event.call_id
        if self.record_content:
            event_attributes["agentkit.guardrail.reason"] = event.reason
        self._record_event("guardrail_tripped", event.time, event_attributes)

    def _transferred(self, event: TransferredToPerson) -> None:
        event_attributes: attr.Attributes = {
            attr.TOOL_CALL_ID: event.call_id,
            "agentkit.transfer.accepted": event.accepted,
        }
        if self.record_content:
            event_attributes["agentkit.transfer.reason"] = event.summary.reason
        self._record_event("transfer_to_person", event.time, event_attributes)

    # -- errors and connections -----------------------------------------------------------------

    def _error(self, event: ErrorReported) -> None:
        self._instruments.errors.add(
            1, {**self._metric_common(), attr.ERROR_TYPE: attr.error_type(event.error)}
        )
        event_attributes = attr.error_attributes(event.error, fatal=event.fatal, handled=event.handled)
        self._record_event("error", event.time, event_attributes, on_response=True)

    def _reconnected(self, event: Reconnected) -> None:
        self._record_event("replayed", event.time, {"agentkit.replayed_items": event.replayed_items})

    def _connection_event(self, name: str, now: float, attributes: dict[str, Any]) -> None:
        self._anchor(now)
        if name == "connected" and self._connected_at is None:
            self._connected_at = now
        if name in ("connection_lost", "reconnecting") and self._reconnect is None:
            self._reconnect = self._tracer.start_span(
                f"reconnect {self._agent_name}",
                context=self._turn.context if self._turn is not None else otel_context.Context(),
                kind=SpanKind.CLIENT,
                links=() if self._turn is not None else self._session_link,
                start_time=self._ns(now),
            )
        event_attributes = {
            key: _attribute_value(value) for key, value in attributes.items() if value is not None
        }
        if self._reconnect is not None or self._turn is not None:
            self._record_event(name, now, event_attributes)
        elif name != "connected":  # the first connect is the `connect` span itself
            self._standalone(name, now, event_attributes)
        if name in ("reconnected", "reconnect_failed") and self._reconnect is not None:
            outcome = "reconnected" if name == "reconnected" else "failed"
            self._reconnect.set_attribute("agentkit.reconnect.outcome", outcome)
            if outcome == "failed":
                self._reconnect.set_status(Status(StatusCode.ERROR, name))
                self._reconnect.set_attribute(attr.ERROR_TYPE, name)
            self._reconnect.end(self._ns(now))
            self._reconnect = None
            self._instruments.reconnects.add(
                1, {**self._metric_common(), "agentkit.reconnect.outcome": outcome}
            )

    def _record_event(
        self, name: str, now: float, event_attributes: attr.Attributes, *, on_response: bool = False
    ) -> None:
        """A span event on whatever is open: the latest response (errors), the reconnect, the turn."""
        at = self._ns(now)
        targets: list[Span] = []
        if on_response and self._responses:
            targets.append(next(reversed(self._responses.values())).span)
        if self._reconnect is not None:
            targets.append(self._reconnect)
        if self._turn is not None:
            targets.append(self._turn.span)
        if not targets:
            self._standalone(name, now, event_attributes)
        for span in targets:
            span.add_event(name, event_attributes, at)

    def _standalone(self, name: str, now: float, event_attributes: attr.Attributes) -> None:
        """An event outside any turn gets a zero-length span of its own, linked to the session."""
        at = self._ns(now)
        span = self._tracer.start_span(
            f"session {name}", context=otel_context.Context(), links=self._session_link, start_time=at
        )
        if span.is_recording():
            span.set_attributes(self._common())
            span.add_event(name, event_attributes, at)
        span.end(at)

    # -- helpers --------------------------------------------------------------------------------

    @property
    def _agent_name(self) -> str:
        return self._info.agent_name if self._info is not None else "agent"

    def _common(self) -> attr.Attributes:
        """Attributes every span of the session carries."""
        info = self._info
        if info is None:
            return {}
        common: attr.Attributes = {
            attr.AGENT_NAME: info.agent_name,
            attr.PROVIDER: info.provider,
            attr.CONVERSATION_ID: info.session_id,
            attr.SESSION_ID: info.session_id,
        }
        if info.model:
            common[attr.REQUEST_MODEL] = info.model
        return common

    def _metric_common(self) -> attr.Attributes:
        """Low-cardinality attributes for metrics: no ids."""
        info = self._info
        if info is None:
            return {}
        common: attr.Attributes = {attr.AGENT_NAME: info.agent_name, attr.PROVIDER: info.provider}
        if info.model:
            common[attr.REQUEST_MODEL] = info.model
        return common

    def _anchor(self, now: float) -> None:
        """Map the session's monotonic clock to epoch nanoseconds, once."""
        if self._offset_ns is None:
            self._offset_ns = time.time_ns() - int(now * 1e9)

    def _ns(self, now: float) -> int:
        if self._offset_ns is None:
            self._anchor(now)
        return int(now * 1e9) + (self._offset_ns or 0)


@contextmanager
def _attached(context: otel_context.Context) -> Iterator[None]:
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


def _ms(seconds: float) -> float:
    return round(max(seconds, 0.0) * 1000.0, 3)


def _attribute_value(value: Any) -> attr.AttributeValue:
    if isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
