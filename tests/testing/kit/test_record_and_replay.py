"""Record a real session through the recorder (here the "real" service is a local server with a
key), then replay the file to the agent in a test: server events kept, secrets never written."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from agentkit import Agent, Endpoint, tool
from agentkit.connection import ConnectionClosed, HandshakeError
from agentkit.testing import Call, LocalRealtimeServer, Say, ScriptedModel
from agentkit.testing.kit import RecordingError, Replay, SessionRecorder, expect, replaying
from agentkit.testing.kit.recorder import SCRUBBED, scrub

pytestmark = pytest.mark.anyio

SECRET_KEY = "sk-live-do-not-write-me-4242"


@tool
def track_shipment(order_id: str) -> dict[str, str]:
    """Track an order's shipment."""
    return {"order_id": order_id, "carrier": "FedEx"}


AGENT = Agent("shop", tools=[track_shipment], output_modalities=["text"])


def model() -> ScriptedModel:
    return ScriptedModel(
        [
            [Say("Let me check."), Call("track_shipment", {"order_id": "A-1002"})],
            [Say(f"FedEx has it. (The key was {SECRET_KEY}.)")],
        ]
    )


async def record(path: Path, agent: Agent = AGENT) -> str:
    async with LocalRealtimeServer(api_key=SECRET_KEY, model=model()) as service:
        upstream = Endpoint.custom(service.url(), api_key=SECRET_KEY)
        async with SessionRecorder(upstream, path) as recorder, agent.connect(recorder.endpoint()) as session:
            with anyio.fail_after(20):
                turn = await session.ask("Where is A-1002?")
    return turn.text


async def test_a_recorded_session_holds_the_frames_both_ways_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "recordings" / "track.json"
    said = await record(path)
    assert SECRET_KEY in said, "the live session saw the key (the model said it)"

    text = path.read_text()
    assert SECRET_KEY not in text
    data = json.loads(text)
    assert (data["version"], data["dialect"]) == (1, "ga")
    kinds = [(i["direction"], i["data"]["type"]) for i in data["interactions"] if i["kind"] == "message"]
    assert kinds[0] == ("received", "session.created")
    assert ("sent", "session.update") in kinds
    assert ("received", "response.function_call_arguments.done") in kinds
    outputs = [
        i["data"]["item"]
        for i in data["interactions"]
        if i["kind"] == "message" and i["data"]["type"] == "conversation.item.create"
    ]
    assert [o["type"] for o in outputs] == ["message", "function_call_output"]
    assert "FedEx" in outputs[1]["output"]
    assert data["interactions"][-1]["kind"] == "close"


async def test_a_recording_replays_to_the_agent_offline(tmp_path: Path) -> None:
    path = tmp_path / "track.json"
    await record(path)

    async with replaying(path) as (endpoint, replay), AGENT.connect(endpoint) as session:
        with anyio.fail_after(20):
            turn = await session.ask("Where is A-1002?")
            await replay.finished.wait()
    expect(turn).succeeded("track_shipment", order_id="A-1002").said("FedEx has it")
    assert not replay.problems
    assert replay.response_creates_while_idle()
    [output] = [
        f["item"] for f in replay.client_frames("conversation.item.create") if f["item"]["type"] != "message"
    ]
    assert output["call_id"] == replay.recorded("response.function_call_arguments.done")[0]["call_id"]


def test_scrubbing_masks_credential_fields_values_and_audio() -> None:
    frame = {
        "type": "session.created",
        "session": {"client_secret": {"value": "ek_123"}, "instructions": "key abc-secret-1 inside"},
        "url": "wss://example.invalid/openai/realtime?api-key=xyz&deployment=d",
        "Authorization": "Bearer abc",
    }
    cleaned = scrub(frame, ("abc-secret-1",), keep_audio=False)
    assert cleaned["session"]["client_secret"] == SCRUBBED
    assert cleaned["session"]["instructions"] == "key *** inside"
    assert "xyz" not in json.dumps(cleaned)
    assert cleaned["Authorization"] == SCRUBBED
    append = {"type": "input_audio_buffer.append", "audio": "A" * 400}
    assert len(scrub(append, (), keep_audio=False)["audio"]) == 44
    assert len(scrub(append, (), keep_audio=True)["audio"]) == 400


async def test_the_recorder_takes_only_its_own_key() -> None:
    async with LocalRealtimeServer() as service:
        async with SessionRecorder(service.endpoint()) as recorder:
            wrong = Endpoint.custom(recorder.endpoint().url, api_key="guess")
            with pytest.raises(HandshakeError, match="401"):
                async with AGENT.connect(wrong):
                    pass
        assert recorder.interactions == []
    with pytest.raises(RuntimeError, match="not running"):
        recorder.endpoint()


def test_unreadable_recordings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot read the recording"):
        Replay.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RecordingError, match="not a readable recording"):
        Replay.load(tmp_path / "bad.json")
    (tmp_path / "empty.json").write_text("{}")
    with pytest.raises(RecordingError, match="no list of interactions"):
        Replay.load(tmp_path / "empty.json")


async def test_an_upstream_that_refuses_is_recorded_as_a_close_without_the_key(tmp_path: Path) -> None:
    path = tmp_path / "refused.json"
    async with LocalRealtimeServer(api_key="the-right-key") as service:
        upstream = Endpoint.custom(service.url(), api_key=SECRET_KEY)  # the service does not take it
        async with SessionRecorder(upstream, path) as recorder:
            with pytest.raises(ConnectionClosed, match="the recorder could not reach the service"):
                async with AGENT.connect(recorder.endpoint()) as session:
                    await session.ask("Hello?", timeout=10)
    [close] = json.loads(path.read_text())["interactions"]
    assert close["kind"] == "close"
    assert close["code"] == 1011
    assert "401" in close["reason"]
    assert SECRET_KEY not in path.read_text()
