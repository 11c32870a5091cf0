"""No dead air against the local server: a slow tool gets an out-of-band filler (or its spoken
progress), the caller hears it, and the batch still gets exactly one follow-up afterwards."""

from __future__ import annotations

import anyio
import pytest

from agentkit import (
    Agent,
    ResponseFinished,
    ResponseStarted,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolContext,
    TurnDone,
    tool,
)
from agentkit.engine import AppEvent
from agentkit.protocol import Dialect, ResponseCreate
from agentkit.session import EventStream
from agentkit.testing import Call, KeywordModel, Say, ScriptedModel
from tests.session.helpers import DIALECTS, endpoint_for, local_server, next_of, of_type, outputs

pytestmark = pytest.mark.anyio


async def _out_of_band_text(events: EventStream[AppEvent]) -> str:
    """The text of the next out-of-band response (a filler)."""
    started = await next_of(events, ResponseStarted)
    while not started.out_of_band:
        started = await next_of(events, ResponseStarted)
    said: list[str] = []
    async for event in events:
        if isinstance(event, TextDelta) and event.response_id == started.response_id:
            said.append(event.delta)
        elif isinstance(event, ResponseFinished) and event.response_id == started.response_id:
            return "".join(said)
    raise AssertionError("the session ended during the filler")


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_slow_tool_gets_a_filler_and_then_its_one_follow_up(dialect: Dialect) -> None:
    release = anyio.Event()

    @tool
    async def track_shipment(order_id: str) -> str:
        """Track the shipment of an order with the carrier.

        Args:
            order_id: The order id, like A-1001.
        """
        await release.wait()  # the carrier is slow: done only once the filler was heard
        return f"{order_id} is in transit, arriving Tuesday"

    agent = Agent("shop", tools=[track_shipment], filler_after=0.0, output_modalities=["text"])
    async with local_server(KeywordModel()) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session, session.events() as events:
                await session.send_text("Where is the shipment of order A-1001?")
                filler = await _out_of_band_text(events)
                release.set()
                turn = (await next_of(events, TurnDone)).turn
        [conn] = server.connections
        creates = of_type(conn.received, ResponseCreate)
        assert [c.response.conversation if c.response else None for c in creates] == [None, "none", None]
        assert list(outputs(conn).values()) == ["A-1001 is in transit, arriving Tuesday"]
        assert filler == "One moment, I'm still working on that."
        assert filler not in turn.text, "the filler is not part of the conversation"
        assert "Tuesday" in turn.text


async def test_a_tool_can_have_its_progress_spoken() -> None:
    release = anyio.Event()

    @tool(filler=False)
    async def track_shipment(order_id: str, ctx: ToolContext) -> str:
        """Track the shipment of an order with the carrier.

        Args:
            order_id: The order id, like A-1001.
        """
        await ctx.progress("the carrier's system is slow today", speak=True, stage="carrier")
        await release.wait()
        return f"{order_id} is in transit"

    agent = Agent("shop", tools=[track_shipment], filler_after=0.0, output_modalities=["text"])
    async with local_server(KeywordModel()) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session, session.events() as events:
                await session.send_text("Where is the shipment of order A-1001?")
                said = await _out_of_band_text(events)
                release.set()
                await next_of(events, TurnDone)
        creates = of_type(server.connections[0].received, ResponseCreate)
        assert said == "The carrier's system is slow today."
        assert len(creates) == 3, "question, the spoken progress (no timed filler: filler=False), follow-up"


@pytest.mark.parametrize(("late", "creates"), [("speak", 3), ("silent", 2)])
async def test_a_result_after_the_user_moved_on_follows_the_tools_late_policy(
    late: str, creates: int
) -> None:
    release = anyio.Event()

    @tool(late=late)
    async def track_shipment(order_id: str) -> str:
        """Track the shipment of an order with the carrier.

        Args:
            order_id: The order id, like A-1001.
        """
        await release.wait()
        return f"{order_id} arrives on Tuesday"

    model = ScriptedModel(
        [[Call("track_shipment", {"order_id": "A-1001"})], [Say("Sure, what else?")], [Say("Tuesday.")]]
    )
    agent = Agent("shop", tools=[track_shipment], output_modalities=["text"])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session, session.events() as events:
                await session.send_text("Where is A-1001?")
                await next_of(events, ToolCallStarted)
                moved_on = await session.ask("Never mind, something else")  # overtakes the call's batch
                release.set()
                await next_of(events, ToolCallFinished)
                if late == "speak":
                    spoken = (await next_of(events, TurnDone)).turn
                    assert spoken.text == "Tuesday."
        [conn] = server.connections
        assert moved_on.text == "Sure, what else?"
        assert list(outputs(conn).values()) == ["A-1001 arrives on Tuesday"]
        assert len(of_type(conn.received, ResponseCreate)) == creates
