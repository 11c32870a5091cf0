"""Azure Communication Services: Event Grid validation and IncomingCall, PCM 24 kHz media both ways,
barge-in with StopAudio, and streams without a valid set-up closed."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import anyio
import pytest

from agentkit.engine import Interrupted, TurnDone
from agentkit.protocol import ConversationItemTruncate, ResponseAudioDelta
from agentkit.testing.callers import AcsCaller

from .phone_helpers import ACS_EVENTS_SECRET, Phones, phone_app, tool_outputs

pytestmark = pytest.mark.anyio
CODE = f"?code={ACS_EVENTS_SECRET}"


async def turns_done(phones: Phones, count: int) -> None:
    with anyio.fail_after(30):
        while sum(isinstance(e, TurnDone) for e in phones.seen.events) < count:  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def test_event_grid_validation_handshake_and_the_events_code(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        caller = AcsCaller(phones.url, phones.automation)
        validation = [
            {
                "id": "v1",
                "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
            }
        ]
        answer = await caller.post(validation, CODE)
        assert answer.status_code == 200
        assert answer.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
        # Without the subscription's code nothing is validated or answered.
        assert (await caller.post(validation)).status_code == 401
        assert (await caller.post(caller.incoming_call_event(), "?code=wrong")).status_code == 401
        assert phones.automation.answered == {}


async def test_a_whole_acs_call_in_pcm_24k(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        caller = AcsCaller(phones.url, phones.automation, pace=0)
        await caller.dial(CODE)
        answered = phones.automation.answered[caller.context]
        assert "ticket=" in answered.transport_url
        assert answered.callback_url.endswith(f"/acs/events{CODE}")
        await caller.say("Where is my order A-1001?")
        await turns_done(phones, 1)
        [connection] = phones.model.connections
        sent = b"".join(
            base64.b64decode(e.delta) for e in connection.sent if isinstance(e, ResponseAudioDelta)
        )
        await caller.ear.wait(lambda: len(caller.ear.heard) >= len(sent), timeout=30)
        await caller.hang_up()
    assert connection.session.input_audio_format == "pcm16"
    assert connection.session.output_audio_format == "pcm16"
    assert '"order_id":"A-1001"' in tool_outputs(connection)[0].output
    assert bytes(caller.ear.heard) == sent  # the model's PCM, untouched and in order
    assert all(f["kind"] == "AudioData" for f in caller.frames)


async def test_barge_in_sends_stop_audio_and_truncates(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        caller = AcsCaller(phones.url, phones.automation, pace=0)
        await caller.dial(CODE)
        caller.ear.hold()  # the caller talks over the answer once it is arriving
        await caller.say("Where is my order A-1001?")
        await caller.ear.wait(lambda: caller.ear.queued_ms >= 1000, timeout=30)
        await caller.say("Stop, stop.")
        await caller.ear.wait(lambda: caller.ear.clears > 0, timeout=30)
        [connection] = phones.model.connections
        with anyio.fail_after(30):
            while not (  # noqa: ASYNC110 (the server's own record)
                truncates := [e for e in connection.received if isinstance(e, ConversationItemTruncate)]
            ):
                await anyio.sleep(0.01)
        await caller.hang_up()
    assert any(f["kind"] == "StopAudio" for f in caller.frames)
    # Without marks, playback is taken as real time from the first audio: the cut is where that says.
    [interrupted] = [e for e in phones.seen.events if isinstance(e, Interrupted)]
    [truncate] = truncates
    assert truncate.audio_end_ms == interrupted.played_ms
    assert truncate.item_id == interrupted.item_id
    [truncate] = [e for e in connection.received if isinstance(e, ConversationItemTruncate)]
    assert truncate.audio_end_ms >= 0


async def test_acs_streams_without_a_valid_set_up_or_in_the_wrong_format_are_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with phone_app(tmp_path) as phones:
        stream = phones.url.replace("http://", "ws://") + "/acs/stream"
        for url in (stream, stream + "?ticket=forged"):
            caller = AcsCaller(phones.url, phones.automation, pace=0)
            await caller.open_stream(url)
            await caller.wait_closed()
            assert (caller.close_code, caller.close_reason) == (1008, "this stream has no valid call set-up")
        wrong = AcsCaller(phones.url, phones.automation, pace=0)
        await wrong.post(wrong.incoming_call_event(), CODE)
        url = phones.automation.answered[wrong.context].transport_url
        await wrong.open_stream(url, {"encoding": "PCM", "sampleRate": 16000, "channels": 1})
        await wrong.wait_closed()
        assert wrong.close_code == 1003
        # The ticket was spent by that attempt: the same URL is refused now.
        again = AcsCaller(phones.url, phones.automation, pace=0)
        await again.open_stream(url)
        await again.wait_closed()
        assert again.close_code == 1008
        assert phones.model.connections == []
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("agentkit", "uvicorn")))
    assert "no valid call set-up" in ours
    assert ACS_EVENTS_SECRET not in ours  # (the test's own HTTP client logs the URL it posts to)


ACS_GARBAGE: list[tuple[str, str | bytes, int]] = [
    ("not JSON", "this is not json", 1007),
    ("bad base64", '{"kind": "AudioData", "audioData": {"data": "%%%not-base64%%%"}}', 1007),
    ("odd PCM", '{"kind": "AudioData", "audioData": {"data": "AAAA"}}', 1007),
    ("binary frame", b"\x00\x01\x02", 1003),
    ("huge frame", '{"kind": "AudioData", "audioData": {"data": "' + "A" * 100_000 + '"}}', 1009),
]


async def test_garbage_on_an_acs_stream_closes_that_call_only(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        bystander = AcsCaller(phones.url, phones.automation, pace=0)
        await bystander.dial(CODE)
        for what, frame, code in ACS_GARBAGE:
            caller = AcsCaller(phones.url, phones.automation, pace=0)
            await caller.dial(CODE)
            await caller.send_raw(frame)
            await caller.wait_closed()
            assert caller.close_code == code, what
            assert caller.close_reason, what
        # The call that behaved is still carried and answered in full.
        await bystander.say("Where is my order A-1001?")
        await turns_done(phones, 1)
        assert not bystander.closed.is_set()
        await bystander.hang_up()
        assert bystander.close_code == 1000
