"""`timing="realistic"` (`agentkit local-server --timing realistic`): the model thinks, answers stream
at speaking rate, and a response stays active until its last delta, so two back-to-back
`response.create`s meet the real service's refusal (issue 16: the fast server finished every
response before it read the next frame, so the race never happened offline)."""

from __future__ import annotations

import pytest

from agentkit.protocol import (
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseFunctionCallArgumentsDelta,
    ResponseTextDelta,
)
from agentkit.testing import LocalRealtimeServer, Timing
from agentkit.testing.models import Say, ScriptedModel

from .wire import open_client

pytestmark = pytest.mark.anyio


def test_the_default_is_fast_and_realistic_is_paced_like_speech() -> None:
    fast = Timing()
    for delta in (ResponseTextDelta(delta=" hello"), ResponseAudioDelta(delta="AAAA")):
        assert fast.delay_before(delta, first=True) == 0.0
        assert fast.delay_before(delta, first=False) == 0.0

    real = Timing.named("realistic")
    assert real == Timing.realistic()
    assert real.delay_before(ResponseTextDelta(delta=" hi"), first=True) == real.first_delta_delay > 0
    # Audio: each 200 ms chunk takes 200 ms to send; its transcript rides along.
    assert real.delay_before(ResponseAudioDelta(delta="AAAA"), first=False) == pytest.approx(0.2)
    assert real.delay_before(ResponseAudioTranscriptDelta(delta=" hi"), first=False) == 0.0
    # Text: a word at 180 words a minute; arguments are not spoken, they come in quick pieces.
    assert real.delay_before(ResponseTextDelta(delta=" two words"), first=False) == pytest.approx(2 / 3)
    arguments = ResponseFunctionCallArgumentsDelta(delta='{"id"')
    assert real.delay_before(arguments, first=False) == real.delta_delay


def test_unknown_timing_names_and_negative_paces_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown timing 'slow'; choose one of fast, realistic"):
        Timing.named("slow")
    with pytest.raises(ValueError, match="audio_pace must be >= 0"):
        Timing(audio_pace=-1)


async def test_a_second_create_during_a_realistic_answer_is_refused_as_the_service_does() -> None:
    model = ScriptedModel([[Say("Your order A-1001 shipped on Monday and arrives on Friday.")]])
    async with LocalRealtimeServer(model=model, timing="realistic") as server, open_client(server) as client:
        await client.session_update({"output_modalities": ["text"]})
        # Back to back, as a client racing server VAD or a double click sends them.
        await client.send({"type": "response.create", "event_id": "evt_first"})
        await client.send({"type": "response.create", "event_id": "evt_second"})
        frames = await client.until("error")
        error = frames[-1]["error"]
        assert error["code"] == "conversation_already_has_active_response"
        assert error["event_id"] == "evt_second"
        created = [f for f in frames if f["type"] == "response.created"]
        assert len(created) == 1
        assert created[0]["response"]["id"] in error["message"]
        assert not [f for f in frames if f["type"] == "response.done"]  # still thinking or speaking
        await client.send({"type": "response.cancel"})
        done = (await client.until("response.done"))[-1]
        assert done["response"]["status"] == "cancelled"
