"""GPT-Live codec: decode of every published server event shape, the client commands, the ledger.

Sources of the fixtures below:
- SESSION_CONFIG: the session configuration example of Microsoft's "GPT-Live event API reference"
  (learn.microsoft.com/azure/foundry/openai/gpt-live-reference), verbatim in content.
- SERVER_FRAMES: built field-for-field from the `GPTLive.ServerEvent` type published in LiveKit's
  agents-js reference (docs.livekit.io/reference/agents-js/types/plugins_agents_plugin_openai.realtime
  .GPTLive.ServerEvent.html) and `session.delegation.created` from the OpenAI OpenAPI document
  (`LiveDelegationCreated`, via the generated openai-client-base crate); values are ours.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.protocol import live
from agentkit.protocol.events import ProtocolError

SESSION_CONFIG: dict[str, Any] = {
    "model": "gpt-live-1",
    "instructions": "Answer briefly and ask before taking an external action.",
    "audio": {"output": {"voice": "marin"}},
    "delegation": {
        "type": "responses",
        "responses": {
            "model": "gpt-5.5",
            "instructions": "Use tools when current information is required.",
            "max_output_tokens": 2048,
            "service_tier": "priority",
            "reasoning": {"effort": "medium", "summary": "auto"},
            "text": {"verbosity": "low"},
            "tools": [
                {"type": "web_search"},
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": "Get current weather for a location.",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string"}},
                        "required": ["location"],
                        "additionalProperties": False,
                    },
                },
            ],
            "tool_choice": "auto",
            "parallel_tool_calls": True,
        },
    },
}

CALL = {
    "type": "function_call",
    "call_id": "call_1",
    "name": "get_weather",
    "arguments": '{"location":"Oslo"}',
}

SERVER_FRAMES: list[tuple[dict[str, Any], type[live.LiveEvent]]] = [
    ({"type": "session.started", "event_id": "ev1", "session": {"id": "sess_1"}}, live.LiveSessionStarted),
    ({"type": "session.output_audio.delta", "delta": "AAAA"}, live.LiveOutputAudioDelta),
    (
        {"type": "session.output_transcript.delta", "delta": "Hel", "start_ms": 0, "end_ms": 120},
        live.LiveOutputTranscriptDelta,
    ),
    ({"type": "session.input_transcript.delta", "delta": "weather?"}, live.LiveInputTranscriptDelta),
    (
        {
            "type": "session.delegation.created",
            "event_id": "ev2",
            "offset_ms": 5120,
            "delegation": {"id": "del_1", "target": "responses"},
        },
        live.LiveDelegationCreated,
    ),
    (
        {
            "type": "response.event",
            "delegation_id": "del_1",
            "event": {"type": "response.output_item.done", "item": CALL},
        },
        live.LiveResponseEvent,
    ),
    (
        {"type": "session.usage.updated", "usage": {"seconds": 12.5}, "context_window": {"usage_ratio": 0.1}},
        live.LiveUsageUpdated,
    ),
    (
        {"type": "session.closed", "reason": "close_requested", "usage": {"seconds": 30}},
        live.LiveSessionClosed,
    ),
    ({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}, live.LiveErrorEvent),
    ({"type": "session.commentary.appended", "client_event_id": "c1"}, live.LiveAck),
]


@pytest.mark.parametrize(("frame", "cls"), SERVER_FRAMES, ids=[f[0]["type"] for f in SERVER_FRAMES])
def test_every_published_server_event_decodes_to_its_class(frame: dict[str, Any], cls: type) -> None:
    event = live.decode_live(json.dumps(frame))
    assert type(event) is cls
    dumped = event.model_dump(exclude_none=True)
    for key, value in frame.items():
        if key != "type":
            assert dumped[key] == value


def test_session_start_carries_the_published_config_unchanged() -> None:
    frame = live.session_start(SESSION_CONFIG)
    assert json.loads(json.dumps(frame)) == {"type": "session.start", "session": SESSION_CONFIG}


def test_session_start_without_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="model"):
        live.session_start({"instructions": "hi"})


@pytest.mark.parametrize("kind", sorted(live.REALTIME_ONLY_COMMANDS))
def test_realtime_turn_control_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="own turns"):
        live.refuse_realtime_command(kind)


def test_unknown_event_passes_through_whole() -> None:
    raw = {"type": "session.something_new", "event_id": "e9", "x": 1}
    event = live.decode_live(json.dumps(raw))
    assert isinstance(event, live.LiveUnknownEvent)
    assert event.raw == raw
    assert event.type == "session.something_new"


@pytest.mark.parametrize(
    "frame", ["not json", "[1]", '{"no": "type"}', '{"type": "session.started", "session": 3}']
)
def test_bad_frames_become_protocol_errors(frame: str) -> None:
    assert isinstance(live.decode_live(frame), ProtocolError)


def _call_event(call_id: str) -> live.LiveEvent | ProtocolError:
    item = dict(CALL, call_id=call_id)
    frame = {"type": "response.event", "event": {"type": "response.output_item.done", "item": item}}
    return live.decode_live(json.dumps(frame))


def test_ledger_answers_each_delegated_call_exactly_once() -> None:
    ledger = live.DelegationLedger()
    assert ledger.observe(live.decode_live('{"type": "session.output_audio.delta"}')) is None
    call = ledger.observe(_call_event("call_1"))
    assert call is not None
    assert call["name"] == "get_weather"
    assert ledger.unanswered == {"call_1": "get_weather"}
    frames = ledger.answer("call_1", '{"temp": 3}')
    assert frames[0]["item"] == {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 3}'}
    assert ledger.unanswered == {}
    with pytest.raises(live.UnknownDelegatedCall, match="already answered"):
        ledger.answer("call_1", "again")
    assert ledger.observe(_call_event("call_1")) is None  # a replayed call is not reopened


def test_ledger_refuses_a_result_for_an_unknown_call() -> None:
    ledger = live.DelegationLedger()
    with pytest.raises(live.UnknownDelegatedCall, match="never delegated"):
        ledger.answer("call_nope", "x")
