"""What a hostile client (or a hostile page, or a hostile model server) did to the relay, fixed at the
mechanism: DNS rebinding, allowed settings that reset the operator's, bursts of billed responses,
refusals that echo, absurd numbers, and a model call nobody could answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import InvalidStatus

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.protocol import (
    ConversationItemTruncate,
    InputTranscription,
    ResponseCreate,
    SessionUpdate,
    TurnDetection,
)
from agentkit.relay import POLICY_VIOLATION, Relay, RelayServer

from .relay_helpers import (
    SECRET_PROMPT,
    SERVER_MODES,
    Client,
    ServedRelay,
    client,
    running_relay,
    wait_received,
)

pytestmark = pytest.mark.anyio

REBIND = "rebind.attacker.example"


def _rebound_url(server: ServedRelay, name: str = REBIND) -> str:
    return f"ws://{name}:{server.port}{server.relay.path}"


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_a_rebinding_page_is_refused_before_the_upgrade(mode: str) -> None:
    """The attacker's name resolves to 127.0.0.1: Host and Origin both name it, and agree."""
    async with running_relay(mode=mode) as (upstream, server):
        origin = f"http://{REBIND}:{server.port}"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(_rebound_url(server), origin=origin, host="127.0.0.1", port=server.port):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        assert upstream.connections == []
        async with httpx.AsyncClient() as http:
            page = await http.get(server.http_url, headers={"Host": f"{REBIND}:{server.port}"})
            assert page.status_code == 403
            assert b"<html" not in page.content.lower()
            assert (await http.get(server.http_url)).status_code == 200  # its own loopback name
        for name in ("localhost", "127.0.0.1"):
            own = f"http://{name}:{server.port}"
            url = f"ws://{name}:{server.port}{server.relay.path}"
            async with connect(url, origin=own, host="127.0.0.1", port=server.port) as websocket:  # type: ignore[arg-type]
                await Client(websocket).until_type("session.created")


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_configured_names_are_served_and_only_those(mode: str) -> None:
    async with running_relay(mode=mode, allowed_hosts=["voice.shop.example"]) as (upstream, server):
        origin = f"http://voice.shop.example:{server.port}"
        url = _rebound_url(server, "voice.shop.example")
        async with connect(url, origin=origin, host="127.0.0.1", port=server.port) as websocket:  # type: ignore[arg-type]
            await Client(websocket).until_type("session.created")
        with pytest.raises(InvalidStatus) as refused:
            async with client(server):  # 127.0.0.1 is not configured any more
                pass
        assert refused.value.response.status_code == 403
        assert len(upstream.connections) == 1


OPERATOR_TURNS = TurnDetection(
    type="server_vad", threshold=0.5, create_response=False, interrupt_response=False, idle_timeout_ms=6000
)
OPERATOR_TRANSCRIPTION = InputTranscription(model="whisper-1", prompt="OPERATOR-VOCABULARY", language="de")


def _operator_agent() -> Agent:
    return Agent(
        "shop",
        SECRET_PROMPT,
        turn_detection=OPERATOR_TURNS,
        input_transcription=OPERATOR_TRANSCRIPTION,
        reconnect=None,
    )


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_an_allowed_update_keeps_the_operators_values_of_the_same_setting(mode: str) -> None:
    async with (
        running_relay(mode=mode, agent=_operator_agent()) as (upstream, server),
        client(server) as user,
    ):
        await user.until_type("session.created")
        await user.send(
            {
                "type": "session.update",
                "session": {"turn_detection": {"type": "server_vad", "threshold": 0.6}},
            }
        )
        await user.send(
            {"type": "session.update", "session": {"input_audio_transcription": {"language": "en"}}}
        )
        connection = upstream.connections[0]

        def sent_by_client(event: Any) -> bool:
            return isinstance(event, SessionUpdate) and event.session.instructions is None

        await wait_received(
            connection,
            lambda e: sent_by_client(e) and e.session.input_audio_transcription is not None,
        )
        updates = [e for e in connection.received if sent_by_client(e)]
        sent = updates[0].session.turn_detection
        assert sent is not None
        assert (sent.threshold, sent.create_response, sent.interrupt_response, sent.idle_timeout_ms) == (
            0.6,
            False,
            False,
            6000,
        )
        transcription = updates[1].session.input_audio_transcription
        assert transcription is not None
        assert (transcription.model, transcription.prompt, transcription.language) == (
            "whisper-1",
            "OPERATOR-VOCABULARY",
            "en",
        )
        shown = "\n".join(user.frames)
        assert "OPERATOR-VOCABULARY" not in shown  # merged upstream, still hidden from the client


async def test_switching_the_detector_keeps_only_the_operator_keys_that_still_apply() -> None:
    async with running_relay(agent=_operator_agent()) as (upstream, server), client(server) as user:
        await user.until_type("session.created")
        await user.send(
            {
                "type": "session.update",
                "session": {"turn_detection": {"type": "semantic_vad", "eagerness": "low"}},
            }
        )
        connection = upstream.connections[0]
        update = await wait_received(
            connection, lambda e: isinstance(e, SessionUpdate) and e.session.instructions is None
        )
        assert isinstance(update, SessionUpdate)
        turns = update.session.turn_detection
        assert turns is not None
        assert turns.model_dump(exclude_unset=True) == {
            "type": "semantic_vad",
            "eagerness": "low",
            "create_response": False,
            "interrupt_response": False,
        }


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_a_burst_of_response_creates_becomes_one_response(mode: str) -> None:
    async with running_relay(mode=mode) as (upstream, server), client(server) as user:
        await user.until_type("session.created")
        upstream.timing.first_delta_delay = 30.0  # the first response stays active through the burst
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}
        await user.send({"type": "conversation.item.create", "item": item})
        burst = 60
        for number in range(burst):
            await user.send({"type": "response.create", "event_id": f"burst_{number}"})
        refused = []
        while len(refused) < burst - 1:
            error = await user.until_type("error")
            assert error["error"]["code"] == POLICY_VIOLATION
            assert "already in progress" in error["error"]["message"]
            refused.append(error["error"]["event_id"])
        assert refused == [f"burst_{n}" for n in range(1, burst)]
        connection = upstream.connections[0]
        await user.send({"type": "input_audio_buffer.clear", "event_id": "sentinel"})
        await wait_received(connection, lambda e: e.event_id == "sentinel")
        assert len([e for e in connection.received if isinstance(e, ResponseCreate)]) == 1
        upstream.timing.first_delta_delay = 0.0
        await user.send({"type": "response.cancel"})
        await user.until_type("response.done")
        await user.send({"type": "response.create", "event_id": "after"})  # free again: forwarded
        await user.until_type("response.done")
        assert len([e for e in connection.received if isinstance(e, ResponseCreate)]) == 2


@pytest.mark.parametrize(
    ("name", "frame"),
    [
        ("unknown type", '{"type": "session.h1jack-ECHO-ME", "event_id": "e1"}'),
        ("invalid known-looking type", '{"type": "conversation.item.ECHO-ME"}'),
        (
            "4,000-digit audio_end_ms",
            '{"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0, '
            '"audio_end_ms": ' + "9" * 4000 + "}",
        ),
        (
            "huge negative index",
            '{"type": "conversation.item.truncate", "item_id": "item_1", "content_index": -'
            + "9" * 30
            + ', "audio_end_ms": 0}',
        ),
        ("NaN", '{"type": "conversation.item.truncate", "item_id": "item_1", "audio_end_ms": NaN}'),
        ("infinite float", '{"type": "session.update", "session": {"turn_detection": {"threshold": 1e999}}}'),
    ],
)
async def test_refusals_never_echo_and_absurd_numbers_never_pass(name: str, frame: str) -> None:
    async with running_relay() as (upstream, server), client(server) as hostile:
        await hostile.until_type("session.created")
        await hostile.send(frame)
        error = await hostile.until_type("error")
        assert error["error"]["code"] == POLICY_VIOLATION, name
        assert "ECHO-ME" not in json.dumps(error), name
        assert "9" * 20 not in json.dumps(error), name
        await hostile.send({"type": "input_audio_buffer.clear", "event_id": "sentinel"})
        connection = upstream.connections[0]
        await wait_received(connection, lambda e: e.event_id == "sentinel")
        assert not any(isinstance(e, ConversationItemTruncate) for e in connection.received), name
        assert "ECHO-ME" not in json.dumps([e.model_dump(mode="json") for e in connection.received])


# -- a hostile model server ------------------------------------------------------------------------


@asynccontextmanager
async def model_calling_without_call_id() -> AsyncIterator[str]:
    """A model server that answers every `response.create` with one function call whose call_id is
    empty (no output can ever be matched to it); yields its URL."""

    async def handler(websocket: ServerConnection) -> None:
        session = {"type": "realtime", "id": "sess_1", "model": "m"}
        await websocket.send(json.dumps({"type": "session.created", "session": session}))
        number = 0
        async for frame in websocket:
            kind = json.loads(frame).get("type")
            if kind == "session.update":
                await websocket.send(json.dumps({"type": "session.updated", "session": session}))
            if kind != "response.create":
                continue
            number += 1
            rid, item_id = f"resp_{number}", f"item_{number}"
            call = {"type": "function_call", "id": item_id, "call_id": "", "name": "lookup_order"}
            at = {"response_id": rid, "output_index": 0}
            for event in (
                {"type": "response.created", "response": {"id": rid, "status": "in_progress", "output": []}},
                {"type": "response.output_item.added", **at, "item": {**call, "arguments": ""}},
                {
                    "type": "response.function_call_arguments.done",
                    **at,
                    "item_id": item_id,
                    "call_id": "",
                    "arguments": '{"order_id": "A-1"}',
                },
                {"type": "response.output_item.done", **at, "item": {**call, "arguments": "{}"}},
                {"type": "response.done", "response": {"id": rid, "status": "completed", "output": []}},
            ):
                await websocket.send(json.dumps(event))

    async with serve(handler, "127.0.0.1", 0) as model:
        port = next(iter(model.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime"


async def test_a_model_call_without_a_call_id_is_reported_to_the_client() -> None:
    from .relay_helpers import make_agent

    async with model_calling_without_call_id() as url:
        relay = Relay(make_agent(), Endpoint.custom(url, api_key="model-key"))
        async with RelayServer(relay) as server, client(server) as user:
            await user.until_type("session.created")
            await user.say("Where is my order A-1?")
            with anyio.fail_after(10):
                error = await user.until_type("error")
            assert error["error"]["code"] == "tool_call_unanswerable"
            assert "lookup_order" not in json.dumps(error)
