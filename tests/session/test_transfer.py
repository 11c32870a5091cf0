"""Transfer to a person against the local server: the application's callback gets a structured
summary, the caller hears the handover line, and a failing callback is answered once."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.protocol import Dialect
from agentkit.testing import KeywordModel
from agentkit.transfer import (
    HANDOVER_LINE,
    HandoverSummary,
    TransferOutcome,
    TransferredToPerson,
    human_transfer,
)
from tests.session.helpers import DIALECTS, endpoint_for, local_server, next_of

pytestmark = pytest.mark.anyio


@tool
def track_shipment(order_id: str) -> str:
    """Track the shipment of an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return f"{order_id} is in transit"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_asking_for_a_person_transfers_with_a_summary_and_a_handover_line(dialect: Dialect) -> None:
    queued: list[HandoverSummary] = []

    async def to_queue(summary: HandoverSummary) -> bool:
        queued.append(summary)
        return True

    agent = Agent("shop", tools=[track_shipment, human_transfer(to_queue)], output_modalities=["text"])
    async with local_server(KeywordModel()) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session, session.events() as events:
                await session.ask("Where is the shipment of order A-1001?")
                turn = await session.ask("This is taking too long, let me talk to a person")
                event = await next_of(events, TransferredToPerson)
        [summary] = queued
        assert [c.name for c in turn.tool_calls] == ["transfer_to_human"]
        assert turn.text == HANDOVER_LINE
        assert event.accepted
        assert event.summary is summary
        assert (summary.agent, summary.session_id) == ("shop", session.id)
        assert summary.reason
        assert summary.recent[0] == {"role": "user", "text": "Where is the shipment of order A-1001?"}
        assert summary.recent[-1]["role"] == "user"
        assert summary.actions == [
            {
                "name": "track_shipment",
                "arguments": '{"order_id": "A-1001"}',
                "output": "A-1001 is in transit",
            }
        ]
        assert "shop" in summary.text()
        assert summary.as_dict()["recent"] == summary.recent


async def test_nobody_available_or_a_failing_transfer_is_said_and_answered_once() -> None:
    async def closed(summary: HandoverSummary) -> TransferOutcome:
        return TransferOutcome(accepted=False, say="The team is closed until 9 tomorrow.")

    async def broken(summary: HandoverSummary) -> bool:
        raise ConnectionError("queue unreachable")

    for transfer, expected, status in (
        (closed, "The team is closed until 9 tomorrow.", "ok"),
        (broken, "nobody from the team can take your call", "tool_error"),
    ):
        agent = Agent("shop", tools=[human_transfer(transfer)], output_modalities=["text"])
        async with local_server(KeywordModel()) as server:
            with anyio.fail_after(10):
                async with (
                    agent.connect(endpoint_for(server, Dialect.GA)) as session,
                    session.events() as events,
                ):
                    turn = await session.ask("let me talk to a person")
                    event = await next_of(events, TransferredToPerson)
        [call] = turn.tool_calls
        assert call.status == status
        assert expected in call.output
        assert "unreachable" not in call.output
        assert not event.accepted
