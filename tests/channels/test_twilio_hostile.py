"""Twilio's routes under attack: forged webhooks, streams without a call, garbage frames, floods.
Each is refused or closed with a clear code, secrets stay out of the logs, and the server goes on."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import anyio
import httpx
import pytest

from agentkit.channels.signatures import twilio_signature
from agentkit.testing.callers import CallRefused, TwilioCaller

from .phone_helpers import TWILIO_TOKEN, phone_app

pytestmark = pytest.mark.anyio


async def test_forged_and_unsigned_voice_webhooks_are_refused_without_logging_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with phone_app(tmp_path) as phones:
        forged = TwilioCaller(phones.url, "not-the-token")
        unsigned = TwilioCaller(phones.url, TWILIO_TOKEN, sign=False)
        for caller in (forged, unsigned):
            response = await caller.ring()
            assert response.status_code == 403
            assert "<Stream" not in response.text
        # Signed for other parameters (a replayed signature on a changed form) fails too.
        form = {**forged.form(), "From": "+15550000000"}
        signature = twilio_signature(TWILIO_TOKEN, forged.voice_url, forged.form().items())
        async with httpx.AsyncClient() as http:
            response = await http.post(forged.voice_url, data=form, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 403
            assert (await http.get(forged.voice_url)).status_code == 405
        with pytest.raises(CallRefused):
            await forged.dial()
        assert phones.line.active == 0
    assert "refused a voice webhook" in caplog.text
    assert TWILIO_TOKEN not in caplog.text


async def test_a_stream_without_a_valid_call_set_up_is_closed(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        stream_url = phones.url.replace("http://", "ws://") + "/twilio/stream"
        # No ticket at all, a made-up one, and a real ticket presented for another call.
        for parameters in ({}, {"agentkit_ticket": "made-up"}):
            call = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
            await call.open_stream(stream_url, parameters)
            await call.wait_closed()
            assert (call.close_code, call.close_reason) == (1008, "this stream has no valid call set-up")
        real = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        response = await real.ring()
        assert response.status_code == 200
        ticket = response.text.split('value="')[1].split('"')[0]
        thief = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await thief.open_stream(stream_url, {"agentkit_ticket": ticket})
        await thief.wait_closed()
        assert thief.close_code == 1008
        # The thief spent the ticket: the real call cannot use it any more (single use)...
        await real.open_stream(stream_url, {"agentkit_ticket": ticket})
        await real.wait_closed()
        assert real.close_code == 1008
        # ...and a fresh ring gets a fresh one.
        again = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await again.dial()
        await again.hang_up()
        assert again.close_code == 1000
        assert len(phones.model.connections) == 1  # only the call with a valid ticket reached the model


GARBAGE: list[tuple[str, object, int]] = [
    ("not JSON", "this is not json", 1007),
    ("a JSON array", "[1, 2, 3]", 1007),
    ("bad base64", {"event": "media", "media": {"track": "inbound", "payload": "%%%not-base64%%%"}}, 1007),
    ("no payload", {"event": "media", "media": {"track": "inbound"}}, 1007),
    ("binary frame", b"\x00\x01\x02", 1003),
    ("huge frame", {"event": "media", "media": {"payload": "A" * 100_000}}, 1009),
    ("second start", {"event": "start", "start": {"streamSid": "MZx", "callSid": "CAx"}}, 1008),
]


@pytest.mark.parametrize(("what", "frame", "code"), GARBAGE, ids=[g[0] for g in GARBAGE])
async def test_garbage_frames_close_the_stream_and_the_server_goes_on(
    tmp_path: Path, what: str, frame: object, code: int
) -> None:
    async with phone_app(tmp_path) as phones:
        call = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await call.dial()
        raw = frame if isinstance(frame, (str, bytes)) else json.dumps(frame)
        await call.send_raw(raw)
        await call.wait_closed()
        assert call.close_code == code, call.close_reason
        assert call.close_reason
        # The server still answers the next caller in full.
        async with TwilioCaller(phones.url, TWILIO_TOKEN, pace=0) as good:
            await good.say("Where is my order A-1001?")
            assert await good.wait_answer()
        with anyio.fail_after(10):
            while phones.line.active:  # noqa: ASYNC110
                await anyio.sleep(0.01)


async def test_a_wrong_codec_and_a_flood_are_closed(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        wrong = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        answer = await wrong.ring()
        url = answer.text.split('url="')[1].split('"')[0]
        ticket = answer.text.split('value="')[1].split('"')[0]
        await wrong.open_stream(
            url,
            {"agentkit_ticket": ticket},
            media_format={"encoding": "audio/x-l16", "sampleRate": 16000, "channels": 1},
        )
        await wrong.wait_closed()
        assert wrong.close_code == 1003
        assert "audio/x-l16" in wrong.close_reason
        flood = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await flood.dial()
        packet = {
            "event": "media",
            "media": {"track": "inbound", "payload": base64.b64encode(b"\xff" * 160).decode()},
        }
        for _ in range(2000):
            if flood.closed.is_set():
                break
            await flood.send(packet)
        await flood.wait_closed()
        assert (flood.close_code, flood.close_reason) == (1008, "message rate limit exceeded")
