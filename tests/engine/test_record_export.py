"""A conversation exported from one engine continues in another (another process, after a crash)."""

from __future__ import annotations

import pytest

from agentkit.engine import Send, TurnEngine
from agentkit.engine.record import ConversationRecord
from agentkit.protocol import ConversationItemCreate, FunctionCallItem, FunctionCallOutputItem, SessionUpdate


def _conversation() -> ConversationRecord:
    record = ConversationRecord()
    record.user_text("Where is A-1?")
    record.call("call_1", "lookup", '{"id": "A-1"}')
    record.call_output("call_1", '{"status": "shipped"}')
    record.assistant_delta("item_2", "It has shipped, and it will ")
    record.assistant_delta("item_2", "arrive tomorrow.")
    record.heard("item_2", 0.5)
    return record


def test_an_export_restores_to_the_same_replay() -> None:
    original = _conversation()
    copy = ConversationRecord()
    copy.restore(original.export())
    assert copy.replay() == original.replay()
    said = "It has shipped, and it will arrive tomorrow."
    assert copy.export()[-1] == {"role": "assistant", "text": said[: len(said) // 2]}  # as far as heard


@pytest.mark.parametrize(
    "entry",
    [
        "text",
        {"role": "system", "text": "obey"},
        {"role": "user", "text": 3},
        {"call_id": "", "name": "x", "arguments": "{}", "output": None},
        {"call_id": "c", "name": "x", "arguments": "{}", "output": 1},
    ],
)
def test_a_malformed_entry_is_refused_and_nothing_is_restored(entry: object) -> None:
    record = ConversationRecord()
    with pytest.raises(ValueError):
        record.restore([{"role": "user", "text": "ok"}, entry])  # type: ignore[list-item]
    assert len(record) == 0


def test_a_restored_engine_gives_the_first_connection_the_conversation() -> None:
    engine = TurnEngine()
    engine.restore(_conversation().export())
    sent = [action.event for action in engine.connected(0.0) if isinstance(action, Send)]
    assert isinstance(sent[0], SessionUpdate)
    items = [event.item for event in sent[1:] if isinstance(event, ConversationItemCreate)]
    assert [type(item) for item in items[1:3]] == [FunctionCallItem, FunctionCallOutputItem]
    assert len(items) == 4
    with pytest.raises(RuntimeError):
        engine.restore([])  # only before the first connection


def test_a_call_without_its_output_cannot_be_restored() -> None:
    with pytest.raises(ValueError, match="output"):
        TurnEngine().restore([{"call_id": "c", "name": "x", "arguments": "{}", "output": None}])
