"""Tools under stress: 1,000 calls across 100 concurrent sessions, with random latencies, exceptions
and timeouts. Every call is answered exactly once, and no session runs more tools at once than its
`max_concurrent_tools`."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
import pytest

from agentkit import Agent, Endpoint, ToolContext, tool
from agentkit.engine import Turn
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    FunctionCallOutputItem,
    MessageItem,
    ResponseCreate,
    ResponseFunctionCallArgumentsDone,
)
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say
from tests.reliability.leaks import no_leaks

pytestmark = pytest.mark.anyio

SESSIONS = 100
CALLS_PER_TURN = 10
CAPACITY = 3


def behaviour(n: int) -> str:
    """What call number n does, decided up front so the expected statuses are known."""
    return {3: "raise", 7: "hang"}.get(n % 10, "ok")


class Model:
    def respond(self, context: ModelContext) -> Sequence[Say | Call]:
        last = context.items[-1] if context.items else None
        if isinstance(last, MessageItem) and last.role == "user":
            base = int(last.text.split()[-1]) * CALLS_PER_TURN
            return [Call("work", {"n": base + i}) for i in range(CALLS_PER_TURN)]
        return [Say("All answered.")]


@dataclass
class Load:
    running: int = 0
    peak: int = 0
    runs: Counter[int] = field(default_factory=Counter)


@tool
async def work(ctx: ToolContext[Load], n: int) -> str:
    """Do piece n.

    Args:
        n: The piece.
    """
    load = ctx.deps
    load.runs[n] += 1
    load.running += 1
    load.peak = max(load.peak, load.running)
    try:
        await anyio.sleep(random.uniform(0.0, 0.03))
        if behaviour(n) == "raise":
            raise RuntimeError(f"piece {n} broke")
        if behaviour(n) == "hang":
            await anyio.sleep(30)
        return f"piece {n} done"
    finally:
        load.running -= 1


async def one_session(endpoint: Endpoint, index: int, loads: list[Load], turns: list[Turn]) -> None:
    agent = Agent("stress", tools=[work], max_concurrent_tools=CAPACITY, tool_timeout=0.2)
    load = Load()
    loads.append(load)
    async with agent.connect(endpoint, deps=load) as session:
        turns.append(await session.ask(f"piece set {index}", timeout=60))


@pytest.mark.timeout(120)
async def test_a_thousand_calls_across_a_hundred_sessions_are_each_answered_once() -> None:
    loads: list[Load] = []
    turns: list[Turn] = []
    async with no_leaks(), LocalRealtimeServer(model=Model()) as server:
        endpoint = Endpoint.custom(server.url(), dialect=Dialect.GA, api_key=server.api_key)
        with anyio.fail_after(90):
            async with anyio.create_task_group() as tg:
                for index in range(SESSIONS):
                    tg.start_soon(one_session, endpoint, index, loads, turns)
        connections = list(server.connections)

    assert len(turns) == SESSIONS
    statuses = Counter(call.status for turn in turns for call in turn.tool_calls)
    assert sum(statuses.values()) == SESSIONS * CALLS_PER_TURN
    assert statuses == {
        "ok": SESSIONS * 8,
        "error": SESSIONS,
        "timeout": SESSIONS,
    }, statuses
    assert all(turn.text.endswith("All answered.") for turn in turns)
    assert max(load.peak for load in loads) <= CAPACITY
    assert max(load.peak for load in loads) == CAPACITY  # the limit was reached, so it was tested
    assert all(count == 1 for load in loads for count in load.runs.values())
    for connection in connections:
        issued = [e.call_id for e in connection.sent if isinstance(e, ResponseFunctionCallArgumentsDone)]
        answered = [
            e.item.call_id
            for e in connection.received
            if isinstance(e, ConversationItemCreate) and isinstance(e.item, FunctionCallOutputItem)
        ]
        assert sorted(answered) == sorted(issued)
        assert sum(isinstance(e, ResponseCreate) for e in connection.received) == 2  # one follow-up
