"""Error events shaped like the real service's; errors never end the session."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.protocol import Dialect
from agentkit.testing import LocalRealtimeServer
from tests.testing.wire import BOTH, open_client

pytestmark = pytest.mark.anyio


async def _error_for(dialect: Dialect, frame: dict[str, Any] | str) -> dict[str, Any]:
    async with LocalRealtimeServer() as server, open_client(server, dialect) as client:
        await (client.ws.send(frame) if isinstance(frame, str) else client.send(frame))
        error: dict[str, Any] = (await client.expect("error"))["error"]
        await client.send({"type": "input_audio_buffer.clear"})  # the session goes on
        await client.expect("input_audio_buffer.cleared")
    return error


@pytest.mark.parametrize("dialect", BOTH)
async def test_unknown_event_type(dialect: Dialect) -> None:
    error = await _error_for(dialect, {"type": "response.explode", "event_id": "evt_x"})
    assert error["type"] == "invalid_request_error"
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "type", "evt_x")
    assert "'response.explode'" in error["message"]


async def test_ga_rejects_temperature_and_a_missing_session_type() -> None:
    temperature = {
        "type": "session.update",
        "event_id": "e1",
        "session": {"type": "realtime", "temperature": 0.7},
    }
    error = await _error_for(Dialect.GA, temperature)
    assert (error["code"], error["param"], error["event_id"]) == (
        "unknown_parameter",
        "session.temperature",
        "e1",
    )
    error = await _error_for(Dialect.GA, {"type": "session.update", "session": {"instructions": "x"}})
    assert (error["code"], error["param"]) == ("missing_required_parameter", "session.type")


async def test_preview_accepts_temperature_but_checks_its_range() -> None:
    async with LocalRealtimeServer() as server, open_client(server, Dialect.PREVIEW) as client:
        assert (await client.session_update({"temperature": 0.7}))["session"]["temperature"] == 0.7
        error = (await client.session_update({"temperature": 2.0}))["error"]
        assert (error["code"], error["param"]) == ("invalid_value", "session.temperature")
        assert server.connections[0].session.temperature == 0.7


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"output_modalities": ["audio", "text"]}, "session.output_modalities"),
        (
            {"audio": {"input": {"turn_detection": {"type": "psychic_vad"}}}},
            "session.audio.input.turn_detection.type",
        ),
        ({"tool_choice": "sometimes"}, "session.tool_choice"),
        ({"max_output_tokens": 99999}, "session.max_output_tokens"),
        ({"voices": "alloy"}, "session.voices"),
    ],
)
async def test_invalid_session_values(session: dict[str, Any], param: str) -> None:
    async with LocalRealtimeServer() as server, open_client(server) as client:
        reply = await client.session_update(session)
        assert reply["type"] == "error"
        assert reply["error"]["param"] == param
        assert reply["error"]["event_id"] == "evt_update"


async def test_partial_update_keeps_the_rest() -> None:
    async with LocalRealtimeServer() as server, open_client(server) as client:
        tools = [
            {"type": "function", "name": "ping", "description": "Ping.", "parameters": {"type": "object"}}
        ]
        first = await client.session_update({"tools": tools, "instructions": "A"})
        second = await client.session_update({"audio": {"output": {"voice": "marin"}}})
        assert second["session"]["tools"] == first["session"]["tools"] == tools
        assert second["session"]["instructions"] == "A"
        assert second["session"]["audio"]["output"]["voice"] == "marin"
        vad = await client.session_update(
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}}}
        )
        detection = vad["session"]["audio"]["input"]["turn_detection"]
        assert detection["threshold"] == 0.7
        assert detection["create_response"] is True  # unset fields take the service defaults
        manual = await client.session_update({"audio": {"input": {"turn_detection": None}}})
        assert manual["session"]["audio"]["input"]["turn_detection"] is None


@pytest.mark.parametrize("dialect", BOTH)
async def test_unreadable_frames(dialect: Dialect) -> None:
    assert (await _error_for(dialect, "{not json"))["code"] == "invalid_json"
    assert (await _error_for(dialect, "[" * 50_000))["code"] == "invalid_json"
    assert (await _error_for(dialect, '{"no_type": 1}'))["param"] == "type"
    bad_item = {
        "type": "conversation.item.create",
        "event_id": "evt_bad",
        "item": {"type": "message", "content": 5},
    }
    error = await _error_for(dialect, bad_item)
    assert error["event_id"] == "evt_bad"
    assert error["code"] == "invalid_value"


async def test_transcription_session_update_is_preview_only() -> None:
    frame = {"type": "transcription_session.update", "session": {"input_audio_format": "pcm16"}}
    assert (await _error_for(Dialect.GA, frame))["param"] == "type"


@pytest.mark.parametrize("dialect", BOTH)
async def test_an_append_without_audio_is_a_missing_parameter(dialect: Dialect) -> None:
    error = await _error_for(dialect, {"type": "input_audio_buffer.append", "event_id": "evt_a"})
    assert (error["code"], error["param"], error["event_id"]) == (
        "missing_required_parameter",
        "audio",
        "evt_a",
    )


@pytest.mark.parametrize("dialect", BOTH)
async def test_an_item_of_an_unknown_type_is_refused_not_stored(dialect: Dialect) -> None:
    async with LocalRealtimeServer() as server, open_client(server, dialect) as client:
        await client.send({"type": "conversation.item.create", "item": {"type": "hologram", "id": "item_h"}})
        error = (await client.expect("error"))["error"]
        assert server.connections[0].conversation.items == []
    assert (error["code"], error["param"]) == ("invalid_value", "item.type")
    assert "'hologram'" in error["message"]
