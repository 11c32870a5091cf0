"""The local server speaks Voice Live: its URL form, its session extras (accepted, reflected, and a
`warning` for what it does not simulate), its client-marked turns, and its refusals."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from agentkit.protocol import Dialect
from agentkit.testing import LocalRealtimeServer, spoken

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def voice_live(server: LocalRealtimeServer, url: str | None = None) -> AsyncIterator[ClientConnection]:
    async with connect(url or server.url(Dialect.VOICE_LIVE), additional_headers={"api-key": "k"}) as ws:
        assert (await _recv(ws))["type"] == "session.created"
        yield ws


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    with anyio.fail_after(5):
        frame: dict[str, Any] = json.loads(await ws.recv())
    return frame


async def _until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        seen.append(await _recv(ws))
        if seen[-1]["type"] == kind:
            return seen


async def test_session_created_speaks_voice_live() -> None:
    async with (
        LocalRealtimeServer(api_key="k") as server,
        connect(server.url(Dialect.VOICE_LIVE), additional_headers={"api-key": "k"}) as ws,
    ):
        created = await _recv(ws)
    session = created["session"]
    assert session["voice"]["type"] == "azure-standard"
    assert session["input_audio_sampling_rate"] == 24000
    assert "audio" not in session  # the flat session of the preview, not GA's nested one


async def test_extras_are_accepted_reflected_and_the_unsimulated_ones_warned_about() -> None:
    update = {
        "voice": {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard", "temperature": 0.7},
        "input_audio_sampling_rate": 16000,
        "input_audio_noise_reduction": {"type": "azure_deep_noise_suppression"},
        "input_audio_echo_cancellation": {"type": "server_echo_cancellation"},
        "turn_detection": {
            "type": "azure_semantic_vad",
            "end_of_utterance_detection": {"model": "semantic_detection_v1", "threshold": 0.01},
            "remove_filler_words": True,
        },
        "interim_response": {
            "type": "static_interim_response",
            "triggers": ["tool"],
            "texts": ["One moment."],
        },
    }
    async with LocalRealtimeServer(api_key="k") as server, voice_live(server) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": update}))
        updated = await _recv(ws)
        warning = await _recv(ws)
    assert updated["type"] == "session.updated", updated
    session = updated["session"]
    for key in ("voice", "input_audio_sampling_rate", "input_audio_echo_cancellation", "interim_response"):
        assert session[key] == update[key]
    assert session["turn_detection"]["type"] == "azure_semantic_vad"
    assert session["turn_detection"]["remove_filler_words"] is True
    assert warning["type"] == "warning"
    assert warning["warning"]["param"] == "session.input_audio_echo_cancellation"


async def test_a_sampling_rate_it_does_not_take_is_an_error() -> None:
    async with LocalRealtimeServer(api_key="k") as server, voice_live(server) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {"input_audio_sampling_rate": 11025}}))
        error = await _recv(ws)
    assert error["type"] == "error"
    assert error["error"]["param"] == "session.input_audio_sampling_rate"


def _append(turn_id: str, data: bytes) -> str:
    audio = base64.b64encode(data).decode()
    return json.dumps({"type": "input_audio.turn.append", "turn_id": turn_id, "audio": audio})


async def test_a_client_marked_turn_is_committed_and_answered() -> None:
    async with LocalRealtimeServer(api_key="k") as server, voice_live(server) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {"turn_detection": None}}))
        await _until(ws, "session.updated")
        await ws.send(json.dumps({"type": "input_audio.turn.start", "turn_id": "t1"}))
        await ws.send(_append("t1", spoken("Hello there, can you hear me?")))
        await ws.send(json.dumps({"type": "input_audio.turn.end", "turn_id": "t1"}))
        frames = await _until(ws, "response.done")
    kinds = [f["type"] for f in frames]
    assert kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
    assert "response.audio.delta" in kinds  # Voice Live's preview-style names


async def test_audio_for_a_turn_that_is_not_open_is_refused() -> None:
    async with LocalRealtimeServer(api_key="k") as server, voice_live(server) as ws:
        await ws.send(json.dumps({"type": "input_audio.turn.start", "turn_id": "t1"}))
        await ws.send(_append("t2", b"\x00\x00" * 240))
        error = await _recv(ws)
    assert error["type"] == "error"
    assert error["error"]["param"] == "turn_id"


async def test_voice_live_events_are_refused_on_an_openai_url() -> None:
    async with (
        LocalRealtimeServer(api_key="k") as server,
        connect(server.url(Dialect.GA), additional_headers={"api-key": "k"}) as ws,
    ):
        await _recv(ws)
        await ws.send(json.dumps({"type": "input_audio.turn.start", "turn_id": "t1"}))
        error = await _recv(ws)
    assert error["type"] == "error"
    assert "input_audio.turn.start" in error["error"]["message"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("model=gpt-realtime", 400),
        ("api-version=2026-07-15", 400),
        ("api-version=2026-07-15&agent-name=a", 400),
    ],
)
async def test_the_voice_live_handshake_needs_a_version_and_a_model_or_an_agent(
    query: str, status: int
) -> None:
    async with LocalRealtimeServer(api_key="k") as server:
        with pytest.raises(InvalidStatus) as caught:
            await connect(f"{server.ws_url}/voice-live/realtime?{query}", additional_headers={"api-key": "k"})
    assert caught.value.response.status_code == status


async def test_an_agent_connects_by_name_and_project() -> None:
    async with LocalRealtimeServer(api_key="k") as server:
        url = f"{server.ws_url}/voice-live/realtime?api-version=2026-07-15&agent-name=a&agent-project-name=p"
        async with voice_live(server, url):
            pass


async def test_an_unknown_interim_response_shape_is_a_voice_live_error() -> None:
    update = {"interim_response": {"type": "magic_interim_response", "triggers": ["tool"]}}
    async with LocalRealtimeServer(api_key="k") as server, voice_live(server) as ws:
        await ws.send(json.dumps({"type": "session.update", "event_id": "u1", "session": update}))
        error = await _recv(ws)
    assert error["type"] == "error"
    assert error["error"]["param"] == "session.interim_response.type"
    assert "magic_interim_response" in error["error"]["message"]
