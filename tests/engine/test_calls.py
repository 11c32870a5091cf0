"""Streaming arguments, early start, and exactly one output per call."""

from __future__ import annotations

import pytest

from agentkit.engine import (
    NO_CALL_ID_CODE,
    ArgumentsDelta,
    CallPolicy,
    EngineClosed,
    ErrorReported,
    StartCall,
    ToolCallFinished,
    ToolCallStarted,
    parse_partial,
)
from agentkit.protocol import ResponseFunctionCallArgumentsDelta
from tests.engine.script import (
    Harness,
    call_events,
    created,
    done,
    fc_added,
    fc_args_done,
    fc_delta,
    fc_item,
    fc_item_done,
)


def test_interleaved_deltas_are_accumulated_per_item_not_by_arrival() -> None:
    h = Harness()
    h.feed(created("r1"), fc_added("r1", 0, "c1", "first"), fc_added("r1", 1, "c2", "second"))
    h.feed(
        fc_delta("r1", 1, "c2", '{"order": "B'),
        fc_delta("r1", 0, "c1", '{"order": "A'),
        fc_delta("r1", 0, "c1", '-10"}'),
        fc_delta("r1", 1, "c2", '-20"}'),
    )
    deltas = h.emitted(ArgumentsDelta)
    assert [(d.call_id, d.name, d.partial) for d in deltas] == [
        ("c2", "second", {"order": "B"}),
        ("c1", "first", {"order": "A"}),
        ("c1", "first", {"order": "A-10"}),
        ("c2", "second", {"order": "B-20"}),
    ]
    assert deltas[-1].arguments_so_far == '{"order": "B-20"}'


def test_deltas_without_item_id_are_keyed_by_output_index() -> None:
    h = Harness()
    h.feed(created("r1"))
    for index, call_id in ((0, "c1"), (1, "c2"), (0, "c1"), (1, "c2")):
        h.feed(
            ResponseFunctionCallArgumentsDelta(
                response_id="r1", output_index=index, item_id="", call_id=call_id, delta=f"{index}"
            )
        )
    so_far = {d.call_id: d.arguments_so_far for d in h.emitted(ArgumentsDelta)}
    assert so_far == {"c1": "00", "c2": "11"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", {}), ("{", {}), ('{"a": 1, "b": "x', {"a": 1, "b": "x"}), ("[1, 2", {}), ('"str', {}), ("nul", {})],
)
def test_partial_arguments_are_parsed_best_effort(text: str, expected: dict[str, object]) -> None:
    assert parse_partial(text) == expected


def test_call_starts_at_arguments_done_before_the_response_ends() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1", '{"q": 1}')[:4])
    assert h.started() == ["c1"]
    start = next(a for a in h.actions if isinstance(a, StartCall))
    assert start == StartCall("c1", "lookup", '{"q": 1}', "r1")
    assert [e.call_id for e in h.emitted(ToolCallStarted)] == ["c1"]
    h.feed(fc_item_done("r1", 0, "c1", '{"q": 1}'), done("r1", output=[fc_item("c1", '{"q": 1}')]))
    assert h.started() == ["c1"], "a started call is never started again"


def test_preview_done_without_name_takes_the_name_from_the_added_item() -> None:
    h = Harness()
    h.feed(
        created("r1"), fc_added("r1", 0, "c1", "get_weather"), fc_args_done("r1", 0, "c1", "{}", name=None)
    )
    assert [(e.call_id, e.name) for e in h.emitted(ToolCallStarted)] == [("c1", "get_weather")]


def test_without_any_name_the_call_waits_for_its_item() -> None:
    h = Harness()
    h.feed(created("r1"), fc_delta("r1", 0, "c1", "{}"), fc_args_done("r1", 0, "c1", "{}", name=None))
    assert h.started() == []
    h.feed(fc_item_done("r1", 0, "c1", "{}", name="from_item"))
    assert [e.name for e in h.emitted(ToolCallStarted)] == ["from_item"]


def test_calls_seen_only_in_response_done_still_run() -> None:
    h = Harness()
    h.feed(created("r1"), done("r1", output=[fc_item("c1"), fc_item("c2", name="other")]))
    assert h.started() == ["c1", "c2"]


@pytest.mark.parametrize("status", ["incomplete", "cancelled"])
def test_call_whose_item_ends_badly_is_not_run_but_answered(status: str) -> None:
    h = Harness()
    h.feed(created("r1"), fc_added("r1", 0, "c1"), fc_delta("r1", 0, "c1", '{"q"'))
    h.feed(fc_item_done("r1", 0, "c1", '{"q"', status=status), done("r1", status="cancelled"))
    assert h.started() == []
    assert {k: len(v) for k, v in h.outputs().items()} == {"c1": 1}
    assert [e.status for e in h.emitted(ToolCallFinished)] == ["cancelled"]


@pytest.mark.parametrize("status", ["cancelled", "incomplete", "failed"])
def test_running_call_of_a_response_that_ends_badly_is_cancelled_once(status: str) -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1")[:4])
    h.feed(done("r1", status=status))
    assert h.cancelled() == ["c1"]
    assert len(h.outputs()["c1"]) == 1
    assert h.finish("c1") == [], "the late result is dropped"
    assert len(h.outputs()["c1"]) == 1
    assert h.creates() == []


def test_every_outcome_status_is_posted_once() -> None:
    statuses = ["ok", "invalid_arguments", "tool_error", "error", "timeout", "cancelled", "unknown_tool"]
    h = Harness()
    h.feed(created("r1"))
    for index in range(len(statuses)):
        h.feed(*call_events("r1", index, f"c{index}"))
    h.feed(done("r1"))
    for index, status in enumerate(statuses):
        h.finish(f"c{index}", output=f"outcome {status}", status=status)
        h.finish(f"c{index}", output="again", status="ok")
    assert h.outputs() == {f"c{i}": [f"outcome {s}"] for i, s in enumerate(statuses)}
    assert [e.status for e in h.emitted(ToolCallFinished)] == statuses


def test_duplicate_call_id_is_ignored() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"))
    duplicate = [
        fc_added("r1", 1, "c1", item_id="item_dup"),
        fc_args_done("r1", 1, "c1", "{}", item_id="item_dup"),
    ]
    h.feed(*duplicate, done("r1"))
    h.feed(created("r2"), fc_added("r2", 0, "c1"), fc_args_done("r2", 0, "c1", "{}"), done("r2"))
    assert h.started() == ["c1"]
    h.finish("c1")
    assert h.outputs() == {"c1": ["result"]}


def test_result_for_unknown_call_is_dropped() -> None:
    h = Harness()
    assert h.finish("nope") == []


def test_close_answers_every_unsettled_call_and_leaves_nothing_pending() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "running"), fc_added("r1", 1, "streaming"))
    h.feed(fc_delta("r1", 1, "streaming", "{"))
    h.run(h.engine.close(h.now))
    assert h.cancelled() == ["running"]
    assert {k: len(v) for k, v in h.outputs().items()} == {"running": 1, "streaming": 1}
    assert h.engine.running_calls == ()
    assert h.finish("running") == []
    assert h.engine.close(h.now) == []
    with pytest.raises(EngineClosed):
        h.engine.send_text("hello", h.now)


def test_policy_is_asked_by_tool_name() -> None:
    asked: list[str] = []

    def policy(name: str) -> CallPolicy:
        asked.append(name)
        return CallPolicy()

    h = Harness(policy=policy)
    h.feed(created("r1"), *call_events("r1", 0, "c1", name="alpha"), *call_events("r1", 1, "c2", name="beta"))
    assert asked == ["alpha", "beta"]


def test_a_call_without_a_call_id_is_reported_once_never_run_and_never_silent() -> None:
    h = Harness()
    unnamed = [
        fc_added("r1", 0, "", item_id="item_nameless"),
        fc_delta("r1", 0, "", '{"q": 1}', item_id="item_nameless"),
        fc_args_done("r1", 0, "", '{"q": 1}', item_id="item_nameless"),
    ]
    actions = h.feed(created("r1"), *unnamed, done("r1"))
    reports = h.emitted(ErrorReported, actions)
    assert [(r.error.code, r.fatal) for r in reports] == [(NO_CALL_ID_CODE, False)]
    assert "call_id" in reports[0].error.message
    assert h.started() == []
    assert h.engine.running_calls == ()
    assert not h.engine.response_requested  # nothing waits on an output that can never come
