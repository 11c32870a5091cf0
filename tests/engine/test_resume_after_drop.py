"""An answer the connection cut off is asked for again after the replay, once, and only when owed."""

from __future__ import annotations

from agentkit.engine import CREATE_TAG, TurnDone
from agentkit.protocol import ConversationItemCreate, MessageItem, ResponseCreate
from tests.engine.script import Harness, audio, created, done, speech_started, text


def _cut_mid_text() -> Harness:
    h = Harness()
    h.run(h.engine.send_text("tell me a story", h.now))
    h.feed(created("r1"), text("r1", "m1", "Once upon "), text("r1", "m1", "a time"))
    h.run(h.engine.connection_lost(h.now))
    return h


def test_a_text_answer_cut_by_a_drop_continues_after_the_replay() -> None:
    h = _cut_mid_text()
    assert h.emitted(TurnDone) == [], "the turn is not over: its answer was cut off"
    replay = h.run(h.engine.reconnected(h.now))
    messages = [e.item for e in h.sent(ConversationItemCreate, replay) if isinstance(e.item, MessageItem)]
    assert [(m.role, m.text) for m in messages] == [
        ("user", "tell me a story"),
        ("assistant", "Once upon a time"),
    ]
    [create] = h.sent(ResponseCreate, replay)
    assert replay[-1].event is create  # type: ignore[union-attr]
    assert create.response is not None
    assert create.response.metadata == {CREATE_TAG: create.event_id}
    h.feed(created("r2"), text("r2", "m2", ", a dragon."), done("r2"))
    [turn_done] = h.emitted(TurnDone)
    assert turn_done.turn.text == "Once upon a time\n, a dragon."
    assert turn_done.turn.response_ids == ("r1", "r2")
    assert len(h.creates()) == 2, "the question's create and one continuation"


def test_an_audio_answer_cut_by_a_drop_continues_too() -> None:
    h = Harness()
    h.feed(created("r1"), audio("r1", "m1", 200))
    h.run(h.engine.connection_lost(h.now))
    assert len(h.sent(ResponseCreate, h.run(h.engine.reconnected(h.now)))) == 1


def test_no_second_continuation_while_the_first_is_answered_or_after_it() -> None:
    h = _cut_mid_text()
    h.run(h.engine.reconnected(h.now))
    h.run(h.engine.request_response(h.now))
    assert len(h.creates()) == 2, "the application's request waits for the continuation's create"
    h.feed(created("r2"))
    assert len(h.creates()) == 2, "never while a response is active"
    h.feed(done("r2"))
    assert len(h.creates()) == 3, "then the application's request, and nothing for r1 again"
    h.feed(created("r3"), done("r3"))
    assert len(h.creates()) == 3


def test_a_second_drop_during_the_continuation_asks_again() -> None:
    h = _cut_mid_text()
    h.run(h.engine.reconnected(h.now))
    h.feed(created("r2"), text("r2", "m2", "there"))
    h.run(h.engine.connection_lost(h.now))
    assert len(h.sent(ResponseCreate, h.run(h.engine.reconnected(h.now)))) == 1


def test_a_completed_answer_is_not_asked_for_again() -> None:
    h = Harness()
    h.feed(created("r1"), text("r1", "m1", "Done."), done("r1"))
    h.run(h.engine.connection_lost(h.now))
    assert h.sent(ResponseCreate, h.run(h.engine.reconnected(h.now))) == []


def test_an_answer_the_user_talked_over_is_not_continued() -> None:
    h = Harness()
    h.feed(created("r1"), audio("r1", "m1", 500), speech_started())
    h.run(h.engine.connection_lost(h.now))
    assert h.sent(ResponseCreate, h.run(h.engine.reconnected(h.now))) == []


def test_an_answer_the_application_cancelled_is_not_continued() -> None:
    h = Harness()
    h.feed(created("r1"), text("r1", "m1", "Long"))
    h.run(h.engine.cancel_response(h.now))
    h.run(h.engine.connection_lost(h.now))
    assert h.sent(ResponseCreate, h.run(h.engine.reconnected(h.now))) == []


def test_a_new_question_while_offline_overtakes_the_cut_answer() -> None:
    h = _cut_mid_text()
    h.run(h.engine.send_text("never mind, what time is it?", h.now))
    replay = h.run(h.engine.reconnected(h.now))
    assert len(h.sent(ResponseCreate, replay)) == 1, "one create: for the new question"
    h.feed(created("r2"), done("r2"))
    assert len(h.creates()) == 2


def test_closing_before_the_continuation_ends_the_turn_as_it_is() -> None:
    h = _cut_mid_text()
    h.run(h.engine.close(h.now))
    [turn_done] = h.emitted(TurnDone)
    assert turn_done.turn.text == "Once upon a time"
    assert len(h.creates()) == 1, "no create on close"
