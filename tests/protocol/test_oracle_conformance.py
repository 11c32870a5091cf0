"""What the codec puts on the wire validates against the `openai` package's own event models.

The oracle is strict (see `tests/protocol/oracle.py`): a missing required field, a wrong literal,
a wrong JSON type or an unknown field fails. The tests at the bottom prove that it does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.protocol import Codec, Dialect, UnknownClientEvent, UnknownEvent
from agentkit.protocol.client_events import ClientEvent
from agentkit.protocol.dialects import (
    CLIENT_EVENT_BY_WIRE_NAME,
    EXTENSION_SERVER_EVENTS,
    SERVER_EVENT_BY_WIRE_NAME,
)
from agentkit.protocol.events import ServerEvent
from tests.protocol import samples
from tests.protocol.oracle import (
    OracleMismatch,
    assert_valid_client_frame,
    assert_valid_server_frame,
    oracle_event_types,
)

# Documented in the late preview reference (and sent by Azure preview deployments) but missing from
# the preview models of openai 3.54; it is checked against the GA model, whose payload is the same.
_NOT_IN_PREVIEW_ORACLE = {"input_audio_buffer.timeout_triggered"}
# The `openai` package models OpenAI's two dialects; Voice Live is checked against recordings instead.
ORACLE_DIALECTS = [Dialect.GA, Dialect.PREVIEW]


def _server_cases() -> list[Any]:
    return [
        pytest.param(d, e, id=f"{d.value}-{n}-{type(e).__name__}")
        for d in ORACLE_DIALECTS
        for n, e in enumerate(samples.server_events(d))
        # An OpenAI-compatible service's own events (xAI): OpenAI's models do not have them.
        if type(e) not in EXTENSION_SERVER_EVENTS
    ]


def _client_cases() -> list[Any]:
    return [
        pytest.param(d, e, id=f"{d.value}-{n}-{type(e).__name__}")
        for d in ORACLE_DIALECTS
        for n, e in enumerate(samples.client_events(d))
    ]


@pytest.mark.parametrize(("dialect", "event"), _server_cases())
def test_encoded_server_event_satisfies_the_oracle(dialect: Dialect, event: ServerEvent) -> None:
    frame = Codec(dialect).encode_server_event(event)
    oracle_dialect = Dialect.GA if json.loads(frame)["type"] in _NOT_IN_PREVIEW_ORACLE else dialect
    assert_valid_server_frame(oracle_dialect, frame)


@pytest.mark.parametrize(("dialect", "event"), _client_cases())
def test_encoded_client_event_satisfies_the_oracle(dialect: Dialect, event: ClientEvent) -> None:
    assert_valid_client_frame(dialect, Codec(dialect).encode_client_event(event))


@pytest.mark.parametrize("dialect", ORACLE_DIALECTS)
def test_every_oracle_server_event_type_is_known(dialect: Dialect) -> None:
    assert oracle_event_types(dialect, "server") - set(SERVER_EVENT_BY_WIRE_NAME) == set()


@pytest.mark.parametrize("dialect", ORACLE_DIALECTS)
def test_every_oracle_client_event_type_is_known(dialect: Dialect) -> None:
    assert oracle_event_types(dialect, "client") - set(CLIENT_EVENT_BY_WIRE_NAME) == set()


@pytest.mark.parametrize("dialect", ORACLE_DIALECTS)
def test_every_event_the_codec_names_exists_in_the_oracle(dialect: Dialect) -> None:
    codec = Codec(dialect)
    server_names = {json.loads(codec.encode_server_event(e))["type"] for e in samples.server_events(dialect)}
    client_names = {json.loads(codec.encode_client_event(e))["type"] for e in samples.client_events(dialect)}
    extensions = {cls.kind for cls in EXTENSION_SERVER_EVENTS}
    known_elsewhere = _NOT_IN_PREVIEW_ORACLE | {"transcription_session.created"} | extensions
    assert server_names - oracle_event_types(dialect, "server") <= known_elsewhere
    assert client_names - oracle_event_types(dialect, "client") == set()


@pytest.mark.parametrize("dialect", ORACLE_DIALECTS)
def test_decoding_an_oracle_type_never_gives_an_unknown_event(dialect: Dialect) -> None:
    codec = Codec(dialect)
    for name in oracle_event_types(dialect, "server"):
        assert not isinstance(codec.server_event_from_dict({"type": name}), UnknownEvent), name
    for name in oracle_event_types(dialect, "client"):
        assert not isinstance(codec.client_event_from_dict({"type": name}), UnknownClientEvent), name


# --- the oracle itself is strict ----------------------------------------------------------------

_DELTA = {
    "type": "response.output_audio.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "AAAA",
}


def test_oracle_accepts_a_valid_frame_as_dict_text_or_bytes() -> None:
    assert_valid_server_frame(Dialect.GA, _DELTA)
    assert_valid_server_frame("ga", json.dumps(_DELTA))
    assert_valid_server_frame(Dialect.GA, json.dumps(_DELTA).encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"delta": None}, "delta"),
        ({"output_index": "0"}, "output_index"),
        ({"type": "response.audio.delta"}, "no ga server event"),
        ({"obfuscation": "x"}, "does not know"),
    ],
    ids=["missing-required", "wrong-json-type", "wrong-dialect-name", "unknown-field"],
)
def test_oracle_rejects(change: dict[str, Any], message: str) -> None:
    frame = {**_DELTA, **change}
    frame = {k: v for k, v in frame.items() if v is not None}
    with pytest.raises(OracleMismatch, match=message):
        assert_valid_server_frame(Dialect.GA, frame)


def test_oracle_rejects_a_wrong_nested_literal() -> None:
    frame = Codec(Dialect.GA).client_event_to_dict(samples.client_events(Dialect.GA)[0])
    frame["session"]["audio"]["input"]["format"] = {"type": "pcm16"}
    with pytest.raises(OracleMismatch, match="format"):
        assert_valid_client_frame(Dialect.GA, frame)


def test_oracle_rejects_preview_fields_in_a_ga_session_update() -> None:
    frame = Codec(Dialect.GA).client_event_to_dict(samples.client_events(Dialect.GA)[0])
    frame["session"]["temperature"] = 0.8
    with pytest.raises(OracleMismatch, match=r"session\.temperature"):
        assert_valid_client_frame(Dialect.GA, frame)


def test_oracle_rejects_a_ga_session_update_without_type() -> None:
    frame = Codec(Dialect.GA).client_event_to_dict(samples.client_events(Dialect.GA)[0])
    del frame["session"]["type"]
    with pytest.raises(OracleMismatch):
        assert_valid_client_frame(Dialect.GA, frame)
