"""Changing tools and instructions while a session runs: what the model is told, what runs, and
what a reconnect re-sends."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.engine import Reconnected
from agentkit.protocol import Dialect, SessionUpdate
from agentkit.testing import Call, Say, ScriptedModel
from tests.session.helpers import DIALECTS, FAST_RECONNECT, endpoint_for, local_server, of_type, outputs

pytestmark = pytest.mark.anyio


@tool
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"sunny in {city}"


@tool
def get_time(city: str) -> str:
    """The local time in a city."""
    return f"noon in {city}"


def tool_names(update: SessionUpdate) -> list[str] | None:
    tools = update.session.tools
    return None if tools is None else [definition["name"] for definition in tools]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_swapping_tools_mid_session_updates_the_model_and_what_runs(dialect: Dialect) -> None:
    model = ScriptedModel(
        [
            [Call("get_time", {"city": "Oslo"})],
            [Say("It is noon.")],
            [Call("get_weather", {"city": "Oslo"})],
            [Say("I cannot check the weather now.")],
        ]
    )
    async with local_server(model) as server:
        agent = Agent("a", tools=[get_weather])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                await session.update_tools([get_time])
                first = await session.ask("What time is it in Oslo?")
                session.tools.add(get_weather)
                session.tools.disable("get_weather")
                await session.update_tools()
                second = await session.ask("And the weather?")
        [conn] = server.connections
        updates = [tool_names(u) for u in of_type(conn.received, SessionUpdate)]
        assert updates == [["get_weather"], ["get_time"], ["get_time"]]
        assert [(c.name, c.status) for c in first.tool_calls] == [("get_time", "ok")]
        assert [(c.name, c.status) for c in second.tool_calls] == [("get_weather", "unknown_tool")]
        assert sorted(outputs(conn).values()) == [
            "noon in Oslo",
            "unknown tool get_weather; available: get_time",
        ]
        assert agent.toolset.names() == ["get_weather"], "the agent's own toolset is left alone"


async def test_a_reconnect_resends_the_current_tools_and_instructions() -> None:
    model = ScriptedModel([[Say("Hi.")], [Say("Again.")]])
    agent = Agent("a", instructions="Old rules.", tools=[get_weather], reconnect=FAST_RECONNECT)
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                await session.update_tools([get_time])
                await session.update_instructions("New rules.")
                await session.ask("Hello.")
                await server.connections[0].expire()
                async with events:
                    async for event in events:
                        if isinstance(event, Reconnected):
                            break
                await session.ask("Still there?")
        resent = of_type(server.connections[1].received, SessionUpdate)[0]
        assert resent.session.instructions == "New rules."
        assert tool_names(resent) == ["get_time"]
