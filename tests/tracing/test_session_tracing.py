"""Tracing a real session end to end: the local server, `agent.connect(..., observer=...)`, and
the SDK's in-memory exporter."""

from __future__ import annotations

import json

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from agentkit import Agent, ToolError, tool
from agentkit.engine import AudioChunk, Reconnected, TurnDone
from agentkit.protocol import Dialect
from agentkit.session import ReconnectPolicy
from agentkit.testing import Call, Faults, Say, ScriptedModel, Timing
from tests.session.helpers import endpoint_for, local_server
from tests.tracing.conftest import Telemetry

pytestmark = pytest.mark.anyio

FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
async def test_a_turn_with_two_parallel_calls_one_failing(telemetry: Telemetry, dialect: Dialect) -> None:
    started: list[str] = []
    both_running = anyio.Event()
    tracer = telemetry.tracer_provider.get_tracer("shop-backend")

    @tool
    async def lookup_order(order_id: str) -> str:
        """Find an order.

        Args:
            order_id: The order number.
        """
        started.append(order_id)
        if len(started) == 2:
            both_running.set()
        await both_running.wait()  # both calls are running at once
        with tracer.start_as_current_span(f"db.query {order_id}"):
            pass
        if order_id == "B-2":
            raise ToolError("no such order")
        return f"order {order_id}: shipped"

    model = ScriptedModel(
        [
            [Call("lookup_order", {"order_id": "A-1"}), Call("lookup_order", {"order_id": "B-2"})],
            [Say("A-1 shipped; B-2 does not exist.")],
        ]
    )
    async with local_server(model) as server:
        agent = Agent("shop", tools=[lookup_order], output_modalities=["text"])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect), observer=telemetry.observer()) as session:
                turn = await session.ask("Where are A-1 and B-2?")
        api_key = server.api_key

    assert [c.status for c in sorted(turn.tool_calls, key=lambda c: c.arguments)] == ["ok", "tool_error"]
    turn_span = telemetry.span("invoke_agent shop")
    responses = [s for s in telemetry.spans() if s.name.startswith("chat")]
    tools = [s for s in telemetry.spans() if s.name == "execute_tool lookup_order"]
    assert len(responses) == 2
    assert len(tools) == 2
    assert {parent_of(s) for s in [*responses, *tools]} == {span_id(turn_span)}
    first, second = sorted(tools, key=lambda s: s.start_time or 0)
    assert (first.start_time or 0) < (second.end_time or 0)
    assert (second.start_time or 0) < (first.end_time or 0)

    by_order = {s.name.split()[-1]: s for s in telemetry.spans() if s.name.startswith("db.query")}
    tool_by_call = {(s.attributes or {})["gen_ai.tool.call.id"]: s for s in tools}
    for order, query in by_order.items():
        (call,) = [c for c in turn.tool_calls if order in c.arguments]
        assert parent_of(query) == span_id(tool_by_call[call.call_id]), "tool spans nest under execute_tool"
    failed = tool_by_call[next(c.call_id for c in turn.tool_calls if c.status == "tool_error")]
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "tool_error"

    attributes = turn_span.attributes or {}
    assert attributes["gen_ai.agent.name"] == "shop"
    assert attributes["gen_ai.provider.name"] == "local"
    assert attributes["gen_ai.conversation.id"] == session.id
    assert attributes["agentkit.turn.tool_calls"] == 2
    assert attributes["agentkit.turn.time_to_first_text_ms"] > 0
    connect = telemetry.span("connect shop")
    assert (connect.end_time or 0) > (connect.start_time or 0), "it covers the handshake (it was 0 ms)"
    assert [link.context.span_id for link in turn_span.links] == [span_id(connect)]
    assert {(s.attributes or {}).get("gen_ai.response.id") for s in responses} == set(turn.response_ids)

    dumped = " ".join(s.to_json() for s in telemetry.spans())
    assert api_key not in dumped
    assert "A-1" not in dumped.replace("db.query A-1", ""), "arguments are recorded only when opted in"
    assert "shipped" not in dumped


async def test_a_tool_timeout_is_an_error_span(telemetry: Telemetry) -> None:
    @tool
    async def stuck() -> str:
        """Never answers."""
        await anyio.sleep_forever()
        return "unreachable"

    model = ScriptedModel([[Call("stuck", {})], [Say("That took too long.")]])
    async with local_server(model) as server:
        agent = Agent("a", tools=[stuck], tool_timeout=0.2, output_modalities=["text"])
        with anyio.fail_after(10):
            async with agent.connect(
                endpoint_for(server, Dialect.GA), observer=telemetry.observer()
            ) as session:
                await session.ask("go")
    span = telemetry.span("execute_tool stuck")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "timeout"
    (point,) = telemetry.points("gen_ai.execute_tool.duration")
    assert point.attributes["error.type"] == "timeout"
    assert point.sum >= 0.2


async def test_arguments_and_results_are_recorded_when_opted_in(telemetry: Telemetry) -> None:
    @tool
    async def echo(text: str) -> str:
        """Echo.

        Args:
            text: What to echo.
        """
        return f"echo: {text}"

    model = ScriptedModel([[Call("echo", {"text": "hello"})], [Say("Done.")]])
    async with local_server(model) as server:
        agent = Agent("a", tools=[echo], output_modalities=["text"])
        observer = telemetry.observer(record_content=True)
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA), observer=observer) as session:
                await session.ask("go")
    attributes = telemetry.span("execute_tool echo").attributes or {}
    assert json.loads(str(attributes["gen_ai.tool.call.arguments"])) == {"text": "hello"}
    assert attributes["gen_ai.tool.call.result"] == "echo: hello"


async def test_an_interruption_is_recorded_on_the_turn(telemetry: Telemetry) -> None:
    model = ScriptedModel([[Say("A long story " * 20)]])
    async with local_server(model, timing=Timing(delta_delay=0.02, audio_chunk_ms=100)) as server:
        agent = Agent("a", output_modalities=["audio"])
        with anyio.fail_after(10):
            async with agent.connect(
                endpoint_for(server, Dialect.GA), observer=telemetry.observer()
            ) as session:
                events = session.events()
                await session.send_text("tell me")
                async for event in events:
                    if isinstance(event, AudioChunk):
                        break
                await session.interrupt(played_ms=40)
                async for event in events:
                    if isinstance(event, TurnDone):
                        break
    turn = telemetry.span("invoke_agent a")
    assert (turn.attributes or {})["agentkit.turn.interrupted"] is True
    assert (turn.attributes or {})["agentkit.turn.time_to_first_audio_ms"] > 0
    (event,) = [e for e in turn.events if e.name == "interrupted"]
    assert (event.attributes or {})["agentkit.played_ms"] == 40
    response = telemetry.span("chat gpt-realtime")
    assert (response.attributes or {})["agentkit.response.status"] == "cancelled"
    assert response.status.status_code is StatusCode.UNSET
    assert len(telemetry.points("agentkit.turn.time_to_first_audio")) == 1


async def test_a_dropped_connection_is_a_reconnect_span(telemetry: Telemetry) -> None:
    model = ScriptedModel([[Say("This answer is cut off somewhere in the middle.")], [Say("Back again.")]])
    faults = Faults(drop_after_events=4)
    agent = Agent("a", reconnect=FAST_RECONNECT, output_modalities=["text"])
    async with local_server(model, timing=Timing(delta_delay=0.001)) as server:
        with anyio.fail_after(10):
            async with agent.connect(
                endpoint_for(server, Dialect.GA), observer=telemetry.observer()
            ) as session:
                server.connections[0].faults = faults  # the drop hits the first connection only
                events = session.events()
                await session.ask("first question")
                async for event in events:
                    if isinstance(event, Reconnected):
                        break
                await session.ask("second question")
    reconnect = telemetry.span("reconnect a")
    names = [e.name for e in reconnect.events]
    assert names[0] == "connection_lost"
    assert names[-1] == "reconnected"
    assert "replayed" in names
    assert (reconnect.attributes or {})["agentkit.reconnect.outcome"] == "reconnected"
    (point,) = telemetry.points("agentkit.session.reconnects")
    assert point.value == 1
    turns = sorted(
        (s for s in telemetry.spans() if s.name == "invoke_agent a"),
        key=lambda s: (s.attributes or {})["agentkit.turn.number"],
    )
    assert len(turns) == 2
    assert all(s.end_time is not None for s in telemetry.spans())
