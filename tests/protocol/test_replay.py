"""Replays real recorded sessions (`../shared/recorded`) through the codec.

Every frame a server sent must decode to a known canonical event and every frame a client sent to a
known client event; encoding the result again must keep its meaning (same type, same ids and text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from agentkit.protocol import (
    Codec,
    ConversationItemCreate,
    Dialect,
    FunctionCallItem,
    FunctionCallOutputItem,
    ProtocolError,
    ResponseCreate,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
    SessionConfig,
    UnknownClientEvent,
    UnknownEvent,
)
from agentkit.protocol.client_events import ClientEvent
from agentkit.protocol.events import ServerEvent

_E = TypeVar("_E", ServerEvent, ClientEvent)

# Azure Voice Live speaks preview event names (and a flat session, voices as objects): its own dialect.
_DIALECT_BY_FOLDER = {"azure_voice_live": Dialect.VOICE_LIVE}
# Not Realtime events at all (none left: xAI's `ping` is decoded as `Ping` now).
_VENDOR_EXTENSIONS: set[str] = set()
_RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "recorded"
_FILES = sorted(_RECORDED.rglob("*.yaml")) if _RECORDED.is_dir() else []


def _frames(path: Path) -> list[tuple[str, dict[str, Any]]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(i["direction"], i["data"]) for i in document["interactions"] if i["kind"] == "message"]


def _codec(path: Path) -> Codec:
    return Codec(_DIALECT_BY_FOLDER.get(path.parent.name, Dialect.GA))


def _as_sent_again(event: _E, codec: Codec) -> _E:
    """The event as it decodes after a second trip: GA sessions always get their `type` and lose the
    preview's `temperature` (xAI sends both shapes at once)."""
    session = getattr(event, "session", None)
    if codec.dialect is Dialect.GA and isinstance(session, SessionConfig):
        ga_session = session.model_copy(update={"type": session.type or "realtime", "temperature": None})
        return event.model_copy(update={"session": ga_session})
    return event


def _scalars_kept(original: dict[str, Any], again: dict[str, Any], fields: set[str]) -> None:
    for key, value in original.items():
        if key in fields and isinstance(value, (str, int, float, bool)):
            assert again.get(key) == value, key


@pytest.fixture(params=_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def recording(request: pytest.FixtureRequest, recorded_dir: Path) -> Path:
    path: Path = request.param
    return path


def test_recordings_are_present(recorded_dir: Path) -> None:
    assert len(list(recorded_dir.rglob("*.yaml"))) >= 10


def test_received_frames_decode_to_known_events_and_keep_their_meaning(recording: Path) -> None:
    codec = _codec(recording)
    received = [data for direction, data in _frames(recording) if direction == "received"]
    assert received
    for data in received:
        event = codec.decode_server_event(json.dumps(data))
        if data["type"] in _VENDOR_EXTENSIONS:
            assert isinstance(event, UnknownEvent)
            assert event.raw == data
            continue
        assert not isinstance(event, (UnknownEvent, ProtocolError)), event
        again = codec.server_event_to_dict(event)
        assert again["type"] == data["type"]
        assert codec.server_event_from_dict(again) == _as_sent_again(event, codec)
        _scalars_kept(data, again, set(type(event).model_fields))


def test_sent_frames_decode_to_known_client_events_and_keep_their_meaning(recording: Path) -> None:
    codec = _codec(recording)
    for direction, data in _frames(recording):
        if direction != "sent":
            continue
        event = codec.decode_client_event(json.dumps(data))
        assert not isinstance(event, (UnknownClientEvent, ProtocolError)), event
        again = codec.client_event_to_dict(event)
        assert again["type"] == data["type"]
        assert codec.client_event_from_dict(again) == _as_sent_again(event, codec)
        _scalars_kept(data, again, set(type(event).model_fields))


def test_tool_call_rounds_make_sense_after_decoding(recorded_dir: Path) -> None:
    """Argument deltas add up to the final arguments, and the client answered exactly those calls."""
    rounds = sorted(recorded_dir.rglob("tool_call_round.yaml"))
    assert rounds
    for path in rounds:
        codec = _codec(path)
        deltas: dict[str, str] = {}
        done: dict[str, str] = {}
        calls: dict[str, FunctionCallItem] = {}
        answered: list[str] = []
        create_after_output = False
        for direction, data in _frames(path):
            if direction == "received":
                event = codec.decode_server_event(json.dumps(data))
                if isinstance(event, ResponseFunctionCallArgumentsDelta):
                    deltas[event.call_id] = deltas.get(event.call_id, "") + event.delta
                elif isinstance(event, ResponseFunctionCallArgumentsDone):
                    done[event.call_id] = event.arguments
                elif isinstance(event, ResponseOutputItemDone) and isinstance(event.item, FunctionCallItem):
                    calls[event.item.call_id] = event.item
            else:
                sent = codec.decode_client_event(json.dumps(data))
                if isinstance(sent, ConversationItemCreate) and isinstance(sent.item, FunctionCallOutputItem):
                    answered.append(sent.item.call_id)
                elif isinstance(sent, ResponseCreate) and answered:
                    create_after_output = True
        assert calls, path
        assert deltas == done, path
        assert {k: c.arguments for k, c in calls.items()} == done, path
        assert sorted(answered) == sorted(calls), path
        assert create_after_output, path
