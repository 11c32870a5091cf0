"""Responses stream like the real service: order, audio, function calls, one at a time, cancel."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from agentkit.protocol import Dialect, FunctionCallOutputItem
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say, ScriptedModel, Timing
from tests.testing.wire import BOTH, WireClient, open_client

pytestmark = pytest.mark.anyio

SLOW = Timing(first_delta_delay=30.0)
"""A response that stays active until cancelled (cancellation cuts the wait short)."""


def _names(dialect: Dialect) -> dict[str, str]:
    if dialect is Dialect.GA:
        return {
            "added": "conversation.item.added",
            "audio": "response.output_audio.delta",
            "audio_done": "response.output_audio.done",
            "transcript": "response.output_audio_transcript.delta",
            "transcript_done": "response.output_audio_transcript.done",
            "text": "response.output_text.delta",
        }
    return {
        "added": "conversation.item.created",
        "audio": "response.audio.delta",
        "audio_done": "response.audio.done",
        "transcript": "response.audio_transcript.delta",
        "transcript_done": "response.audio_transcript.done",
        "text": "response.text.delta",
    }


async def _say(client: WireClient, text: str) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await client.send({"type": "conversation.item.create", "item": item})
    await client.recv()
    if client.dialect is Dialect.GA:
        await client.expect("conversation.item.done")


def _collapse(kinds: list[str], delta_kinds: set[str]) -> list[str]:
    """Event types in order, with runs of deltas shown once."""
    out: list[str] = []
    for kind in kinds:
        if kind in delta_kinds and out and out[-1] in delta_kinds:
            continue
        out.append(kind)
    return out


@pytest.mark.parametrize("dialect", BOTH)
async def test_audio_answer_streams_in_the_real_order(dialect: Dialect) -> None:
    names = _names(dialect)
    text = "Sure, your table for two is booked at eight."
    async with (
        LocalRealtimeServer(model=ScriptedModel([[Say(text)]])) as server,
        open_client(server, dialect) as client,
    ):
        await _say(client, "Book a table")
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        await client.expect("rate_limits.updated")
    kinds = [f["type"] for f in frames]
    deltas = {names["audio"], names["transcript"]}
    expected = [
        "response.created",
        "response.output_item.added",
        names["added"],
        "response.content_part.added",
        names["transcript"],
        names["audio_done"],
        names["transcript_done"],
        "response.content_part.done",
        *(["conversation.item.done"] if dialect is Dialect.GA else []),
        "response.output_item.done",
        "response.done",
    ]
    assert _collapse(kinds, deltas) == expected
    assert kinds.count(names["audio"]) >= 2  # audio and transcript deltas interleave
    assert "".join(f["delta"] for f in frames if f["type"] == names["transcript"]) == text
    pcm = b"".join(base64.b64decode(f["delta"]) for f in frames if f["type"] == names["audio"])
    assert len(pcm) % 2 == 0
    assert len(pcm) > 48 * 1000  # more than a second of 24 kHz PCM16 for a sentence
    item = frames[-2]["item"]
    part = item["content"][0]
    assert part["type"] == ("output_audio" if dialect is Dialect.GA else "audio")
    assert part["transcript"] == text
    assert frames[-1]["response"]["output"][0]["id"] == item["id"]


@pytest.mark.parametrize("dialect", BOTH)
async def test_function_calls_then_an_answer_from_their_outputs(dialect: Dialect) -> None:
    def answer(context: ModelContext) -> list[Say]:
        outputs = [i.output for i in context.items if isinstance(i, FunctionCallOutputItem)]
        return [Say("Results: " + ", ".join(outputs))]

    model = ScriptedModel(
        [
            [
                Say("Let me check."),
                Call("get_order", {"order_id": "A-1001"}),
                Call("get_weather", {"city": "Oslo"}),
            ],
            answer,
        ]
    )
    async with LocalRealtimeServer(model=model) as server, open_client(server, dialect) as client:
        await client.session_update(
            {"output_modalities": ["text"]} if dialect is Dialect.GA else {"modalities": ["text"]}
        )
        await _say(client, "Where is order A-1001, and the weather in Oslo?")
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        calls = [
            f["item"]
            for f in frames
            if f["type"] == "response.output_item.done" and f["item"]["type"] == "function_call"
        ]
        assert [c["name"] for c in calls] == ["get_order", "get_weather"]
        for index, call in enumerate(calls, start=1):
            deltas = [
                f
                for f in frames
                if f["type"] == "response.function_call_arguments.delta" and f["call_id"] == call["call_id"]
            ]
            assert len(deltas) >= 2
            assert all(d["output_index"] == index for d in deltas)
            assert json.loads("".join(d["delta"] for d in deltas)) == json.loads(call["arguments"])
            done = next(
                f
                for f in frames
                if f["type"] == "response.function_call_arguments.done" and f["call_id"] == call["call_id"]
            )
            assert ("name" in done) is (dialect is Dialect.GA)
        assert [o["type"] for o in frames[-1]["response"]["output"]] == [
            "message",
            "function_call",
            "function_call",
        ]
        await client.expect("rate_limits.updated")
        for call, output in zip(calls, ('{"status": "shipped"}', '{"sky": "clear"}'), strict=True):
            item = {"type": "function_call_output", "call_id": call["call_id"], "output": output}
            await client.send({"type": "conversation.item.create", "item": item})
            await client.recv()
            if dialect is Dialect.GA:
                await client.expect("conversation.item.done")
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        text = "".join(f["delta"] for f in frames if f["type"] == _names(dialect)["text"])
        assert text == 'Results: {"status": "shipped"}, {"sky": "clear"}'


async def test_invalid_json_arguments_are_sent_verbatim() -> None:
    model = ScriptedModel([[Call("lookup", '{"id": 12')]])
    async with LocalRealtimeServer(model=model) as server, open_client(server) as client:
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
    done = next(f for f in frames if f["type"] == "response.function_call_arguments.done")
    assert done["arguments"] == '{"id": 12'


@pytest.mark.parametrize("dialect", BOTH)
async def test_one_active_response_and_cancel(dialect: Dialect) -> None:
    async with (
        LocalRealtimeServer(model=ScriptedModel([[Say("A long answer.")]]), timing=SLOW) as server,
        open_client(server, dialect) as client,
    ):
        await client.send({"type": "response.create", "event_id": "evt_first"})
        created = await client.expect("response.created")
        await client.send({"type": "response.create", "event_id": "evt_second"})
        frames = await client.until("error")
        error = frames[-1]["error"]
        assert error["code"] == "conversation_already_has_active_response"
        assert error["event_id"] == "evt_second"
        assert created["response"]["id"] in error["message"]
        await client.send({"type": "response.cancel", "event_id": "evt_cancel"})
        frames = await client.until("response.done")
        done = frames[-1]["response"]
        assert done["status"] == "cancelled"
        assert done["status_details"]["reason"] == "client_cancelled"
        assert [f["type"] for f in frames].count("response.created") == 0
        item_done = next(f for f in frames if f["type"] == "response.output_item.done")
        assert item_done["item"]["status"] == "incomplete"
        await client.expect("rate_limits.updated")
        await client.send({"type": "response.cancel", "event_id": "evt_again"})
        error = (await client.expect("error"))["error"]
        assert error["code"] == "response_cancel_not_active"
        assert error["event_id"] == "evt_again"
        await client.send({"type": "response.create"})  # the conversation is free again
        assert (await client.expect("response.created"))["response"]["id"] != created["response"]["id"]


async def test_out_of_band_response_runs_beside_the_default_one() -> None:
    model = ScriptedModel([[Say("Default.")], [Say("Side.")]])
    async with LocalRealtimeServer(model=model, timing=SLOW) as server, open_client(server) as client:
        await client.send({"type": "response.create"})
        await client.expect("response.created")
        server.timing = Timing()
        params: dict[str, Any] = {
            "conversation": "none",
            "metadata": {"purpose": "summary"},
            "output_modalities": ["text"],
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "sum up"}]}
            ],
        }
        await client.send({"type": "response.create", "response": params})
        frames = await client.until("response.done")
        done = frames[-1]["response"]
        assert done["metadata"] == {"purpose": "summary"}
        assert done.get("conversation_id") is None
        side_ids = {item["id"] for item in done["output"]}
        added = {f["item"]["id"] for f in frames if f["type"] == "conversation.item.added"}
        assert side_ids
        assert not side_ids & added
        assert not side_ids & {item.id for item in server.connections[0].conversation.items}
        assert model.contexts[1].items[0].text == "sum up"  # type: ignore[union-attr]
