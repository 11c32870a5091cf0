"""The tracing observer fed app events directly (no session): spans, attributes, events, metrics."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from agentkit.engine import (
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
    TranscriptDelta,
    TurnStarted,
)
from agentkit.guardrails import GuardrailTripped
from agentkit.handoffs import HandedOff
from agentkit.protocol import ErrorDetail, StatusDetails
from agentkit.tracing import TracingObserver
from agentkit.transfer import HandoverSummary, TransferredToPerson
from tests.tracing.conftest import Telemetry
from tests.tracing.helpers import INFO, SECRET, T0, call, feed, finished, turn_done, two_parallel_calls


def started_observer(telemetry: Telemetry, **options: bool) -> TracingObserver:
    observer = telemetry.observer(**options)
    observer.session_started(INFO, T0 - 1.0)
    return observer


def ms(span: ReadableSpan) -> tuple[float, float]:
    assert span.start_time is not None
    assert span.end_time is not None
    return span.start_time / 1e6, span.end_time / 1e6


def test_turn_with_two_parallel_calls_builds_one_trace(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(observer, two_parallel_calls())

    connect = telemetry.span("connect support")
    turn = telemetry.span("invoke_agent support")
    tool_1 = telemetry.span("execute_tool lookup_order")
    tool_2 = telemetry.span("execute_tool track_parcel")
    responses = [s for s in telemetry.spans() if s.name == "chat gpt-realtime"]
    assert len(responses) == 2
    assert turn.parent is None
    assert turn.context is not None
    for child in [tool_1, tool_2, *responses]:
        assert child.parent is not None
        assert child.parent.span_id == turn.context.span_id
        assert child.context is not None
        assert child.context.trace_id == turn.context.trace_id
    # The turn is its own trace, linked to the session's connect span rather than nested in it.
    assert connect.context is not None
    assert [link.context.span_id for link in turn.links] == [connect.context.span_id]
    assert connect.context.trace_id != turn.context.trace_id

    start_1, end_1 = ms(tool_1)
    start_2, end_2 = ms(tool_2)
    assert start_1 < end_2, "parallel calls must overlap"
    assert start_2 < end_1, "parallel calls must overlap"
    assert round(end_1 - start_1) == 300

    turn_start, turn_end = ms(turn)
    assert round(turn_end - turn_start) == 900
    attributes = dict(turn.attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.name"] == "support"
    assert attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert attributes["gen_ai.request.model"] == "gpt-realtime"
    assert attributes["gen_ai.conversation.id"] == "sess_local_1"
    assert attributes["agentkit.turn.number"] == 1
    assert attributes["agentkit.turn.interrupted"] is False
    assert attributes["agentkit.turn.time_to_first_audio_ms"] == 200.0
    assert attributes["agentkit.turn.time_to_first_text_ms"] == 800.0
    assert attributes["agentkit.turn.tool_calls"] == 2
    assert turn.status.status_code is StatusCode.UNSET

    first = min(responses, key=lambda s: s.start_time or 0)
    response_attributes = dict(first.attributes or {})
    assert response_attributes["gen_ai.operation.name"] == "chat"
    assert response_attributes["gen_ai.response.id"] == "r1"
    assert response_attributes["gen_ai.response.finish_reasons"] == ("completed",)
    assert response_attributes["gen_ai.usage.input_tokens"] == 100
    assert response_attributes["gen_ai.usage.output_tokens"] == 30
    assert response_attributes["gen_ai.usage.cache_read.input_tokens"] == 20
    assert response_attributes["agentkit.usage.input_audio_tokens"] == 40
    assert response_attributes["agentkit.usage.output_text_tokens"] == 10
    assert response_attributes["agentkit.response.time_to_first_delta_ms"] == 100.0

    tool_attributes = dict(tool_1.attributes or {})
    assert tool_attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool_attributes["gen_ai.tool.name"] == "lookup_order"
    assert tool_attributes["gen_ai.tool.call.id"] == "c1"
    assert tool_attributes["gen_ai.tool.type"] == "function"
    assert tool_attributes["agentkit.tool.status"] == "ok"
    assert tool_1.status.status_code is StatusCode.UNSET
    assert "error.type" not in tool_attributes


def test_metrics_record_tools_turns_and_tokens(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(observer, two_parallel_calls())

    tools = telemetry.points("gen_ai.execute_tool.duration")
    by_tool = {p.attributes["gen_ai.tool.name"]: p for p in tools}
    assert set(by_tool) == {"lookup_order", "track_parcel"}
    assert by_tool["lookup_order"].count == 1
    assert abs(by_tool["lookup_order"].sum - 0.3) < 1e-6
    assert by_tool["lookup_order"].attributes["agentkit.tool.status"] == "ok"
    (turn,) = telemetry.points("gen_ai.invoke_agent.duration")
    assert abs(turn.sum - 0.9) < 1e-6
    (first_audio,) = telemetry.points("agentkit.turn.time_to_first_audio")
    assert abs(first_audio.sum - 0.2) < 1e-6
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in telemetry.points("gen_ai.client.token.usage")}
    assert tokens == {"input": 200, "output": 60}
    for point in [*tools, turn, first_audio]:
        assert "gen_ai.conversation.id" not in point.attributes, "no ids in metric attributes"


def test_failing_and_timed_out_tools_are_errors(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            call("c1", T0 + 0.2),
            call("c2", T0 + 0.2, name="track_parcel"),
            finished("c1", T0 + 0.3, status="tool_error"),
            finished("c2", T0 + 5.2, status="timeout", name="track_parcel"),
        ],
    )
    failed = telemetry.span("execute_tool lookup_order")
    timed_out = telemetry.span("execute_tool track_parcel")
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "tool_error"
    assert timed_out.status.status_code is StatusCode.ERROR
    assert (timed_out.attributes or {})["error.type"] == "timeout"
    outcomes = {
        p.attributes["gen_ai.tool.name"]: p.attributes
        for p in telemetry.points("gen_ai.execute_tool.duration")
    }
    assert outcomes["track_parcel"]["error.type"] == "timeout"
    assert outcomes["lookup_order"]["agentkit.tool.status"] == "tool_error"


def test_cancelled_call_that_never_ran_still_gets_a_span(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(observer, [TurnStarted(time=T0), finished("c9", T0 + 0.4, status="cancelled")])
    span = telemetry.span("execute_tool lookup_order")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "cancelled"
    assert span.start_time == span.end_time


def test_interruption_is_an_event_and_a_turn_attribute(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    cancelled = StatusDetails(type="cancelled", reason="turn_detected")
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            AudioChunk(time=T0 + 0.2, response_id="r1", item_id="i1", audio="AAAA"),
            Interrupted(time=T0 + 0.6, response_id="r1", item_id="i1", played_ms=350),
            ResponseFinished(time=T0 + 0.65, response_id="r1", status="cancelled", status_details=cancelled),
            turn_done(T0 + 0.65, interrupted=True),
            TurnStarted(time=T0 + 0.65),
        ],
    )
    turn = telemetry.span("invoke_agent support")
    response = telemetry.span("chat gpt-realtime")
    assert (turn.attributes or {})["agentkit.turn.interrupted"] is True
    for span in (turn, response):
        (event,) = [e for e in span.events if e.name == "interrupted"]
        assert (event.attributes or {})["agentkit.played_ms"] == 350
    # Barge-in is normal: a cancelled response is not an error.
    assert response.status.status_code is StatusCode.UNSET
    assert (response.attributes or {})["gen_ai.response.finish_reasons"] == ("turn_detected",)
    assert (response.attributes or {})["agentkit.response.status"] == "cancelled"


def test_failed_response_marks_response_and_turn(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    details = StatusDetails(type="failed", error=ErrorDetail(type="server_error", code="rate_limit_exceeded"))
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            ResponseFinished(time=T0 + 0.2, response_id="r1", status="failed", status_details=details),
            turn_done(T0 + 0.2),
        ],
    )
    for name in ("chat gpt-realtime", "invoke_agent support"):
        span = telemetry.span(name)
        assert span.status.status_code is StatusCode.ERROR
        assert (span.attributes or {})["error.type"] == "rate_limit_exceeded"


def test_reconnect_is_a_span_with_events_under_the_open_turn(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    observer.on_event(TurnStarted(time=T0))
    observer.connection_event("connection_lost", T0 + 0.1, code=1006, reason="abnormal closure")
    observer.connection_event("reconnecting", T0 + 0.2, attempt=1)
    observer.connection_event("connected", T0 + 0.4)
    observer.on_event(Reconnected(time=T0 + 0.45, replayed_items=4))
    observer.connection_event("reconnected", T0 + 0.5, attempt=1)
    observer.on_event(turn_done(T0 + 1.0))

    reconnect = telemetry.span("reconnect support")
    turn = telemetry.span("invoke_agent support")
    assert turn.context is not None
    assert reconnect.parent is not None
    assert reconnect.parent.span_id == turn.context.span_id
    assert round(ms(reconnect)[1] - ms(reconnect)[0]) == 400
    names = [e.name for e in reconnect.events]
    assert names == ["connection_lost", "reconnecting", "connected", "replayed", "reconnected"]
    lost = reconnect.events[0].attributes or {}
    assert lost["code"] == 1006
    assert lost["reason"] == "abnormal closure"
    assert [e.name for e in turn.events] == names
    assert (reconnect.attributes or {})["agentkit.reconnect.outcome"] == "reconnected"
    (point,) = telemetry.points("agentkit.session.reconnects")
    assert point.value == 1
    assert point.attributes["agentkit.reconnect.outcome"] == "reconnected"


def test_failed_reconnect_outside_a_turn_is_an_error_span(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    observer.connection_event("connection_lost", T0, code=1011)
    observer.connection_event("reconnect_failed", T0 + 3.0, attempt=5, reason="gave up")
    reconnect = telemetry.span("reconnect support")
    assert reconnect.parent is None
    assert reconnect.status.status_code is StatusCode.ERROR
    assert (reconnect.attributes or {})["error.type"] == "reconnect_failed"
    connect = telemetry.span("connect support")
    assert connect.context is not None
    assert [link.context.span_id for link in reconnect.links] == [connect.context.span_id]


def test_error_frames_become_events_and_are_counted(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    error = ErrorDetail(type="invalid_request_error", code="unknown_parameter", message="Unknown parameter")
    feed(
        observer,
        [
            ErrorReported(time=T0, error=error, fatal=False),  # outside any turn
            TurnStarted(time=T0 + 1),
            ResponseStarted(time=T0 + 1.1, response_id="r1"),
            ErrorReported(time=T0 + 1.2, error=error, fatal=False, handled=True),
            ResponseFinished(time=T0 + 1.3, response_id="r1", status="completed"),
            turn_done(T0 + 1.3),
        ],
    )
    standalone = telemetry.span("session error")
    (event,) = standalone.events
    assert (event.attributes or {})["error.type"] == "unknown_parameter"
    for name in ("chat gpt-realtime", "invoke_agent support"):
        (event,) = [e for e in telemetry.span(name).events if e.name == "error"]
        assert (event.attributes or {})["agentkit.error.handled"] is True
    (point,) = telemetry.points("agentkit.session.errors")
    assert point.value == 2
    assert point.attributes["error.type"] == "unknown_parameter"


def test_content_is_recorded_only_when_opted_in(telemetry: Telemetry) -> None:
    feed(started_observer(telemetry), two_parallel_calls())
    for span in telemetry.spans():
        assert "gen_ai.tool.call.arguments" not in (span.attributes or {})
        assert "gen_ai.tool.call.result" not in (span.attributes or {})
    telemetry.exporter.clear()

    feed(started_observer(telemetry, record_content=True), two_parallel_calls())
    attributes = telemetry.span("execute_tool lookup_order").attributes or {}
    assert attributes["gen_ai.tool.call.arguments"] == '{"order_id": "A-10"}'
    assert "shipped" in str(attributes["gen_ai.tool.call.result"])


def test_no_secret_reaches_any_attribute_or_event(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(observer, two_parallel_calls())
    observer.connection_event("connection_lost", T0 + 2, code=1006, reason="gone")
    observer.connection_event("reconnected", T0 + 3, attempt=1)
    observer.session_closed(T0 + 4)
    dumped = " ".join(span.to_json() for span in telemetry.spans())
    assert "shipped" not in dumped, "tool results are content: not recorded by default"
    assert SECRET not in dumped


def test_tool_scope_makes_the_tool_span_current(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    started = call("c1", T0 + 0.2)
    feed(observer, [TurnStarted(time=T0), ResponseStarted(time=T0 + 0.1, response_id="r1")])
    # The tool task may enter its scope before `on_event` sees the call: the span is made then.
    with observer.tool_scope(started):
        inner = telemetry.tracer_provider.get_tracer("tool").start_span("GET /orders/A-10")
        inner.end()
    assert trace.get_current_span() is trace.INVALID_SPAN
    observer.on_event(started)
    observer.on_event(finished("c1", T0 + 0.5))

    tool = telemetry.span("execute_tool lookup_order")
    nested = telemetry.span("GET /orders/A-10")
    assert tool.context is not None
    assert nested.parent is not None
    assert nested.parent.span_id == tool.context.span_id


def test_session_closed_ends_everything_still_open(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [TurnStarted(time=T0), ResponseStarted(time=T0 + 0.1, response_id="r1"), call("c1", T0 + 0.2)],
    )
    observer.connection_event("connection_lost", T0 + 0.3)
    observer.session_closed(T0 + 0.5)
    names = sorted(s.name for s in telemetry.spans())
    assert names == [
        "chat gpt-realtime",
        "connect support",
        "execute_tool lookup_order",
        "invoke_agent support",
        "reconnect support",
    ]
    assert all(s.end_time is not None for s in telemetry.spans())


def test_turn_numbers_count_up(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    for index in range(3):
        feed(observer, [TurnStarted(time=T0 + index), turn_done(T0 + index + 0.5)])
    numbers = sorted(
        (s.attributes or {})["agentkit.turn.number"] for s in telemetry.spans() if s.name.startswith("invoke")
    )
    assert numbers == [1, 2, 3]


def test_without_an_sdk_nothing_records_and_nothing_fails() -> None:
    observer = TracingObserver(
        tracer_provider=trace.NoOpTracerProvider(), meter_provider=None, record_content=True
    )
    observer.session_started(INFO, T0)
    feed(observer, two_parallel_calls())
    with observer.tool_scope(call("c3", T0)):
        assert not trace.get_current_span().is_recording()
    observer.connection_event("connection_lost", T0 + 2)
    observer.session_closed(T0 + 3)


def test_events_before_session_started_are_traced_without_session_attributes(telemetry: Telemetry) -> None:
    observer = telemetry.observer()
    feed(observer, [TurnStarted(time=5.0), TextDelta(time=5.1, response_id="x", item_id="i", delta="a")])
    observer.on_event(turn_done(5.5))
    turn = telemetry.span("invoke_agent agent")
    assert turn.links == ()
    assert round(ms(turn)[1] - ms(turn)[0]) == 500


def test_first_audio_counts_even_when_its_transcript_came_first(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            TranscriptDelta(time=T0 + 0.2, response_id="r1", item_id="i1", delta="Hel"),
            AudioChunk(time=T0 + 0.3, response_id="r1", item_id="i1", audio="AAAA"),
            turn_done(T0 + 0.5),
        ],
    )
    attributes = telemetry.span("invoke_agent support").attributes or {}
    assert attributes["agentkit.turn.time_to_first_text_ms"] == 200.0
    assert attributes["agentkit.turn.time_to_first_audio_ms"] == 300.0


def test_an_observer_reused_after_close_starts_afresh_and_sharing_is_flagged(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    observer = started_observer(telemetry)
    feed(observer, [TurnStarted(time=T0), turn_done(T0 + 0.5)])
    observer.session_closed(T0 + 1)
    observer.session_started(INFO, T0 + 2)
    feed(observer, [TurnStarted(time=T0 + 3), turn_done(T0 + 3.5)])
    numbers = [
        (s.attributes or {})["agentkit.turn.number"] for s in telemetry.spans() if s.name.startswith("invoke")
    ]
    assert numbers == [1, 1]
    assert not caplog.records
    observer.session_started(INFO, T0 + 4)  # a second live session on the same observer
    assert "one session at a time" in caplog.text


def test_approvals_are_span_events_on_the_turn(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            ApprovalRequested(
                time=T0 + 0.2,
                call_id="c1",
                name="refund",
                arguments='{"amount": 80}',
                response_id="r1",
                deadline=None,
            ),
            ApprovalDecided(time=T0 + 0.5, call_id="c1", name="refund", verdict="rejected", reason="limit"),
            turn_done(T0 + 0.9),
        ],
    )
    turn = telemetry.span("invoke_agent support")
    events = {event.name: dict(event.attributes or {}) for event in turn.events}
    assert events["approval_requested"]["gen_ai.tool.name"] == "refund"
    assert events["approval_requested"]["gen_ai.tool.call.id"] == "c1"
    assert events["approval_decided"]["agentkit.approval.verdict"] == "rejected"


def test_a_handoff_is_a_span_event_and_later_spans_name_the_new_agent(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            ResponseStarted(time=T0 + 0.1, response_id="r1"),
            ResponseFinished(time=T0 + 0.2, response_id="r1", status="completed"),
            HandedOff(time=T0 + 0.3, from_agent="support", to_agent="refunds", reason="refund", call_id="c1"),
            ResponseStarted(time=T0 + 0.4, response_id="r2"),
            ResponseFinished(time=T0 + 0.5, response_id="r2", status="completed"),
            turn_done(T0 + 0.9, responses=2),
        ],
    )
    turn = telemetry.span("invoke_agent support")
    [handoff] = [event for event in turn.events if event.name == "handoff"]
    assert dict(handoff.attributes or {})["agentkit.handoff.to"] == "refunds"
    chats = [s for s in telemetry.spans() if s.name == "chat gpt-realtime"]
    names = [
        dict(s.attributes or {})["gen_ai.agent.name"] for s in sorted(chats, key=lambda s: s.start_time or 0)
    ]
    assert names == ["support", "refunds"], "which agent answered which response"


def test_guardrail_trips_and_transfers_are_span_events_on_the_turn(telemetry: Telemetry) -> None:
    summary = HandoverSummary(reason="wants a person", agent="support", session_id="sess_local_1")
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            GuardrailTripped(
                time=T0 + 0.1, guardrail="no_card_numbers", kind="output", action="stopped", reason="card"
            ),
            TransferredToPerson(time=T0 + 0.2, call_id="c9", accepted=True, summary=summary),
            turn_done(T0 + 0.9),
        ],
    )
    turn = telemetry.span("invoke_agent support")
    events = {event.name: dict(event.attributes or {}) for event in turn.events}
    assert events["guardrail_tripped"]["agentkit.guardrail.name"] == "no_card_numbers"
    assert events["guardrail_tripped"]["agentkit.guardrail.action"] == "stopped"
    assert events["transfer_to_person"]["agentkit.transfer.accepted"] is True
    assert events["transfer_to_person"]["gen_ai.tool.call.id"] == "c9"


def test_a_policy_enforcement_is_a_span_event_on_the_turn(telemetry: Telemetry) -> None:
    observer = started_observer(telemetry)
    feed(
        observer,
        [
            TurnStarted(time=T0),
            PolicyEnforced(time=T0 + 0.2, rule="client_function_output", detail="item item_9", count=1),
            turn_done(T0 + 0.9),
        ],
    )
    turn = telemetry.span("invoke_agent support")
    [event] = [e for e in turn.events if e.name == "policy_enforced"]
    assert dict(event.attributes or {}) == {
        "agentkit.policy.rule": "client_function_output",
        "agentkit.policy.count": 1,
        "agentkit.policy.detail": "item item_9",
    }
