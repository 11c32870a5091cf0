"""Tool rounds against the local server, in both dialects: outputs, follow-ups, failures."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, ToolContext, ToolError, tool
from agentkit.engine import CREATE_TAG, ToolCallFinished, TurnDone
from agentkit.protocol import Dialect, ResponseCreate, ResponseCreated
from agentkit.session import ToolProgress
from agentkit.testing import Call, Say, ScriptedModel
from tests.session.helpers import DIALECTS, call_ids, endpoint_for, kinds, local_server, outputs

pytestmark = pytest.mark.anyio


@tool
async def lookup_order(order_id: str) -> dict[str, str]:
    """Find an order.

    Args:
        order_id: The order number.
    """
    return {"order_id": order_id, "status": "shipped"}


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_tool_round_posts_the_output_then_one_follow_up(dialect: Dialect) -> None:
    model = ScriptedModel(
        [[Say("Let me check."), Call("lookup_order", {"order_id": "A-10"})], [Say("It shipped.")]]
    )
    async with local_server(model) as server:
        agent = Agent("shop", "Help.", tools=[lookup_order])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                turn = await session.ask("Where is A-10?")
        [conn] = server.connections
        [call_id] = call_ids(conn)
        assert outputs(conn) == {call_id: '{"order_id":"A-10","status":"shipped"}'}
        labels = kinds(conn)
        assert labels.count("create") == 2, labels
        assert labels.index(f"output:{call_id}") < len(labels) - 1 - labels[::-1].index("create")
        assert turn.text == "Let me check.\nIt shipped."
        assert turn.user_input == "Where is A-10?"
        assert [(c.name, c.status) for c in turn.tool_calls] == [("lookup_order", "ok")]
        assert len(turn.response_ids) == 2


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_two_parallel_calls_get_both_outputs_before_one_response_create(dialect: Dialect) -> None:
    started: list[str] = []
    release = anyio.Event()

    @tool
    async def slow_lookup(order_id: str) -> str:
        started.append(order_id)
        if len(started) == 2:
            release.set()
        await release.wait()  # both must be running at once for either to finish
        return f"order {order_id}: shipped"

    model = ScriptedModel(
        [
            [Call("slow_lookup", {"order_id": "A"}), Call("slow_lookup", {"order_id": "B"})],
            [Say("Both shipped.")],
        ]
    )
    async with local_server(model) as server:
        agent = Agent("shop", tools=[slow_lookup])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                turn = await session.ask("A and B?")
        [conn] = server.connections
        first_call, second_call = call_ids(conn)
        assert outputs(conn) == {first_call: "order A: shipped", second_call: "order B: shipped"}
        labels = kinds(conn)
        follow_ups = [i for i, label in enumerate(labels) if label == "create"][1:]
        assert len(follow_ups) == 1, labels
        assert labels.index(f"output:{first_call}") < follow_ups[0]
        assert labels.index(f"output:{second_call}") < follow_ups[0]
        assert turn.text == "Both shipped."
        assert sorted(c.output for c in turn.tool_calls) == ["order A: shipped", "order B: shipped"]


@tool
async def refund(order_id: str) -> str:
    """Refund an order."""
    raise ToolError(f"order {order_id} was never paid")


@tool
async def explode() -> str:
    """Always breaks."""
    raise RuntimeError("database is down")


@tool(timeout=0.05)
async def sleepy() -> str:
    """Never answers in time."""
    await anyio.sleep(30)
    return "late"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("call", "status", "expected"),
    [
        (Call("refund", {"order_id": "A-1"}), "tool_error", "order A-1 was never paid"),
        (Call("explode", {}), "error", "tool explode failed: RuntimeError: database is down"),
        (
            Call("missing_tool", {}),
            "unknown_tool",
            "unknown tool missing_tool; available: explode, refund, sleepy",
        ),
        (Call("refund", '{"order_id": '), "invalid_arguments", "invalid arguments for tool refund"),
        (Call("refund", {"order": 5}), "invalid_arguments", "order_id"),
        (Call("sleepy", {}), "timeout", "tool sleepy timed out after 0.05s"),
    ],
    ids=["tool_error", "exception", "unknown_tool", "invalid_json", "invalid_args", "timeout"],
)
async def test_every_failure_still_answers_the_call_and_the_turn_goes_on(
    dialect: Dialect, call: Call, status: str, expected: str
) -> None:
    model = ScriptedModel([[call], [Say("Sorry about that.")]])
    async with local_server(model) as server:
        agent = Agent("shop", tools=[refund, explode, sleepy])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                turn = await session.ask("please")
        [conn] = server.connections
        [call_id] = call_ids(conn)
        output = outputs(conn)[call_id]
        assert expected in output
        [record] = turn.tool_calls
        assert (record.status, record.output) == (status, output)
        assert kinds(conn).count("create") == 2
        assert turn.text == "Sorry about that."


async def test_tools_see_deps_session_and_report_progress() -> None:
    seen: list[object] = []

    @tool
    async def whoami(ctx: ToolContext[dict[str, str]]) -> str:
        seen.append(ctx.session)
        await ctx.report_progress("looking", step=1)
        return ctx.deps["user"]

    model = ScriptedModel([[Call("whoami", {})], [Say("Done.")]])
    async with local_server(model) as server:
        agent = Agent("shop", tools=[whoami], deps={"user": "agent-default"})
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA), deps={"user": "alice"}) as session:
                events = session.events()
                await session.ask("who?")
                seen_events = []
                async with events:
                    async for event in events:
                        seen_events.append(event)
                        if isinstance(event, TurnDone):
                            break
        assert seen == [session]
        assert list(outputs(server.connections[0]).values()) == ["alice"]
        [progress] = [e for e in seen_events if isinstance(e, ToolProgress)]
        assert (progress.name, progress.message, progress.data) == ("whoami", "looking", {"step": 1})
        finished = [e for e in seen_events if isinstance(e, ToolCallFinished)]
        assert [e.output for e in finished] == ["alice"]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_the_server_echoes_the_tag_of_each_create_in_its_response(dialect: Dialect) -> None:
    """The local server, like the service, hands `response.metadata` back: the engine relies on it
    to tell its own responses from those server VAD starts."""
    model = ScriptedModel([[Call("lookup_order", {"order_id": "A-10"})], [Say("It shipped.")]])
    async with local_server(model) as server:
        agent = Agent("shop", "Help.", tools=[lookup_order])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                await session.ask("Where is A-10?")
        [conn] = server.connections
        sent_tags = [
            (c.response.metadata or {}).get(CREATE_TAG)
            for c in conn.received
            if isinstance(c, ResponseCreate) and c.response
        ]
        echoed = [
            (e.response.metadata or {}).get(CREATE_TAG) for e in conn.sent if isinstance(e, ResponseCreated)
        ]
        assert len(sent_tags) == 2
        assert None not in sent_tags
        assert echoed == sent_tags
