"""Input audio: append / commit / clear, server VAD turns, transcription, barge-in."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from agentkit.protocol import Dialect, MessageItem
from agentkit.testing import LocalRealtimeServer, Say, ScriptedModel, Timing, spoken
from agentkit.testing.speech import silence
from tests.testing.wire import BOTH, WireClient, open_client

pytestmark = pytest.mark.anyio


async def _append(client: WireClient, pcm: bytes, chunk_ms: int = 100) -> None:
    size = 48 * chunk_ms
    for start in range(0, len(pcm), size):
        audio = base64.b64encode(pcm[start : start + size]).decode()
        await client.send({"type": "input_audio_buffer.append", "audio": audio})


def _manual(dialect: Dialect) -> dict[str, Any]:
    if dialect is Dialect.GA:
        return {"audio": {"input": {"turn_detection": None}}}
    return {"turn_detection": None}


def _vad(dialect: Dialect, **extra: Any) -> dict[str, Any]:
    detection = {"type": "server_vad", "silence_duration_ms": 300, **extra}
    transcription = {"model": "whisper-1"}
    if dialect is Dialect.GA:
        return {"audio": {"input": {"turn_detection": detection, "transcription": transcription}}}
    return {"turn_detection": detection, "input_audio_transcription": transcription}


@pytest.mark.parametrize("dialect", BOTH)
async def test_manual_commit_and_clear(dialect: Dialect) -> None:
    async with LocalRealtimeServer() as server, open_client(server, dialect) as client:
        await client.session_update(_manual(dialect))
        await _append(client, silence(50))
        await client.send({"type": "input_audio_buffer.commit", "event_id": "evt_commit"})
        error = (await client.expect("error"))["error"]
        assert (error["code"], error["event_id"]) == ("input_audio_buffer_commit_empty", "evt_commit")
        assert "100ms" in error["message"]
        await _append(client, silence(100))
        await client.send({"type": "input_audio_buffer.commit"})
        committed = await client.expect("input_audio_buffer.committed")
        added = await client.recv()
        assert added["item"]["id"] == committed["item_id"]
        assert added["item"]["content"][0]["type"] == "input_audio"
        if dialect is Dialect.GA:
            await client.expect("conversation.item.done")
        await _append(client, silence(200))
        await client.send({"type": "input_audio_buffer.clear"})
        await client.expect("input_audio_buffer.cleared")
        await client.send({"type": "input_audio_buffer.commit"})
        assert (await client.expect("error"))["error"]["code"] == "input_audio_buffer_commit_empty"
        await client.send({"type": "input_audio_buffer.append", "event_id": "evt_bad", "audio": "%%%"})
        error = (await client.expect("error"))["error"]
        assert (error["param"], error["event_id"]) == ("audio", "evt_bad")


@pytest.mark.parametrize("dialect", BOTH)
async def test_server_vad_commits_transcribes_and_answers(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("Done.")]])
    utterance = spoken("book a table for two")
    async with LocalRealtimeServer(model=model) as server, open_client(server, dialect) as client:
        await client.session_update(_vad(dialect))
        await _append(client, silence(400) + utterance + silence(600))
        frames = await client.until("response.done")
    kinds = [f["type"] for f in frames]
    started, stopped = (
        frames[kinds.index("input_audio_buffer.speech_started")],
        frames[kinds.index("input_audio_buffer.speech_stopped")],
    )
    assert 0 <= started["audio_start_ms"] <= 400
    assert stopped["audio_end_ms"] > started["audio_start_ms"] + 500
    assert started["item_id"] == stopped["item_id"]
    committed = frames[kinds.index("input_audio_buffer.committed")]
    assert committed["item_id"] == started["item_id"]
    completed = frames[kinds.index("conversation.item.input_audio_transcription.completed")]
    assert completed["transcript"] == "book a table for two"
    assert kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
    user = model.contexts[0].items[-1]
    assert isinstance(user, MessageItem)
    assert user.text == "book a table for two"


async def test_vad_without_create_response_only_commits() -> None:
    async with LocalRealtimeServer(model=ScriptedModel([])) as server, open_client(server) as client:
        await client.session_update(_vad(Dialect.GA, create_response=False))
        await _append(client, spoken("hello there") + silence(600))
        frames = await client.until("conversation.item.input_audio_transcription.completed")
        assert "response.created" not in [f["type"] for f in frames]
        await client.send({"type": "response.create"})
        assert (await client.until("response.created"))[-1]["type"] == "response.created"


@pytest.mark.parametrize("dialect", BOTH)
async def test_speech_interrupts_the_active_response(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("A very long answer that the user will interrupt.")], [Say("Yes?")]])
    async with (
        LocalRealtimeServer(model=model, timing=Timing(first_delta_delay=30.0)) as server,
        open_client(server, dialect) as client,
    ):
        await client.session_update(_vad(dialect))
        await client.send({"type": "response.create"})
        first = (await client.expect("response.created"))["response"]["id"]
        await _append(client, spoken("wait a moment") + silence(600))
        frames = await client.until("response.done")
        assert frames[-1]["response"]["id"] == first
        assert frames[-1]["response"]["status"] == "cancelled"
        assert frames[-1]["response"]["status_details"]["reason"] == "turn_detected"
        assert "input_audio_buffer.speech_started" in [f["type"] for f in frames]
        server.timing = Timing()
        frames = await client.until("response.done")
        assert frames[-1]["response"]["status"] == "completed"
    assert "wait a moment" in model.contexts[1].items[-1].text  # type: ignore[union-attr]


async def test_g711_audio_both_ways() -> None:
    async with (
        LocalRealtimeServer(model=ScriptedModel([[Say("Hello.")]])) as server,
        open_client(server, Dialect.PREVIEW) as client,
    ):
        updated = await client.session_update(
            {"input_audio_format": "g711_ulaw", "output_audio_format": "g711_alaw", "turn_detection": None}
        )
        assert updated["session"]["output_audio_format"] == "g711_alaw"
        await client.send(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\xff" * 800).decode()}
        )
        await client.send({"type": "input_audio_buffer.commit"})
        await client.expect("input_audio_buffer.committed")
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
    audio = b"".join(base64.b64decode(f["delta"]) for f in frames if f["type"] == "response.audio.delta")
    speech = spoken("Hello.", "alloy")
    assert abs(len(audio) - len(speech) // 6) <= 1  # 8 kHz, one byte a sample
