"""A typed message keeps the page's item id through the relay, so the page shows it once (issue 16:
the relay used to echo it as a new `item_...`, and the page added it a second time)."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.protocol import ConversationItemCreate, MessageItem

from .relay_helpers import client, running_relay, wait_received

pytestmark = pytest.mark.anyio


def user_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        event["item"]
        for event in events
        if event["type"] in ("conversation.item.added", "conversation.item.created")
        and event["item"].get("type") == "message"
        and event["item"].get("role") == "user"
    ]


async def test_the_echo_of_a_typed_message_carries_the_clients_item_id() -> None:
    async with running_relay() as (upstream, server), client(server) as page:
        item = {
            "type": "message",
            "role": "user",
            "id": "msg_page1",
            "content": [{"type": "input_text", "text": "Where is my order A-1001?"}],
        }
        await page.send({"type": "conversation.item.create", "item": item})
        await page.send({"type": "response.create"})
        assert "TRK-A-1001" in await page.answer()

        forwarded = await wait_received(
            upstream.connections[0],
            lambda e: isinstance(e, ConversationItemCreate) and isinstance(e.item, MessageItem),
        )
        assert isinstance(forwarded, ConversationItemCreate)
        assert forwarded.item.id == "msg_page1"
        echoed = user_messages(page.events)
        assert [message["id"] for message in echoed] == ["msg_page1"]


async def test_a_message_without_an_id_still_gets_one_from_the_server() -> None:
    async with running_relay() as (_, server), client(server) as page:
        await page.say("Where is my order A-1002?")
        await page.answer()
        [echoed] = user_messages(page.events)
        assert echoed["id"]
