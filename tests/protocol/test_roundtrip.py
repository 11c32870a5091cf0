"""Every canonical event survives event -> wire -> event unchanged, in both dialects."""

from __future__ import annotations

import json

import pytest

from agentkit.protocol import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    VOICE_LIVE_CLIENT_EVENTS,
    Codec,
    Dialect,
    EncodeError,
)
from agentkit.protocol.client_events import ClientEvent
from agentkit.protocol.dialects import GA_ONLY_SERVER_EVENTS
from agentkit.protocol.events import ServerEvent
from tests.protocol import samples


def _cases(kind: str) -> list[object]:
    cases = []
    for dialect in Dialect:
        events = samples.server_events(dialect) if kind == "server" else samples.client_events(dialect)
        for n, event in enumerate(events):
            cases.append(pytest.param(dialect, event, id=f"{dialect.value}-{n}-{type(event).__name__}"))
    return cases


@pytest.mark.parametrize("dialect", list(Dialect))
def test_samples_cover_every_server_event_the_dialect_has(dialect: Dialect) -> None:
    expected = set(SERVER_EVENTS) - (set() if dialect is Dialect.GA else set(GA_ONLY_SERVER_EVENTS))
    assert {type(e) for e in samples.server_events(dialect)} == expected


@pytest.mark.parametrize("dialect", list(Dialect))
def test_samples_cover_every_client_event(dialect: Dialect) -> None:
    own = set(VOICE_LIVE_CLIENT_EVENTS) if dialect is Dialect.VOICE_LIVE else set()
    assert {type(e) for e in samples.client_events(dialect)} == set(CLIENT_EVENTS) | own


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
@pytest.mark.parametrize("event_cls", VOICE_LIVE_CLIENT_EVENTS, ids=lambda c: c.kind)
def test_voice_live_client_events_are_refused_elsewhere(
    dialect: Dialect, event_cls: type[ClientEvent]
) -> None:
    with pytest.raises(EncodeError, match="Voice Live"):
        Codec(dialect).encode_client_event(event_cls())


@pytest.mark.parametrize(("dialect", "event"), _cases("server"))
def test_server_event_round_trips(dialect: Dialect, event: ServerEvent) -> None:
    codec = Codec(dialect)
    assert codec.supports(type(event))
    wire = codec.encode_server_event(event)
    assert codec.decode_server_event(wire) == event
    assert codec.decode_server_event(wire.encode("utf-8")) == event
    assert codec.server_event_from_dict(json.loads(wire)) == event


@pytest.mark.parametrize(("dialect", "event"), _cases("client"))
def test_client_event_round_trips(dialect: Dialect, event: ClientEvent) -> None:
    codec = Codec(dialect)
    wire = codec.encode_client_event(event)
    assert codec.decode_client_event(wire) == event
    assert codec.decode_client_event(wire.encode("utf-8")) == event
    assert codec.client_event_from_dict(json.loads(wire)) == event


@pytest.mark.parametrize("event_cls", sorted(GA_ONLY_SERVER_EVENTS, key=lambda c: c.kind))
def test_ga_only_events_cannot_be_encoded_for_preview(event_cls: type[ServerEvent]) -> None:
    codec = Codec(Dialect.PREVIEW)
    assert not codec.supports(event_cls)
    sample = next(e for e in samples.server_events(Dialect.GA) if type(e) is event_cls)
    with pytest.raises(ValueError, match="preview"):
        codec.encode_server_event(sample)


_PREVIEW_RENAMES = {
    ("conversation.item.added", "conversation.item.created"),
    ("response.output_text.delta", "response.text.delta"),
    ("response.output_text.done", "response.text.done"),
    ("response.output_audio.delta", "response.audio.delta"),
    ("response.output_audio.done", "response.audio.done"),
    ("response.output_audio_transcript.delta", "response.audio_transcript.delta"),
    ("response.output_audio_transcript.done", "response.audio_transcript.done"),
    ("session.created", "transcription_session.created"),
    ("session.updated", "transcription_session.updated"),
}


@pytest.mark.parametrize("dialect", list(Dialect))
def test_wire_names_differ_only_where_the_dialects_do(dialect: Dialect) -> None:
    codec = Codec(dialect)
    pairs = {
        (e.kind, json.loads(codec.encode_server_event(e))["type"]) for e in samples.server_events(dialect)
    }
    renamed = {(kind, name) for kind, name in pairs if kind != name}
    expected = {
        Dialect.GA: set(),
        Dialect.PREVIEW: _PREVIEW_RENAMES,
        # Voice Live: the preview's names, without its transcription-only sessions.
        Dialect.VOICE_LIVE: {(k, n) for k, n in _PREVIEW_RENAMES if not n.startswith("transcription_")},
    }
    assert renamed == expected[dialect]
