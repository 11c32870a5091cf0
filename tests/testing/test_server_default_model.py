"""With no script, the server answers with the keyword model: a spoken request drives a tool round."""

from __future__ import annotations

import base64
import json

import pytest

from agentkit.testing import LocalRealtimeServer, Timing, spoken
from agentkit.testing.speech import silence
from tests.testing.wire import open_client

pytestmark = pytest.mark.anyio

ORDER_TOOL = {
    "type": "function",
    "name": "get_order_status",
    "description": "Look up the delivery status of an order.",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string", "description": "The order id, like A-1001."}},
        "required": ["order_id"],
    },
}


def test_timing_rejects_negative_delays() -> None:
    with pytest.raises(ValueError, match="event_delay"):
        Timing(event_delay=-1)
    with pytest.raises(ValueError, match="audio_chunk_ms"):
        Timing(audio_chunk_ms=0)


async def test_spoken_request_drives_a_tool_round_with_the_default_model() -> None:
    async with LocalRealtimeServer() as server, open_client(server) as client:
        await client.session_update({"tools": [ORDER_TOOL]})
        pcm = silence(300) + spoken("what is the status of order A-1001") + silence(600)
        for start in range(0, len(pcm), 4800):
            await client.send(
                {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(pcm[start : start + 4800]).decode(),
                }
            )
        frames = await client.until("response.done")
        calls = [o for o in frames[-1]["response"]["output"] if o["type"] == "function_call"]
        assert [c["name"] for c in calls] == ["get_order_status"]
        assert json.loads(calls[0]["arguments"]) == {"order_id": "A-1001"}
        output = {
            "type": "function_call_output",
            "call_id": calls[0]["call_id"],
            "output": '{"status": "shipped"}',
        }
        await client.send({"type": "conversation.item.create", "item": output})
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        transcript = frames[-1]["response"]["output"][0]["content"][0]["transcript"]
        assert "shipped" in transcript
