"""Whole Twilio calls to an agent on the local server: webhook, stream, tools, marks, barge-in, hang-up."""

from __future__ import annotations

import base64
from pathlib import Path

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.engine import ToolCallFinished, ToolCallStarted
from agentkit.protocol import ConversationItemTruncate, ResponseAudioDelta
from agentkit.testing import Call, ScriptedModel
from agentkit.testing.callers import TwilioCaller
from agentkit.testing.callers.earpiece import DONE_SUFFIX

from .phone_helpers import TWILIO_TOKEN, phone_app, tool_outputs

pytestmark = pytest.mark.anyio


async def test_a_caller_asks_about_an_order_and_hears_the_answer_in_mulaw(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        async with TwilioCaller(phones.url, TWILIO_TOKEN, pace=0) as call:
            await call.say("Where is my order A-1001?")
            answer = await call.wait_answer()
        [connection] = phones.model.connections
    # The model was asked in mu-law both ways, and the tool ran on the caller's words.
    assert connection.session.input_audio_format == "g711_ulaw"
    assert connection.session.output_audio_format == "g711_ulaw"
    [output] = tool_outputs(connection)
    assert '"order_id":"A-1001"' in output.output
    # What the caller heard is exactly the model's mu-law audio, frame for frame, in order.
    sent = b"".join(base64.b64decode(e.delta) for e in connection.sent if isinstance(e, ResponseAudioDelta))
    assert answer == sent
    media = [f for f in call.frames if f["event"] == "media"]
    assert media
    assert all(f["streamSid"] == call.stream_sid for f in media)
    # Every mark was played and acknowledged; the last one says the answer was heard to its end.
    marks = [f["mark"]["name"] for f in call.frames if f["event"] == "mark"]
    assert call.ear.marks_played == marks
    assert marks[-1].endswith(DONE_SUFFIX)
    assert call.close_code == 1000


async def test_barge_in_clears_the_line_and_truncates_at_what_the_caller_heard(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        async with TwilioCaller(phones.url, TWILIO_TOKEN, pace=0) as call:
            call.ear.hold()  # hear nothing until the answer is under way, then exactly 600 ms of it
            await call.say("Where is my order A-1001?")
            await call.ear.wait(lambda: call.ear.queued_ms >= 1000, timeout=30)
            call.ear.release()
            heard_ms = await call.barge_in("Actually, never mind.", after_ms=600)
            await call.ear.wait(lambda: call.ear.clears > 0, timeout=30)
        [connection] = phones.model.connections
    assert any(f["event"] == "clear" for f in call.frames)
    [truncate] = [e for e in connection.received if isinstance(e, ConversationItemTruncate)]
    assert truncate.audio_end_ms == int(heard_ms)
    assert 600 <= heard_ms < 1000


async def test_hanging_up_while_a_tool_runs_answers_it_as_cancelled(tmp_path: Path) -> None:
    started, ended = anyio.Event(), anyio.Event()
    outcome: list[str] = []

    @tool
    async def check_warehouse(sku: str) -> str:
        """Ask the warehouse (slow)."""
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        finally:
            ended.set()
        return "never"

    agent = Agent("warehouse", "Check stock.", tools=[check_warehouse])
    model = ScriptedModel([[Call("check_warehouse", {"sku": "KB-201"})]])
    async with phone_app(tmp_path, agent, model=model) as phones:
        call = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await call.dial()
        await call.say("Is the keyboard in stock?")
        with anyio.fail_after(30):
            await started.wait()
        await call.hang_up()
        with anyio.fail_after(10):
            await ended.wait()
            while phones.line.active:  # noqa: ASYNC110 (the line counts calls down as they end)
                await anyio.sleep(0.01)
    assert outcome == ["cancelled"]
    [finished] = [e for e in phones.seen.events if isinstance(e, ToolCallFinished)]
    assert finished.status == "cancelled"
    assert [e.name for e in phones.seen.events if isinstance(e, ToolCallStarted)] == ["check_warehouse"]


async def test_twilios_stop_alone_makes_the_bridge_close_the_stream_and_the_session(tmp_path: Path) -> None:
    async with phone_app(tmp_path) as phones:
        call = TwilioCaller(phones.url, TWILIO_TOKEN, pace=0)
        await call.dial()
        await call.say("Where is my order A-1001?")
        await call.wait_answer()
        [connection] = phones.model.connections
        # Twilio sends `stop` and leaves the socket to the app: the bridge must close it, not wait.
        await call.send({"event": "stop", "stop": {"accountSid": call.account_sid, "callSid": call.call_sid}})
        await call.wait_closed()
        with anyio.fail_after(10):
            await connection.closed.wait()
    assert (call.close_code, call.close_reason) == (1000, "call ended")
    assert phones.line.active == 0
