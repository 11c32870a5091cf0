"""`tick(now)` at `next_deadline`: no wait on the server lasts longer than the create timeout."""

from __future__ import annotations

import pytest

from agentkit.engine import BUSY_TIMEOUT_CODE, CREATE_TIMEOUT_CODE, ErrorReported, TurnDone, TurnEngine
from agentkit.protocol import ResponseCreate
from tests.engine.script import Harness, call_events, created, done, error


def _asked() -> Harness:
    h = Harness()
    h.run(h.engine.send_text("hello", h.now))
    return h


def test_an_unanswered_create_is_reported_released_and_asked_once_more() -> None:
    h = _asked()
    [first] = h.creates()
    assert h.engine.next_deadline == 15.0
    assert h.run(h.engine.tick(14.9)) == [], "not before its deadline"
    h.now = 15.0
    out = h.run(h.engine.tick(h.now))
    [report] = h.emitted(ErrorReported, out)
    assert (report.error.code, report.error.event_id, report.fatal, report.handled) == (
        CREATE_TIMEOUT_CODE,
        first.event_id,
        False,
        True,
    )
    [retry] = h.sent(ResponseCreate, out)
    assert retry.event_id != first.event_id
    assert h.engine.next_deadline == 30.0
    h.feed(created("r1"), done("r1"))
    assert h.engine.next_deadline is None
    assert len(h.emitted(TurnDone)) == 1


def test_a_second_silence_gives_up_and_ends_the_turn() -> None:
    h = _asked()
    h.run(h.engine.tick(15.0))
    out = h.run(h.engine.tick(30.0))
    [report] = h.emitted(ErrorReported, out)
    assert not report.handled
    assert h.sent(ResponseCreate, out) == []
    assert h.engine.next_deadline is None
    assert not h.engine.response_active
    assert len(h.emitted(TurnDone)) == 1, "ask() is not left hanging"
    assert h.run(h.engine.tick(100.0)) == []


def test_an_unanswered_follow_up_is_retried_once() -> None:
    h = Harness()
    h.feed(created("r1"), *call_events("r1", 0, "c1"), done("r1"))
    h.finish("c1")
    assert len(h.creates()) == 1
    h.run(h.engine.tick(15.0))
    assert len(h.creates()) == 2, "the batch's follow-up, asked again"
    h.feed(created("r2"), done("r2"))
    assert len(h.creates()) == 2


def test_a_busy_server_holds_follow_ups_back_only_until_the_deadline() -> None:
    h = _asked()
    [first] = h.creates()
    h.now = 1.0
    h.feed(error("conversation_already_has_active_response", first.event_id))
    assert h.engine.next_deadline == 16.0
    h.now = 16.0
    out = h.run(h.engine.tick(h.now))
    assert [e.error.code for e in h.emitted(ErrorReported, out)] == [BUSY_TIMEOUT_CODE]
    assert len(h.sent(ResponseCreate, out)) == 1, "the request is asked for again"


def test_no_deadline_while_disconnected_or_without_a_limit() -> None:
    h = _asked()
    h.run(h.engine.connection_lost(1.0))
    assert h.engine.next_deadline is None
    engine = TurnEngine(create_timeout=None)
    engine.connected(0.0)
    engine.send_text("hi", 0.0)
    assert engine.next_deadline is None
    assert engine.tick(1e9) == []
    with pytest.raises(ValueError, match="create_timeout"):
        TurnEngine(create_timeout=0)
