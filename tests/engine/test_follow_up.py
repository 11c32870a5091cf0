"""Exactly one `response.create` per tool batch, never while a response is active."""

from __future__ import annotations

import itertools

import pytest

from agentkit.engine import CREATE_TAG, CallPolicy, ErrorReported, Send
from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem, ResponseCreate, ResponseParams
from tests.engine.script import Harness, call_events, created, done, error, output_acked, speech_started


def _is_create(action: object) -> bool:
    return isinstance(action, Send) and isinstance(action.event, ResponseCreate)


def _is_output(call_id: str):  # type: ignore[no-untyped-def]
    def check(action: object) -> bool:
        return (
            isinstance(action, Send)
            and isinstance(action.event, ConversationItemCreate)
            and isinstance(action.event.item, FunctionCallOutputItem)
            and action.event.item.call_id == call_id
        )

    return check


def _three_calls(h: Harness, rid: str = "r1") -> None:
    h.feed(created(rid))
    for index in range(3):
        h.feed(*call_events(rid, index, f"{rid}c{index}"))


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_one_create_after_done_and_every_output(order: tuple[int, ...]) -> None:
    h = Harness()
    _three_calls(h)
    h.finish(f"r1c{order[0]}")
    h.feed(done("r1"))
    h.finish(f"r1c{order[1]}")
    assert h.creates() == [], "not before every output is posted"
    h.finish(f"r1c{order[2]}")
    assert len(h.creates()) == 1
    create_at = h.index_of(_is_create)
    assert all(h.index_of(_is_output(f"r1c{i}")) < create_at for i in range(3))
    assert h.creates()[0].event_id is not None


def test_no_create_before_response_done_even_when_outputs_are_ready() -> None:
    h = Harness()
    _three_calls(h)
    for index in range(3):
        h.finish(f"r1c{index}")
    assert h.creates() == []
    h.feed(done("r1"))
    assert len(h.creates()) == 1


def test_state_only_tools_do_not_ask_for_a_follow_up_alone() -> None:
    policy = {"note": CallPolicy(follow_up=False)}
    h = Harness(policy=lambda name: policy.get(name, CallPolicy()))
    h.feed(created("r1"), *call_events("r1", 0, "c1", name="note"), done("r1"))
    h.finish("c1")
    assert h.creates() == []
    h.feed(created("r2"), *call_events("r2", 0, "c2", name="note"), *call_events("r2", 1, "c3"), done("r2"))
    h.finish("c2")
    h.finish("c3")
    assert len(h.creates()) == 1


def test_app_request_while_a_response_is_active_is_queued() -> None:
    h = Harness()
    h.feed(created("r1"))
    h.run(h.engine.send_text("and another thing", h.now))
    assert h.creates() == []
    assert h.engine.response_active
    h.feed(done("r1"))
    assert len(h.creates()) == 1
    h.run(h.engine.request_response(h.now, ResponseParams(instructions="short")))
    assert len(h.creates()) == 1, "the first create has not started its response yet"
    h.feed(created("r2"), done("r2"))
    second = h.creates()[1]
    assert second.response == ResponseParams(instructions="short", metadata={CREATE_TAG: second.event_id}), (
        "the application's parameters, tagged as ours"
    )


def test_active_response_error_is_retried_after_the_active_response() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1"))
    h.finish("c1")
    ours = h.creates()[0]
    h.feed(created("r_vad"))  # server VAD won the race, before it saw our output
    h.feed(output_acked("c1"))
    actions = h.feed(error("conversation_already_has_active_response", ours.event_id))
    reported = h.emitted(ErrorReported, actions)
    assert [(r.handled, r.fatal) for r in reported] == [(True, False)]
    assert len(h.creates()) == 1
    h.feed(done("r_vad"))
    assert len(h.creates()) == 2


def test_active_response_error_is_skipped_when_the_winner_saw_the_outputs() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1"))
    h.finish("c1")
    ours = h.creates()[0]
    h.feed(output_acked("c1"), created("r_vad"))
    h.feed(error(None, ours.event_id, "Conversation already has an active response in progress: r_vad"))
    h.feed(done("r_vad"))
    assert len(h.creates()) == 1


def test_server_started_response_that_saw_the_outputs_replaces_the_follow_up() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), created("r_other"))
    h.feed(done("r1"))
    h.finish("c1")
    h.feed(output_acked("c1"), done("r_other"))
    assert len(h.creates()) == 1, "r_other began before the output existed"


def test_active_response_error_for_an_unseen_response_waits_for_a_response_done() -> None:
    h = Harness()
    h.run(h.engine.request_response(h.now))
    first = h.creates()[0]
    h.feed(error("conversation_already_has_active_response", first.event_id))
    assert len(h.creates()) == 1, "no immediate retry loop"
    h.feed(done("r_unknown"))
    assert len(h.creates()) == 2


def test_other_errors_for_our_create_are_reported_not_retried() -> None:
    h = Harness()
    h.run(h.engine.request_response(h.now))
    first = h.creates()[0]
    h.feed(error("invalid_value", first.event_id))
    assert [r.handled for r in h.emitted(ErrorReported)] == [False]
    h.feed(created("r1"), done("r1"))
    assert len(h.creates()) == 1


def test_results_after_a_new_user_turn_are_posted_without_a_follow_up() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1"))
    h.feed(speech_started(), created("r2"), done("r2"))
    h.finish("c1")
    assert h.outputs() == {"c1": ["result"]}
    assert h.creates() == []


def test_a_create_sent_for_any_reason_carries_the_ready_batches() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), created("r2"), done("r1"))
    h.finish("c1")
    h.feed(done("r2"))
    assert len(h.creates()) == 1
    h.feed(created("r3"), done("r3"))
    assert len(h.creates()) == 1, "r3 was the follow-up; nothing more is due"
