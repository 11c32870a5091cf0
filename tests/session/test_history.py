"""History against the local server: a session's exported history continues in a new session (after
a JSON round trip), with the agent that was speaking; bad histories are clear errors before connecting."""

from __future__ import annotations

import json

import anyio
import pytest

from agentkit import Agent, HistoryError, tool
from agentkit.connection import Endpoint
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    FunctionCallItem,
    FunctionCallOutputItem,
    MessageItem,
    ResponseCreate,
    SessionUpdate,
)
from agentkit.testing import Call, Say, ScriptedModel
from tests.session.helpers import DIALECTS, endpoint_for, local_server

pytestmark = pytest.mark.anyio


@tool
def lookup_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return f"{order_id}: delivered on Monday"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_saved_history_continues_in_a_new_session(dialect: Dialect) -> None:
    model = ScriptedModel(
        [
            [Call("lookup_order", {"order_id": "A-1"})],
            [Say("A-1 was delivered on Monday.")],
            [Say("You are welcome.")],
        ]
    )
    agent = Agent("shop", "Help.", tools=[lookup_order])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                await session.ask("Where is A-1?")
                saved = json.dumps(session.history())  # to a file, a database, another process
            async with agent.connect(endpoint_for(server, dialect), history=json.loads(saved)) as later:
                turn = await later.ask("thanks")
        _, second = server.connections
        document = json.loads(saved)
        assert (document["format"], document["version"], document["agent"]) == ("agentkit.history", 1, "shop")
        items = [e.item for e in second.received if isinstance(e, ConversationItemCreate)]
        kinds = [type(item).__name__ for item in items]
        assert kinds == [
            "MessageItem",
            "FunctionCallItem",
            "FunctionCallOutputItem",
            "MessageItem",
            "MessageItem",
        ]
        assert isinstance(items[0], MessageItem)
        assert items[0].text == "Where is A-1?"
        assert isinstance(items[1], FunctionCallItem)
        assert isinstance(items[2], FunctionCallOutputItem)
        assert items[2].output == "A-1: delivered on Monday"
        assert isinstance(items[3], MessageItem)
        assert items[3].text == "A-1 was delivered on Monday."
        first_create = next(i for i, e in enumerate(second.received) if isinstance(e, ResponseCreate))
        last_item = max(i for i, e in enumerate(second.received) if isinstance(e, ConversationItemCreate))
        assert last_item < first_create, "the history is in place before the first answer"
        assert turn.text == "You are welcome."
        assert later.history()["entries"][: len(document["entries"])] == document["entries"]


async def test_the_history_continues_with_the_agent_that_was_speaking() -> None:
    refunds = Agent("refunds", "You handle refunds.")
    triage = Agent("triage", "You are the front desk.", handoffs=[refunds])
    saved = {
        "format": "agentkit.history",
        "version": 1,
        "agent": "refunds",
        "entries": [
            {"role": "user", "text": "I want a refund"},
            {"role": "assistant", "text": "Refunds here."},
        ],
    }
    async with local_server(ScriptedModel([[Say("Which order?")]])) as server:
        with anyio.fail_after(10):
            async with triage.connect(endpoint_for(server, Dialect.GA), history=saved) as session:
                assert session.current_agent is refunds
                await session.ask("go on")
        [first_update] = [e for e in server.connections[0].received if isinstance(e, SessionUpdate)][:1]
        assert first_update.session.instructions == "You handle refunds."
        assert session.history()["agent"] == "refunds"


async def test_a_call_saved_while_it_ran_is_continued_as_interrupted_not_rerun() -> None:
    ran: list[str] = []

    @tool
    def charge_card(amount: float) -> str:
        """Charge the card.

        Args:
            amount: Euros.
        """
        ran.append("charged")
        return "charged"

    saved = [{"call_id": "call_1", "name": "charge_card", "arguments": '{"amount": 5}', "output": None}]
    async with local_server(ScriptedModel([[Say("Let me check.")]])) as server:
        with anyio.fail_after(10):
            async with Agent("shop", tools=[charge_card]).connect(
                endpoint_for(server, Dialect.GA), history=saved
            ) as session:
                await session.ask("did it go through?")
        outputs = [
            e.item.output
            for e in server.connections[0].received
            if isinstance(e, ConversationItemCreate) and isinstance(e.item, FunctionCallOutputItem)
        ]
        assert len(outputs) == 1
        assert "not run again" in outputs[0]
        assert ran == []


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"format": "chat-log", "version": 1, "entries": []}, "format is 'chat-log'"),
        ({"format": "agentkit.history", "version": 9, "entries": []}, "version 9 is not supported"),
        ({"format": "agentkit.history", "version": 1, "entries": "hello"}, "must be a list"),
        (
            [{"role": "user", "text": "hi"}, {"role": "robot", "text": "beep"}],
            "history entry 1: a message entry",
        ),
        ([{"call_id": "c1", "name": "x"}], "history entry 0: a call entry needs"),
        ([7], "history entry 0: a conversation entry must be an object"),
    ],
)
def test_a_history_that_does_not_parse_is_a_clear_error_before_connecting(
    history: object, message: str
) -> None:
    endpoint = Endpoint.custom("ws://127.0.0.1:9/never-dialled", api_key="unused")
    with pytest.raises(HistoryError, match=message):
        Agent("shop").connect(endpoint, history=history)
