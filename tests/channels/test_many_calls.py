"""Fifty simultaneous Twilio calls to the bot: every call's tool round completes, and each caller hears
exactly its own call's audio, in order."""

from __future__ import annotations

import base64
from pathlib import Path

import anyio
import pytest

from agentkit.protocol import ResponseAudioDelta
from agentkit.testing.callers import TwilioCaller

from .phone_helpers import TWILIO_TOKEN, phone_app, tool_outputs

pytestmark = pytest.mark.anyio
CALLS = 50


async def test_fifty_calls_at_once(tmp_path: Path) -> None:
    heard: dict[str, bytes] = {}
    async with phone_app(tmp_path) as phones:

        async def one_call(number: int) -> None:
            # Stagger the set-up a little, as real calls arrive; then everything overlaps.
            await anyio.sleep(number * 0.01)
            async with TwilioCaller(phones.url, TWILIO_TOKEN, pace=0.5) as call:
                await call.say("What is your return policy?")
                heard[call.call_sid] = await call.wait_answer(timeout=90)

        with anyio.fail_after(110):
            async with anyio.create_task_group() as tg:
                for number in range(CALLS):
                    tg.start_soon(one_call, number)
        connections = phones.model.connections
    assert len(heard) == CALLS
    assert len(connections) == CALLS
    # Every call's tool round finished with the FAQ's answer.
    for connection in connections:
        [output] = tool_outputs(connection)
        assert "30 days" in output.output
    # Each caller heard one connection's audio, byte for byte and in order; no two callers the same one.
    sent = [
        b"".join(base64.b64decode(e.delta) for e in c.sent if isinstance(e, ResponseAudioDelta))
        for c in connections
    ]
    assert sorted(heard.values()) == sorted(sent)
