"""Turns as `ask()` sees them, errors that are not sticky, and replay after a reconnect."""

from __future__ import annotations

from agentkit.engine import (
    ErrorReported,
    Reconnected,
    ResponseFinished,
    ResponseStarted,
    TextDelta,
    ToolCallFinished,
    TurnDone,
    TurnStarted,
)
from agentkit.protocol import (
    ConversationItemCreate,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioBufferCommitted,
    InputAudioTranscriptionCompleted,
    MessageItem,
    ResponseAudioTranscriptDone,
    ResponseCreate,
    SessionConfig,
    SessionUpdate,
    TokenDetails,
    Usage,
)
from tests.engine.script import (
    Harness,
    assistant_message,
    audio,
    call_events,
    created,
    done,
    error,
    fc_added,
    fc_delta,
    fc_item,
    speech_started,
    text,
)


def _usage(n: int) -> Usage:
    return Usage(
        total_tokens=3 * n,
        input_tokens=n,
        output_tokens=2 * n,
        input_token_details=TokenDetails(text_tokens=n, cached_tokens_details=TokenDetails(audio_tokens=n)),
    )


def test_a_turn_spans_its_tool_round_and_sums_usage() -> None:
    h = Harness()
    h.run(h.engine.send_text("where is my order?", h.now))
    assert len(h.emitted(TurnStarted)) == 1
    h.feed(
        created("r1"), text("r1", "m1", "Let me "), text("r1", "m1", "check."), *call_events("r1", 1, "c1")
    )
    h.feed(done("r1", usage=_usage(10)))
    h.now = 1.0
    h.finish("c1", output='{"status": "shipped"}')
    assert h.emitted(TurnDone) == [], "the follow-up is still to come"
    h.feed(created("r2"), text("r2", "m2", "It shipped."), done("r2", usage=_usage(5)))
    [done_event] = h.emitted(TurnDone)
    turn = done_event.turn
    assert turn.user_input == "where is my order?"
    assert turn.text == "Let me check.\nIt shipped."
    assert [(c.call_id, c.output, c.status) for c in turn.tool_calls] == [
        ("c1", '{"status": "shipped"}', "ok")
    ]
    assert turn.usage.total_tokens == 45
    details = turn.usage.input_token_details
    assert details is not None
    assert details.model_dump(exclude_none=True) == {
        "text_tokens": 15,
        "cached_tokens_details": {"audio_tokens": 15},
    }
    assert turn.response_ids == ("r1", "r2")
    assert not turn.interrupted
    assert turn.ended_at == 1.0


def test_events_carry_the_time_they_were_given() -> None:
    h = Harness()
    h.now = 2.5
    h.feed(created("r1"))
    h.now = 3.0
    h.feed(text("r1", "m1", "hi"), done("r1"))
    assert [e.time for e in h.emitted(ResponseStarted)] == [2.5]
    assert [e.time for e in h.emitted(TextDelta)] == [3.0]
    assert [e.time for e in h.emitted(ResponseFinished)] == [3.0]


def test_a_new_turn_closes_the_previous_one_as_interrupted() -> None:
    h = Harness()
    h.feed(created("r1"), audio("r1", "m1", 1000))
    h.feed(speech_started())
    [first] = h.emitted(TurnDone)
    assert first.turn.interrupted
    assert len(h.emitted(TurnStarted)) == 2


def test_errors_are_reported_and_the_engine_goes_on() -> None:
    h = Harness()
    h.feed(error("invalid_value"), error("session_expired"))
    assert [(e.error.code, e.fatal, e.handled) for e in h.emitted(ErrorReported)] == [
        ("invalid_value", False, False),
        ("session_expired", True, False),
    ]
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1"))
    h.finish("c1")
    assert len(h.sent(ResponseCreate)) == 1


def test_response_cancel_not_active_for_our_cancel_is_handled() -> None:
    h = Harness()
    h.feed(created("r1"))
    h.run(h.engine.cancel_response(h.now))
    h.feed(done("r1", status="cancelled"))
    cancel_id = next(a.event.event_id for a in h.actions if type(a.event).__name__ == "ResponseCancel")  # type: ignore[union-attr]
    h.feed(error("response_cancel_not_active", cancel_id))
    assert [e.handled for e in h.emitted(ErrorReported)] == [True]


def test_reconnect_resends_config_and_replays_the_conversation_in_order() -> None:
    h = Harness(SessionConfig(instructions="be brief"))
    h.run(h.engine.update_session(SessionConfig(voice="marin"), h.now))
    h.run(h.engine.send_text("hello", h.now))
    h.feed(created("r1"), text("r1", "m1", "Hi there."), *call_events("r1", 1, "done_call"))
    h.feed(
        *call_events("r1", 2, "slow_call"), fc_added("r1", 3, "partial"), fc_delta("r1", 3, "partial", "{")
    )
    h.finish("done_call", output="42")
    h.feed(InputAudioBufferCommitted(item_id="u2"))
    h.feed(InputAudioTranscriptionCompleted(item_id="u2", transcript="spoken words"))
    h.run(h.engine.connection_lost(h.now))
    assert [e.status for e in h.emitted(ResponseFinished)] == ["disconnected"]
    assert {e.call_id: e.status for e in h.emitted(ToolCallFinished)} == {
        "done_call": "ok",
        "partial": "cancelled",
    }
    before = len(h.actions)
    h.finish("slow_call", output="late but fine")  # finishes while offline: recorded, replayed
    assert h.sent(ConversationItemCreate, h.actions[before:]) == []
    replay = h.run(h.engine.reconnected(h.now))
    [update] = h.sent(SessionUpdate, replay)
    assert update.session.instructions == "be brief"
    assert update.session.voice == "marin"
    items = [e.item for e in h.sent(ConversationItemCreate, replay)]
    shapes = []
    for item in items:
        if isinstance(item, MessageItem):
            shapes.append((item.role, item.text))
        elif isinstance(item, FunctionCallItem):
            shapes.append(("call", item.call_id))
        elif isinstance(item, FunctionCallOutputItem):
            shapes.append(("output", item.output))
    assert shapes == [
        ("user", "hello"),
        ("assistant", "Hi there."),
        ("call", "done_call"),
        ("output", "42"),
        ("call", "slow_call"),
        ("output", "late but fine"),
        ("user", "spoken words"),
    ]
    assert [e.replayed_items for e in h.emitted(Reconnected, replay)] == [7]
    assert len(h.sent(ResponseCreate, replay)) == 1, "the cut tool round gets its one follow-up"


def test_a_call_running_across_a_reconnect_posts_its_output_after_the_replay() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1", output=[fc_item("c1", '{"q": 1}')]))
    h.run(h.engine.connection_lost(h.now))
    replay = h.run(h.engine.reconnected(h.now))
    assert [type(e.item).__name__ for e in h.sent(ConversationItemCreate, replay)] == ["FunctionCallItem"]
    h.finish("c1", output="ok")
    assert h.outputs() == {"c1": ["ok"]}
    assert len(h.sent(ResponseCreate)) == 1


def test_heard_part_of_an_interrupted_audio_message_is_replayed() -> None:
    h = Harness()
    h.feed(created("r1"), audio("r1", "m1", 1000))
    h.feed(ResponseAudioTranscriptDone(response_id="r1", item_id="m1", transcript="abcdefghij"))
    h.now = 0.5
    h.feed(speech_started(), done("r1", status="cancelled", output=[assistant_message("m1", "abcdefghij")]))
    h.run(h.engine.connection_lost(h.now))
    replay = h.run(h.engine.reconnected(h.now))
    texts = [e.item.text for e in h.sent(ConversationItemCreate, replay) if isinstance(e.item, MessageItem)]
    assert texts == ["abcde"]
