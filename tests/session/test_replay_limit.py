"""`Agent(replay_limit=...)`: how much of the conversation a session keeps and replays."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent
from agentkit.engine import Reconnected
from agentkit.protocol import ConversationItemCreate, Dialect, MessageItem
from agentkit.testing import Say, ScriptedModel
from tests.session.helpers import FAST_RECONNECT, endpoint_for, local_server

pytestmark = pytest.mark.anyio


async def test_a_reconnect_replays_only_the_latest_entries() -> None:
    model = ScriptedModel([[Say("One.")], [Say("Two.")], [Say("Three.")]])
    agent = Agent("a", reconnect=FAST_RECONNECT, replay_limit=3)
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                for question in ("1", "2"):
                    await session.ask(question)
                await server.connections[0].expire()
                async for event in events:
                    if isinstance(event, Reconnected):
                        break
                turn = await session.ask("3")
        assert event.replayed_items == 3
        replayed = [
            (e.item.role, e.item.text)
            for e in server.connections[1].received
            if isinstance(e, ConversationItemCreate) and isinstance(e.item, MessageItem)
        ]
        assert replayed[:3] == [("assistant", "One."), ("user", "2"), ("assistant", "Two.")]
        assert turn.text == "Three."


def test_replay_limit_must_keep_something() -> None:
    with pytest.raises(ValueError, match="replay_limit must be at least 1"):
        Agent("a", replay_limit=0)
    assert Agent("a").replay_limit == 200
