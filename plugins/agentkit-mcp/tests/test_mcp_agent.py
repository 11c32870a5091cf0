"""End to end: an agent on agentkit's local Realtime server calls tools of a real MCP server."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from agentkit_mcp import MCPServers, ToolsChanged
from mcp_test_support import EventLog, stdio_config

from agentkit import Agent, tool
from agentkit.connection import Endpoint
from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem, SessionUpdate
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say, ScriptedModel
from agentkit.tracing import TracingObserver


@tool
def shout(word: str) -> str:
    """A local tool next to the MCP ones."""
    return word.upper()


def outputs(server: LocalRealtimeServer) -> list[str]:
    [connection] = server.connections
    return [
        event.item.output
        for event in connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem)
    ]


@pytest.mark.anyio
async def test_an_agent_calls_an_mcp_tool_and_gets_new_tools_mid_session() -> None:
    offered: list[list[str]] = []

    def call_the_new_tool(context: ModelContext) -> list[Any]:
        offered.append([definition["name"] for definition in context.tools])
        return [Call("calc_late", {"word": "hi"})]

    model = ScriptedModel(
        [
            [Call("calc_add", {"a": 2, "b": 3})],
            [Say("It is 5.")],
            [Call("calc_grow", {})],
            [Say("Grown.")],
            call_the_new_tool,
            [Say("HI it is.")],
        ]
    )
    log = EventLog()
    with anyio.fail_after(60):
        async with (
            MCPServers([stdio_config("calc", allow=["add", "grow", "late"])]) as servers,
            LocalRealtimeServer(model=model) as server,
        ):
            agent = Agent("calc", "Compute.", tools=[shout, servers.toolset()])
            endpoint = Endpoint.custom(server.url(), api_key=server.api_key)
            async with agent.connect(endpoint) as session:
                servers.attach(session)
                servers.subscribe(log)
                first = await session.ask("What is 2 + 3?")
                assert first.text == "It is 5."
                assert [(c.name, c.status, c.output) for c in first.tool_calls] == [("calc_add", "ok", "5")]

                await session.ask("Grow.")
                await log.next(ToolsChanged)
                assert sorted(session.tools.names()) == ["calc_add", "calc_grow", "calc_late", "shout"]
                third = await session.ask("Use it.")
                assert third.text == "HI it is."
            assert outputs(server) == ["5", "grown", "HI"]
            [connection] = server.connections
            updates = [event for event in connection.received if isinstance(event, SessionUpdate)]
            assert any("calc_late" in str(update.session.tools) for update in updates[1:])
    assert "calc_late" in offered[0]
    assert "shout" in offered[0]


@pytest.mark.anyio
async def test_tool_call_spans_name_the_mcp_server() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    model = ScriptedModel([[Call("calc_add", {"a": 2, "b": 3}), Call("shout", {"word": "hi"})], [Say("5")]])
    with anyio.fail_after(60):
        async with (
            MCPServers([stdio_config("calc", allow=["add"])]) as servers,
            LocalRealtimeServer(model=model) as server,
        ):
            agent = Agent("calc", "Compute.", tools=[shout, servers.toolset()])
            endpoint = Endpoint.custom(server.url(), api_key=server.api_key)
            observer = TracingObserver(tracer_provider=provider)
            async with agent.connect(endpoint, observer=observer) as session:
                assert (await session.ask("What is 2 + 3?")).text == "5"
    spans = {span.name: dict(span.attributes or {}) for span in exporter.get_finished_spans()}
    assert spans["execute_tool calc_add"]["mcp.server"] == "calc"
    assert spans["execute_tool calc_add"]["mcp.tool"] == "add"
    assert "mcp.server" not in spans["execute_tool shout"]
