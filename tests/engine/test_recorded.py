"""The engine against real recorded sessions (`../shared/recorded`): the server frames are fed in
order and every tool finishes at once; the engine must answer the same calls the recorded client
did, once each, and ask for its follow-up right at the `response.done` of the calls' response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agentkit.engine import Send, StartCall
from agentkit.protocol import (
    Codec,
    ConversationItemCreate,
    Dialect,
    FunctionCallOutputItem,
    ResponseCreate,
    ResponseDone,
)
from tests.engine.script import Harness

_RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "recorded"
_FILES = (
    sorted(p for p in _RECORDED.rglob("*.yaml") if "function_call_output" in p.read_text())
    if _RECORDED.is_dir()
    else []
)


def _frames(path: Path) -> list[tuple[str, dict[str, Any]]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(i["direction"], i["data"]) for i in document["interactions"] if i["kind"] == "message"]


@pytest.fixture(params=_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def recording(request: pytest.FixtureRequest, recorded_dir: Path) -> Path:
    path: Path = request.param
    return path


def test_engine_answers_the_recorded_calls_and_follows_up_at_response_done(recording: Path) -> None:
    codec = Codec(Dialect.PREVIEW if recording.parent.name == "azure_voice_live" else Dialect.GA)
    frames = _frames(recording)
    sent = [d for direction, d in frames if direction == "sent"]
    is_output = [
        d.get("type") == "conversation.item.create" and d["item"]["type"] == "function_call_output"
        for d in sent
    ]
    expected_calls = [d["item"]["call_id"] for d, output in zip(sent, is_output, strict=True) if output]
    after_outputs = sent[is_output.index(True) :]
    expected_follow_ups = sum(d.get("type") == "response.create" for d in after_outputs)

    h = Harness()
    create_at: list[type[object]] = []
    for direction, data in frames:
        if direction != "received":
            continue
        event = codec.server_event_from_dict(data)
        actions = h.feed(event)
        for action in list(actions):
            if isinstance(action, StartCall):
                actions += h.finish(action.call_id, output='{"ok": true}')
        if any(isinstance(a, Send) and isinstance(a.event, ResponseCreate) for a in actions):
            create_at.append(type(event))

    assert sorted(h.outputs()) == sorted(expected_calls)
    assert all(len(v) == 1 for v in h.outputs().values())
    assert len(h.creates()) == expected_follow_ups >= 1
    assert create_at == [ResponseDone] * expected_follow_ups
    assert not h.engine.response_active
    outputs = [a for a in h.actions if isinstance(a, Send) and isinstance(a.event, ConversationItemCreate)]
    assert all(isinstance(a.event.item, FunctionCallOutputItem) for a in outputs)
