"""Handoffs against the local server: a transfer answers its call, switches instructions and tools in
one session.update before the follow-up, keeps the conversation, and is visible as an event."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, HandedOff, HandoffError, ToolCallFinished, tool
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    FunctionCallOutputItem,
    ResponseCreate,
    SessionUpdate,
)
from agentkit.testing import Call, Say, ScriptedModel
from tests.session.helpers import DIALECTS, endpoint_for, local_server, next_of, of_type

pytestmark = pytest.mark.anyio

TRIAGE = "You are the shop's front desk. Send refund questions to refunds."
REFUNDS = "You handle refunds. Ask for the order id first."


@tool
def lookup_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return f"{order_id}: delivered"


@tool
def refund_order(order_id: str) -> str:
    """Refund an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return f"{order_id}: refunded"


def _agents() -> tuple[Agent, Agent]:
    refunds = Agent("refunds", REFUNDS, tools=[refund_order], handoff_description="refunds and returns")
    triage = Agent("triage", TRIAGE, tools=[lookup_order], handoffs=[refunds])
    refunds.handoffs.append(triage)  # they hand back and forth
    return triage, refunds


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_transfer_switches_agent_in_one_update_and_keeps_the_conversation(dialect: Dialect) -> None:
    triage, refunds = _agents()
    model = ScriptedModel(
        [
            [Call("transfer_to_refunds", {"reason": "wants a refund"})],
            [Say("Refunds here. Which order?")],
            [Call("refund_order", {"order_id": "A-1"})],
            [Say("Refunded.")],
        ]
    )
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with triage.connect(endpoint_for(server, dialect)) as session, session.events() as events:
                assert session.tools.names() == ["lookup_order", "transfer_to_refunds"]
                first = await session.ask("I want my money back")
                handed = await next_of(events, HandedOff)
                assert session.current_agent is refunds
                assert session.tools.names() == ["refund_order", "transfer_to_triage"]
                second = await session.ask("A-1 please")
        [conn] = server.connections
        assert (handed.from_agent, handed.to_agent, handed.reason) == ("triage", "refunds", "wants a refund")
        [transfer] = first.tool_calls
        assert transfer.status == "ok"
        assert "Transferred to refunds" in transfer.output
        assert first.text == "Refunds here. Which order?"
        assert [c.output for c in second.tool_calls] == ["A-1: refunded"]
        assert conn.session.instructions == REFUNDS
        received = conn.received
        updates = [i for i, e in enumerate(received) if isinstance(e, SessionUpdate)]
        switch = updates[-1]
        assert received[switch].session.instructions == REFUNDS
        tools = received[switch].session.tools or []
        assert [t["name"] for t in tools] == ["refund_order", "transfer_to_triage"]
        output = next(
            i
            for i, e in enumerate(received)
            if isinstance(e, ConversationItemCreate) and isinstance(e.item, FunctionCallOutputItem)
        )
        creates = [i for i, e in enumerate(received) if isinstance(e, ResponseCreate)]
        assert switch < output < creates[1], "the switch lands before the output and its one follow-up"
        assert len(of_type(received, ResponseCreate)) == 4


async def test_a_transfer_to_a_target_that_became_invalid_is_answered_once_with_the_error() -> None:
    triage, refunds = _agents()
    model = ScriptedModel([[Call("transfer_to_refunds", {"reason": "refund"})], [Say("Sorry.")]])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with (
                triage.connect(endpoint_for(server, Dialect.GA)) as session,
                session.events() as events,
            ):

                @tool(name="transfer_to_triage")
                def clash(reason: str) -> str:
                    """A tool that takes the transfer tool's name.

                    Args:
                        reason: Anything.
                    """
                    return reason

                refunds.toolset.add(clash)  # after the session started: only the handoff can notice
                await session.ask("refund please")
                finished = await next_of(events, ToolCallFinished)
        assert finished.status == "error"
        assert "HandoffError" in finished.output
        assert "transfer_to_triage" in finished.output
        assert session.current_agent is triage


def test_clashing_transfer_tools_are_refused_when_the_agent_is_built() -> None:
    refunds = Agent("refunds", REFUNDS)

    @tool
    def transfer_to_refunds(reason: str) -> str:
        """Pretend to transfer.

        Args:
            reason: Why.
        """
        return reason

    with pytest.raises(HandoffError, match="already has one"):
        Agent("triage", tools=[transfer_to_refunds], handoffs=[refunds])
    with pytest.raises(HandoffError, match="distinct names"):
        Agent("triage", handoffs=[refunds, Agent("Refunds!", REFUNDS)])
    with pytest.raises(HandoffError, match="must be an Agent"):
        Agent("triage", handoffs=["refunds"])  # type: ignore[list-item]


def test_a_target_that_would_change_the_voice_is_refused_at_connect() -> None:
    refunds = Agent("refunds", REFUNDS, voice="verse")
    triage = Agent("triage", TRIAGE, voice="alloy")
    triage.handoffs.append(refunds)
    with pytest.raises(HandoffError, match="voice='verse'"):
        triage.connect()
