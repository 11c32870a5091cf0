"""The codec's basic promises: dialect-specific names and shapes, and decoding that never raises."""

from __future__ import annotations

import json

import pytest

from agentkit.protocol import (
    Codec,
    Dialect,
    ProtocolError,
    ResponseAudioDelta,
    SessionConfig,
    SessionUpdate,
    TurnDetection,
    UnknownEvent,
)


@pytest.mark.parametrize(
    ("dialect", "wire_name"),
    [(Dialect.GA, "response.output_audio.delta"), (Dialect.PREVIEW, "response.audio.delta")],
)
def test_audio_delta_names_per_dialect(dialect: Dialect, wire_name: str) -> None:
    event = ResponseAudioDelta(response_id="r", item_id="i", output_index=0, content_index=0, delta="AAAA")
    wire = json.loads(Codec(dialect).encode_server_event(event))
    assert wire["type"] == wire_name
    back = Codec(dialect).decode_server_event(json.dumps(wire))
    assert back == event
    assert back.audio_bytes == b"\x00\x00\x00"  # type: ignore[attr-defined]


def test_session_update_is_nested_in_ga_and_flat_in_preview() -> None:
    update = SessionUpdate(
        session=SessionConfig(
            voice="alloy",
            input_audio_format="pcm16",
            output_modalities=["audio"],
            temperature=0.7,
            turn_detection=TurnDetection(type="server_vad", silence_duration_ms=300),
        )
    )
    ga = Codec(Dialect.GA).client_event_to_dict(update)["session"]
    assert ga["type"] == "realtime"
    assert ga["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert ga["audio"]["output"]["voice"] == "alloy"
    assert "temperature" not in ga
    preview = Codec(Dialect.PREVIEW).client_event_to_dict(update)["session"]
    assert preview["modalities"] == ["text", "audio"]
    assert preview["input_audio_format"] == "pcm16"
    assert preview["temperature"] == 0.7
    assert "type" not in preview


def test_explicit_none_turn_detection_is_sent_as_null() -> None:
    update = SessionUpdate(session=SessionConfig(turn_detection=None))
    assert Codec(Dialect.PREVIEW).client_event_to_dict(update)["session"] == {"turn_detection": None}


@pytest.mark.parametrize("frame", ["{bad", "[]", '{"no_type": 1}', '{"type": 5}', b"\xff\xfe"])
def test_malformed_frames_become_protocol_errors(frame: str | bytes) -> None:
    assert isinstance(Codec().decode_server_event(frame), ProtocolError)


@pytest.mark.parametrize(
    "frame", ["[" * 100_000, '{"type": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"]
)
def test_deeply_nested_frames_become_protocol_errors(frame: str) -> None:
    for codec in (Codec(Dialect.GA), Codec(Dialect.PREVIEW)):
        server = codec.decode_server_event(frame)
        client = codec.decode_client_event(frame)
        assert isinstance(server, ProtocolError)
        assert "nested too deeply" in server.message
        assert isinstance(client, ProtocolError)
        assert "nested too deeply" in client.message


def test_unknown_event_is_passed_through() -> None:
    event = Codec().decode_server_event('{"type": "brand.new", "x": 1}')
    assert isinstance(event, UnknownEvent)
    assert event.raw == {"type": "brand.new", "x": 1}
