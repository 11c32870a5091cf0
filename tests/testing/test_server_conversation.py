"""Conversation state: create (with previous_item_id and "root"), retrieve, delete, truncate."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.protocol import Dialect
from agentkit.testing import LocalRealtimeServer, Say, ScriptedModel
from tests.testing.wire import BOTH, WireClient, open_client

pytestmark = pytest.mark.anyio


def _user(text: str, item_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }
    if item_id:
        item["id"] = item_id
    return item


async def _create(client: WireClient, item: dict[str, Any], previous: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "conversation.item.create", "event_id": "evt_create", "item": item}
    if previous is not None:
        frame["previous_item_id"] = previous
    await client.send(frame)
    added = await client.recv()
    if added["type"] != "error" and client.dialect is Dialect.GA:
        await client.expect("conversation.item.done")
    return added


@pytest.mark.parametrize("dialect", BOTH)
async def test_items_keep_their_order(dialect: Dialect) -> None:
    async with LocalRealtimeServer() as server, open_client(server, dialect) as client:
        first = await _create(client, _user("first", "item_first"))
        assert first["item"]["id"] == "item_first"
        assert first["item"]["object"] == "realtime.item"
        assert first.get("previous_item_id") is None
        second = await _create(client, _user("second"))
        assert second.get("previous_item_id") == "item_first"
        zeroth = await _create(client, _user("zeroth"), previous="root")
        assert zeroth.get("previous_item_id") is None
        middle = await _create(client, _user("middle"), previous="item_first")
        assert middle.get("previous_item_id") == "item_first"
        texts = [item.text for item in server.connections[0].conversation.items]  # type: ignore[union-attr]
        assert texts == ["zeroth", "first", "middle", "second"]

        await client.send({"type": "conversation.item.retrieve", "item_id": "item_first"})
        retrieved = await client.expect("conversation.item.retrieved")
        assert retrieved["item"]["content"][0]["text"] == "first"
        await client.send({"type": "conversation.item.delete", "item_id": "item_first"})
        assert (await client.expect("conversation.item.deleted"))["item_id"] == "item_first"

        await client.send(
            {"type": "conversation.item.delete", "event_id": "evt_del", "item_id": "item_first"}
        )
        error = (await client.expect("error"))["error"]
        assert (error["code"], error["event_id"]) == ("item_not_found", "evt_del")
        dangling = await _create(client, _user("x"), previous="item_missing")
        assert dangling["error"]["param"] == "previous_item_id"
        duplicate = await _create(client, _user("again", "item_first_dup"))
        assert duplicate["type"] != "error"
        clash = await _create(client, _user("again", "item_first_dup"))
        assert clash["error"]["code"] == "item_id_already_exists"


async def test_state_is_per_connection() -> None:
    async with LocalRealtimeServer() as server:
        async with open_client(server) as one, open_client(server) as two:
            await _create(one, _user("only here", "item_private"))
            await two.send({"type": "conversation.item.retrieve", "item_id": "item_private"})
            assert (await two.expect("error"))["error"]["code"] == "item_not_found"
            await one.session_update({"instructions": "one"})
        assert server.connections[1].session.instructions != "one"


@pytest.mark.parametrize("dialect", BOTH)
async def test_truncate_an_assistant_audio_message(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("This sentence is long enough to take over a second to say.")]])
    async with LocalRealtimeServer(model=model) as server, open_client(server, dialect) as client:
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        item_id = frames[-1]["response"]["output"][0]["id"]
        truncate = {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0}
        await client.send({**truncate, "event_id": "evt_long", "audio_end_ms": 10**7})
        error = (await client.until("error"))[-1]["error"]
        assert (error["param"], error["event_id"]) == ("audio_end_ms", "evt_long")
        await client.send({**truncate, "audio_end_ms": 500})
        truncated = await client.expect("conversation.item.truncated")
        assert (truncated["item_id"], truncated["audio_end_ms"]) == (item_id, 500)
        await client.send({"type": "conversation.item.retrieve", "item_id": item_id})
        retrieved = await client.expect("conversation.item.retrieved")
        assert retrieved["item"]["content"][0]["transcript"] == ""
        user = await _create(client, _user("hi"))
        await client.send({**truncate, "item_id": user["item"]["id"], "audio_end_ms": 0})
        assert (await client.expect("error"))["error"]["param"] == "item_id"
