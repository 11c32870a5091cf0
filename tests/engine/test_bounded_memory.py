"""A long session stays bounded: the replay record and the engine's books forget what is long over."""

from __future__ import annotations

import pytest

from agentkit.engine import Reconnected, TurnEngine
from agentkit.engine.record import ConversationRecord
from agentkit.protocol import ConversationItemCreate, FunctionCallItem, FunctionCallOutputItem, MessageItem
from tests.engine.script import Harness, call_events, created, done, fc_item


def test_a_reconnect_replays_only_the_latest_entries() -> None:
    h = Harness()
    h.engine = TurnEngine(replay_limit=3)
    h.run(h.engine.connected(h.now))
    for n in range(10):
        h.run(h.engine.send_text(f"message {n}", h.now, respond=False))
    h.run(h.engine.connection_lost(h.now))
    replay = h.run(h.engine.reconnected(h.now))
    items = [e.item for e in h.sent(ConversationItemCreate, replay)]
    assert [i.text for i in items if isinstance(i, MessageItem)] == ["message 7", "message 8", "message 9"]
    assert [e.replayed_items for e in h.emitted(Reconnected, replay)] == [3]


def test_a_call_and_its_output_are_forgotten_together() -> None:
    record = ConversationRecord(max_entries=2)
    record.user_text("look it up")
    record.call("c1", "lookup", "{}")
    record.call_output("c1", "found")
    record.user_text("thanks")
    record.user_text("bye")
    assert len(record) == 2
    assert not any(isinstance(i, (FunctionCallItem, FunctionCallOutputItem)) for i in record.replay())
    record.call("c2", "lookup", "{}")
    record.call_output("c2", "found")
    kinds = [type(i).__name__ for i in record.replay()]
    assert kinds == ["MessageItem", "FunctionCallItem", "FunctionCallOutputItem"]


def test_a_record_must_keep_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ConversationRecord(max_entries=0)


def test_finished_tool_rounds_are_forgotten_but_duplicates_still_ignored() -> None:
    h = Harness()
    for n in range(50):
        rid = f"r{n}"
        h.feed(created(rid), *call_events(rid, 0, f"c{n}"))
        h.finish(f"c{n}")
        h.feed(done(rid, output=[fc_item(f"c{n}", '{"q": 1}')]))
        h.feed(created(f"{rid}f"), done(f"{rid}f"))
    assert "responses=0 calls=0" in repr(h.engine), "nothing of finished rounds is kept"
    started = len(h.started())
    h.feed(created("late"), *call_events("late", 0, "c3"))
    assert len(h.started()) == started, "a repeated call_id of a finished round does not run again"
