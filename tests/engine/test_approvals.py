"""Calls that wait for a person's decision: they start only once approved, and every other way their
wait can end (rejection, deadline, barge-in, a drop, the session closing) still answers them once."""

from __future__ import annotations

import pytest

from agentkit.engine import (
    ApprovalDecided,
    ApprovalError,
    ApprovalNeed,
    ApprovalRequested,
    CallPolicy,
    ToolCallFinished,
)
from tests.engine.script import Harness, call_events, created, done, fc_item, speech_started


def _approval_for(*names: str, timeout: float | None = None) -> dict[str, object]:
    def check(call_id: str, name: str, arguments: str) -> ApprovalNeed | None:
        return ApprovalNeed(timeout=timeout) if name in names else None

    return {"approvals": check}


def _batch(h: Harness, *calls: tuple[str, str]) -> None:
    """Response r1 makes the calls `(call_id, tool name)` and ends."""
    h.feed(created("r1"))
    for index, (call_id, name) in enumerate(calls):
        h.feed(*call_events("r1", index, call_id, '{"amount": 80}', name))
    h.feed(done("r1", output=[fc_item(c, '{"amount": 80}', n) for c, n in calls]))


def test_a_call_that_needs_approval_waits_and_holds_its_batch_follow_up() -> None:
    h = Harness(**_approval_for("refund"))
    _batch(h, ("c1", "lookup"), ("c2", "refund"))
    assert h.started() == ["c1"]
    [request] = h.emitted(ApprovalRequested)
    assert (request.call_id, request.name, request.arguments, request.deadline) == (
        "c2",
        "refund",
        '{"amount": 80}',
        None,
    )
    h.finish("c1")
    assert h.creates() == [], "the batch waits for the decision"
    h.run(h.engine.approve("c2", h.now))
    assert h.started() == ["c1", "c2"]
    assert h.creates() == []
    h.finish("c2", "refunded")
    assert len(h.creates()) == 1
    assert h.outputs() == {"c1": ["result"], "c2": ["refunded"]}


def test_a_rejection_is_the_output_with_its_reason_and_the_model_is_asked_to_say_it() -> None:
    h = Harness(**_approval_for("refund"))
    _batch(h, ("c1", "refund"))
    h.run(h.engine.reject("c1", "refunds over 50 euros need a receipt", h.now))
    assert h.started() == []
    [output] = h.outputs()["c1"]
    assert "refunds over 50 euros need a receipt" in output
    assert "not carried out" in output
    [finished] = h.emitted(ToolCallFinished)
    assert finished.status == "rejected"
    [decided] = h.emitted(ApprovalDecided)
    assert (decided.verdict, decided.reason) == ("rejected", "refunds over 50 euros need a receipt")
    assert len(h.creates()) == 1, "the model tells the user"


def test_no_decision_before_the_deadline_answers_the_call_with_a_timeout() -> None:
    h = Harness(**_approval_for("refund", timeout=30.0))
    h.now = 100.0
    _batch(h, ("c1", "refund"))
    assert h.emitted(ApprovalRequested)[0].deadline == 130.0
    assert h.engine.next_deadline == 130.0
    h.now = 129.0
    assert h.run(h.engine.tick(h.now)) == []
    h.now = 130.0
    h.run(h.engine.tick(h.now))
    assert h.emitted(ToolCallFinished)[0].status == "approval_timeout"
    assert "30 seconds" in h.outputs()["c1"][0]
    assert h.emitted(ApprovalDecided)[0].verdict == "timed_out"
    assert len(h.creates()) == 1
    assert h.engine.awaiting_approval == ()
    with pytest.raises(ApprovalError, match="already timed out"):
        h.engine.approve("c1", h.now)


def test_deciding_twice_or_for_an_unknown_call_is_a_clear_error_that_changes_nothing() -> None:
    h = Harness(**_approval_for("refund"))
    _batch(h, ("c1", "refund"), ("c2", "lookup"))
    with pytest.raises(ApprovalError, match="no call nope is waiting for approval"):
        h.engine.approve("nope", h.now)
    with pytest.raises(ApprovalError, match="no call c2 is waiting"):
        h.engine.approve("c2", h.now)  # it never needed approval
    h.run(h.engine.approve("c1", h.now))
    before = list(h.actions)
    with pytest.raises(ApprovalError, match="already approved"):
        h.engine.approve("c1", h.now)
    with pytest.raises(ApprovalError, match="already approved"):
        h.engine.reject("c1", "changed my mind", h.now)
    assert h.actions == before
    assert h.started() == ["c2", "c1"]


def test_a_barge_in_cancels_a_waiting_call_whose_tool_says_so() -> None:
    policy = {"refund": CallPolicy(cancel_on_interrupt=True)}
    h = Harness(policy=lambda name: policy.get(name, CallPolicy()), **_approval_for("refund", "payout"))
    h.feed(
        created("r1"),
        *call_events("r1", 0, "c1", "{}", "refund"),
        *call_events("r1", 1, "c2", "{}", "payout"),
    )
    h.feed(speech_started())  # while r1 still runs
    assert [e.call_id for e in h.emitted(ToolCallFinished)] == ["c1"]
    assert "interrupted" in h.outputs()["c1"][0]
    assert h.engine.awaiting_approval == ("c2",)
    with pytest.raises(ApprovalError, match="cancelled"):
        h.engine.approve("c1", h.now)


def test_a_waiting_call_survives_a_drop_and_closing_answers_it() -> None:
    h = Harness(**_approval_for("refund"))
    _batch(h, ("c1", "refund"))
    h.run(h.engine.connection_lost(h.now))
    assert h.engine.awaiting_approval == ("c1",)
    h.run(h.engine.reconnected(h.now))
    h.run(h.engine.close(h.now))
    [finished] = h.emitted(ToolCallFinished)
    assert (finished.call_id, finished.status) == ("c1", "cancelled")
    assert h.engine.awaiting_approval == ()
