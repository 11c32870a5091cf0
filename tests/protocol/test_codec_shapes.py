"""The dialect-specific shapes the codec translates, and quirks of real servers it tolerates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.protocol import (
    Codec,
    Dialect,
    InputAudioTranscriptionCompleted,
    InputTranscription,
    OutputTextPart,
    ProtocolError,
    Response,
    ResponseContentPartAdded,
    ResponseCreate,
    ResponseDone,
    ResponseParams,
    ResponseTextDelta,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    TurnDetection,
)
from tests.protocol.oracle import assert_valid_client_frame

GA, PREVIEW = Codec(Dialect.GA), Codec(Dialect.PREVIEW)


def _frame(**fields: Any) -> str:
    return json.dumps(fields)


# --- tolerance of real servers ------------------------------------------------------------------


def test_placeholder_status_details_and_null_vad_type_are_tolerated() -> None:
    """xAI sends `status_details: "unimplemented"` and `turn_detection: {"type": null}`."""
    done = GA.decode_server_event(
        _frame(type="response.done", response={"id": "r1", "status": "completed", "status_details": "x"})
    )
    assert isinstance(done, ResponseDone)
    assert done.response.status_details is None
    created = GA.decode_server_event(
        _frame(type="session.created", session={"turn_detection": {"type": None}})
    )
    assert isinstance(created, SessionCreated)
    assert created.session.turn_detection == TurnDetection(type=None)


@pytest.mark.parametrize("key", ["part", "content"])
def test_content_part_events_accept_azures_content_alias(key: str) -> None:
    fields = {"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0}
    event = GA.decode_server_event(
        _frame(type="response.content_part.added", **fields, **{key: {"type": "text", "text": ""}})
    )
    assert isinstance(event, ResponseContentPartAdded)
    assert event.part == OutputTextPart(text="")
    assert json.loads(GA.encode_server_event(event))["part"] == {"type": "text", "text": ""}


@pytest.mark.parametrize("codec", [GA, PREVIEW], ids=["ga", "preview"])
def test_both_dialects_decode_both_spellings(codec: Codec) -> None:
    fields = {"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0, "delta": "Hi"}
    for name in ("response.text.delta", "response.output_text.delta"):
        assert codec.decode_server_event(_frame(type=name, **fields)) == ResponseTextDelta(**fields)


def test_ga_transcription_usage_logprobs_and_languages_are_kept() -> None:
    frame = _frame(
        type="conversation.item.input_audio_transcription.completed",
        item_id="item_1",
        content_index=0,
        transcript="Hallo",
        usage={"type": "duration", "seconds": 1.5},
        logprobs=[{"token": "Hallo", "bytes": [72], "logprob": -0.1}],
        languages=["de"],
    )
    event = GA.decode_server_event(frame)
    assert isinstance(event, InputAudioTranscriptionCompleted)
    assert (event.usage, event.languages) == ({"type": "duration", "seconds": 1.5}, ["de"])
    assert event.logprobs == [{"token": "Hallo", "bytes": [72], "logprob": -0.1}]


def test_bad_fields_of_a_known_type_name_the_field() -> None:
    event = GA.decode_server_event(_frame(type="response.output_text.delta", delta=5))
    assert isinstance(event, ProtocolError)
    assert event.type == "response.output_text.delta"
    assert "delta" in event.message


# --- the fast path ------------------------------------------------------------------------------

_DELTA = {"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 1, "delta": "ok"}


@pytest.mark.parametrize(
    "frame",
    [
        _frame(type="response.output_text.delta", **_DELTA),
        _frame(event_id="event_1", type="response.output_text.delta", **_DELTA),  # Azure's order
        _frame(**_DELTA, type="response.output_text.delta"),  # type last: the careful path
        '{"part": {"type": "x"}, "type": "response.output_text.delta", "delta": "ok"}',
        '{"type": "response.output_text\\u002edelta", "delta": "ok"}',  # escaped type
        ' \n{ "type" : "response.output_text.delta" , "delta": "ok"}',
    ],
)
def test_any_key_order_or_spacing_decodes_the_same(frame: str) -> None:
    expected = GA.server_event_from_dict(json.loads(frame))
    assert isinstance(expected, ResponseTextDelta)
    assert GA.decode_server_event(frame) == expected
    assert GA.decode_server_event(frame.encode()) == expected


def test_fast_path_failure_falls_back_to_a_clear_protocol_error() -> None:
    event = GA.decode_server_event('{"type":"response.output_text.delta","delta":')
    assert isinstance(event, ProtocolError)
    assert "not valid JSON" in event.message


# --- sessions -----------------------------------------------------------------------------------


def test_preview_session_created_keeps_the_session_id() -> None:
    event = SessionCreated(event_id="e", session=SessionConfig(id="sess_1", model="gpt-4o-realtime-preview"))
    assert json.loads(PREVIEW.encode_server_event(event))["session"]["id"] == "sess_1"
    assert PREVIEW.decode_server_event(PREVIEW.encode_server_event(event)) == event


@pytest.mark.parametrize("codec", [GA, PREVIEW], ids=["ga", "preview"])
def test_echoing_a_reported_session_back_leaves_out_server_only_fields(codec: Codec) -> None:
    reported = SessionConfig(id="sess_1", expires_at=1765432100, instructions="Be brief.", type="realtime")
    frame = codec.client_event_to_dict(SessionUpdate(session=reported))
    assert "id" not in frame["session"]
    assert "expires_at" not in frame["session"]
    assert frame["session"]["instructions"] == "Be brief."
    assert_valid_client_frame(codec.dialect, frame)


def test_transcription_session_carries_input_settings_only() -> None:
    session = SessionConfig(
        type="transcription",
        instructions="not for transcription",
        voice="alloy",
        tools=[{"type": "function", "name": "f"}],
        input_audio_format="g711_ulaw",
        input_audio_transcription=InputTranscription(model="gpt-4o-transcribe", keywords=["agentkit"]),
    )
    ga = GA.client_event_to_dict(SessionUpdate(session=session))
    assert ga == {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "transcription": {"model": "gpt-4o-transcribe", "keywords": ["agentkit"]},
                }
            },
        },
    }
    preview = PREVIEW.client_event_to_dict(SessionUpdate(session=session))
    assert preview == {
        "type": "transcription_session.update",
        "session": {
            "input_audio_format": "g711_ulaw",
            "input_audio_transcription": {"model": "gpt-4o-transcribe"},
        },
    }
    assert_valid_client_frame(Dialect.GA, ga)
    assert_valid_client_frame(Dialect.PREVIEW, preview)


def test_preview_leaves_out_ga_only_session_settings() -> None:
    session = SessionConfig(
        turn_detection=TurnDetection(type="server_vad", idle_timeout_ms=5000),
        input_audio_transcription=InputTranscription(model="whisper-1", languages=["en"], delay="low"),
        reasoning={"effort": "low"},
        parallel_tool_calls=True,
        truncation="auto",
    )
    frame = PREVIEW.client_event_to_dict(SessionUpdate(session=session))
    assert frame["session"] == {
        "turn_detection": {"type": "server_vad"},
        "input_audio_transcription": {"model": "whisper-1"},
    }


# --- responses ----------------------------------------------------------------------------------


def test_response_voice_and_format_are_nested_in_ga_and_flat_in_preview() -> None:
    done = ResponseDone(
        event_id="e",
        response=Response(id="r", status="completed", voice="marin", output_audio_format="g711_alaw"),
    )
    ga = json.loads(GA.encode_server_event(done))["response"]
    assert ga["audio"] == {"output": {"voice": "marin", "format": {"type": "audio/pcma"}}}
    preview = json.loads(PREVIEW.encode_server_event(done))["response"]
    assert (preview["voice"], preview["output_audio_format"]) == ("marin", "g711_alaw")
    assert "audio" not in preview
    assert GA.decode_server_event(GA.encode_server_event(done)) == done
    assert PREVIEW.decode_server_event(PREVIEW.encode_server_event(done)) == done


def test_response_create_drops_what_each_dialect_lacks() -> None:
    params = ResponseParams(
        temperature=0.7, max_output_tokens=100, parallel_tool_calls=False, reasoning={"effort": "low"}
    )
    ga = GA.client_event_to_dict(ResponseCreate(response=params))["response"]
    assert ga == {"max_output_tokens": 100, "parallel_tool_calls": False, "reasoning": {"effort": "low"}}
    preview = PREVIEW.client_event_to_dict(ResponseCreate(response=params))["response"]
    assert preview == {"temperature": 0.7, "max_response_output_tokens": 100}
