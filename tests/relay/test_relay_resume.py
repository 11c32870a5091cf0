"""Resume: a client that lost its connection continues the same conversation, on this instance or
another sharing the state, under a new token; a call its instance never finished is answered once,
as interrupted, and not run again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.protocol import FunctionCallItem, FunctionCallOutputItem, MessageItem
from agentkit.relay import Relay, RelayServer, TicketSigner
from agentkit.relay.resume import INTERRUPTED_REASON, Conversations
from agentkit.state import SharedState
from agentkit.testing import LocalRealtimeServer, ServerConnection
from agentkit.tools import tool
from tests.redis_server import RedisServer

from .relay_helpers import NOTICES, SECRET_PROMPT, Client, make_agent, tracking_number

pytestmark = pytest.mark.anyio

SECRET = "a-ticket-secret-of-enough-bytes"


@asynccontextmanager
async def relays(states: list[SharedState], agent: Agent | None = None, **options: Any) -> AsyncIterator[Any]:
    async with AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(LocalRealtimeServer())
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        servers = []
        for state in states:
            relay = Relay(agent or make_agent(), endpoint, policy=NOTICES, state=state, **options)
            servers.append(await stack.enter_async_context(RelayServer(relay)))
        yield upstream, servers


@asynccontextmanager
async def conversation(server: RelayServer, query: str = "") -> AsyncIterator[tuple[Client, dict[str, Any]]]:
    """A client whose session is open, and the resume notice it was given."""
    async with connect(server.ws_url + query) as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        notice = await user.until_type("agentkit.resume")
        yield user, notice


def seen(connection: ServerConnection) -> list[tuple[str, str]]:
    """What the model has in its conversation on one upstream connection, as (kind, text)."""
    out = []
    for item in connection.conversation.items:
        if isinstance(item, MessageItem):
            out.append((item.role, item.text))
        elif isinstance(item, FunctionCallItem):
            out.append(("call", item.call_id))
        elif isinstance(item, FunctionCallOutputItem):
            out.append(("output", item.output))
    return out


async def test_a_conversation_resumes_on_another_instance_with_its_tool_outputs(
    redis_server: RedisServer,
) -> None:
    states = [SharedState.redis(redis_server.url), SharedState.redis(redis_server.url)]
    try:
        async with relays(states) as (upstream, (first, second)):
            async with conversation(first) as (user, notice):
                assert notice["resumed"] is False
                await user.say("Where is my order A-1001?")
                assert tracking_number("A-1001") in await user.answer()
            async with conversation(second, f"?resume={notice['token']}") as (user, resumed):
                assert resumed["resumed"] is True
                assert resumed["token"] != notice["token"]  # a new token for the new connection
                await user.say("And where is order B-2002?")
                assert tracking_number("B-2002") in await user.answer()
                history = seen(upstream.connections[-1])  # the model's context on the new connection
                assert history[0] == ("user", "Where is my order A-1001?")
                assert any(kind == "output" and tracking_number("A-1001") in text for kind, text in history)
            async with conversation(first, f"?resume={notice['token']}") as (_, again):
                assert again["resumed"] is False  # a token continues a conversation once
    finally:
        for state in states:
            await state.aclose()


async def test_a_used_token_does_not_let_a_client_past_authentication() -> None:
    signer = TicketSigner(SECRET)
    async with relays([SharedState.memory()], auth=signer.auth()) as (_, (server,)):
        async with conversation(server, f"?ticket={signer.issue('u')}") as (_, notice):
            pass
        async with conversation(server, f"?resume={notice['token']}") as (_, resumed):
            assert resumed["resumed"] is True  # the token proved the client: no ticket needed
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url + f"?resume={notice['token']}")
        assert refused.value.response.status_code == 401  # used up: the auth hook decides, and refuses


RUNS: list[str] = []


@tool
def refund(order_id: str) -> str:
    """Refund an order.

    Args:
        order_id: The order id.
    """
    RUNS.append(order_id)
    return "refunded"


async def test_a_call_its_instance_never_finished_is_answered_once_as_interrupted_and_not_rerun() -> None:
    RUNS.clear()
    state = SharedState.memory()
    agent = Agent("shop", SECRET_PROMPT, tools=[refund], reconnect=None)
    interrupted = {"call_id": "call_1", "name": "refund", "arguments": '{"order_id": "A-1"}', "output": None}
    snapshot = [{"role": "user", "text": "Refund order A-1"}, interrupted]
    conversations = Conversations(state.snapshots, agent.name, 60)
    await conversations.save("dead-instance-token", snapshot)
    async with relays([state], agent=agent) as (upstream, (server,)):
        async with conversation(server, "?resume=dead-instance-token") as (user, resumed):
            assert resumed["resumed"] is True
            answer = await user.answer()
            assert answer
        history = seen(upstream.connections[-1])
        outputs = [text for kind, text in history if kind == "output"]
        assert len(outputs) == 1
        assert INTERRUPTED_REASON in outputs[0]
        assert history.count(("call", "call_1")) == 1
        assert RUNS == []  # the refund is never run a second time


async def test_an_unreadable_snapshot_starts_a_new_conversation() -> None:
    state = SharedState.memory()
    await state.snapshots.save("token", b"not json", 60)
    await state.snapshots.save(
        "other-agent", json.dumps({"v": 1, "agent": "x", "conversation": []}).encode(), 60
    )
    async with relays([state]) as (_, (server,)):
        for token in ("token", "other-agent"):
            async with conversation(server, f"?resume={token}") as (_, resumed):
                assert resumed["resumed"] is False
