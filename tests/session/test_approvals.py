"""Approvals against the local server: a call waits for `approve` / `reject` / the agent's approver
(or its deadline), inside its batch, and is answered exactly once whatever the decision."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from agentkit import (
    Agent,
    ApprovalDecided,
    ApprovalError,
    ApprovalRequested,
    Decision,
    SessionClosed,
    ToolCallFinished,
    ToolContext,
    tool,
)
from agentkit.protocol import Dialect
from agentkit.testing import Call, Say, ScriptedModel
from tests.session.helpers import DIALECTS, call_ids, endpoint_for, kinds, local_server, next_of, outputs

pytestmark = pytest.mark.anyio

REFUNDED: list[float] = []


def _over_fifty(arguments: dict[str, Any], ctx: ToolContext[Any]) -> bool:
    return bool(arguments["amount"] > ctx.deps["limit"])


@tool(needs_approval=True)
def refund(order_id: str, amount: float) -> str:
    """Refund an order.

    Args:
        order_id: The order.
        amount: Euros to refund.
    """
    REFUNDED.append(amount)
    return f"refunded {amount:g} on {order_id}"


@tool(needs_approval=_over_fifty)
def small_refund(order_id: str, amount: float) -> str:
    """Refund an order; large amounts need a supervisor.

    Args:
        order_id: The order.
        amount: Euros to refund.
    """
    REFUNDED.append(amount)
    return f"refunded {amount:g} on {order_id}"


def _script(name: str = "refund", amount: float = 80) -> ScriptedModel:
    return ScriptedModel(
        [[Say("One moment."), Call(name, {"order_id": "A-1", "amount": amount})], [Say("Done.")]]
    )


@pytest.fixture(autouse=True)
def _fresh() -> None:
    REFUNDED.clear()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_an_approved_call_runs_and_its_batch_gets_one_follow_up(dialect: Dialect) -> None:
    async with local_server(_script()) as server:
        agent = Agent("shop", tools=[refund])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session, session.events() as events:
                await session.send_text("refund A-1")
                request = await next_of(events, ApprovalRequested)
                assert request.name == "refund"
                assert json.loads(request.arguments) == {"order_id": "A-1", "amount": 80}
                assert session.awaiting_approval == (request.call_id,)
                assert REFUNDED == [], "nothing runs before the decision"
                await session.approve(request.call_id)
                finished = await next_of(events, ToolCallFinished)
                turn = await session.ask("thanks")  # the first turn's follow-up comes first
        [conn] = server.connections
        [call_id] = call_ids(conn)
        assert (finished.call_id, finished.status) == (call_id, "ok")
        assert outputs(conn) == {call_id: "refunded 80 on A-1"}
        assert REFUNDED == [80]
        assert kinds(conn).count("create") == 3, "question, its one follow-up, the next question"
        assert turn.user_input == "thanks"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_rejected_call_never_runs_and_the_model_gets_the_reason(dialect: Dialect) -> None:
    async with local_server(_script()) as server:
        agent = Agent("shop", tools=[refund])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session, session.events() as events:
                await session.send_text("refund A-1")
                request = await next_of(events, ApprovalRequested)
                await session.reject(request.call_id, "refunds need a receipt")
                decided = await next_of(events, ApprovalDecided)
                finished = await next_of(events, ToolCallFinished)
                with pytest.raises(ApprovalError, match="already rejected"):
                    await session.approve(request.call_id)
                with pytest.raises(ApprovalError, match="no call nope is waiting"):
                    await session.reject("nope")
        [conn] = server.connections
        assert REFUNDED == []
        assert (decided.verdict, decided.reason) == ("rejected", "refunds need a receipt")
        assert finished.status == "rejected"
        [output] = outputs(conn).values()
        assert "refunds need a receipt" in output


async def test_the_agents_approver_decides_by_the_arguments() -> None:
    asked: list[str] = []

    async def supervisor(request: ApprovalRequested) -> Decision:
        asked.append(request.arguments)
        return Decision.reject("over the supervisor's limit")

    model = ScriptedModel(
        [
            [Call("small_refund", {"order_id": "A-1", "amount": 20})],
            [Say("Refunded 20.")],
            [Call("small_refund", {"order_id": "A-2", "amount": 500})],
            [Say("Not approved.")],
        ]
    )
    async with local_server(model) as server:
        agent = Agent("shop", tools=[small_refund], deps={"limit": 50}, approver=supervisor)
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                small = await session.ask("refund 20 on A-1")
                large = await session.ask("refund 500 on A-2")
        assert [json.loads(a)["amount"] for a in asked] == [500], "only the call over the limit is asked"
        assert REFUNDED == [20]
        assert [c.status for c in small.tool_calls] == ["ok"]
        [call] = large.tool_calls
        assert call.status == "rejected"
        assert "over the supervisor's limit" in call.output


async def test_an_approver_that_raises_rejects_the_call_once() -> None:
    async def broken(request: ApprovalRequested) -> bool:
        raise RuntimeError("approval service down")

    async with local_server(_script()) as server:
        agent = Agent("shop", tools=[refund], approver=broken)
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                turn = await session.ask("refund A-1")
        [call] = turn.tool_calls
        assert call.status == "rejected"
        assert "the approval check failed" in call.output
        assert "approval service down" not in call.output, "the model is not told internals"
        assert REFUNDED == []
        assert len(outputs(server.connections[0])) == 1


async def test_nobody_deciding_in_time_answers_the_call_as_not_approved() -> None:
    async with local_server(_script()) as server:
        agent = Agent("shop", tools=[refund], approval_timeout=0.05)
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                turn = await session.ask("refund A-1")
                assert session.awaiting_approval == ()
        [call] = turn.tool_calls
        assert call.status == "approval_timeout"
        assert REFUNDED == []
        assert kinds(server.connections[0]).count("create") == 2


async def test_closing_the_session_answers_a_waiting_call() -> None:
    async with local_server(_script()) as server:
        agent = Agent("shop", tools=[refund])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session, session.events() as events:
                await session.send_text("refund A-1")
                request = await next_of(events, ApprovalRequested)
            with pytest.raises(SessionClosed):
                await session.approve(request.call_id)
        assert REFUNDED == []
        [output] = outputs(server.connections[0]).values()
        assert "session closed" in output
