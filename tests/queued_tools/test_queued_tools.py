"""Queued tools (`@tool(queue=ArqToolQueue(...))`) against a real redis-server and a real arq worker
(in this process): the result reaches the conversation; a failing job, a missing worker and a Redis
that is down each still answer the call exactly once, with a reason the model can say."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from agentkit import Agent, ToolError, tool
from agentkit.protocol import Dialect
from agentkit.queue import ArqToolQueue, build_worker
from agentkit.testing import Call, LocalRealtimeServer, Say, ScriptedModel
from agentkit.tools import Tool
from tests.redis_server import RedisServer, require_redis_server
from tests.session.helpers import endpoint_for, local_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_redis_server()
    directory = Path(tempfile.mkdtemp(prefix="akq"))
    server = RedisServer(directory)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@asynccontextmanager
async def worker_for(agent: Agent) -> AsyncIterator[None]:
    """An arq worker for the agent's queued tools, running in this test's event loop."""
    worker = build_worker(agent, handle_signals=False)
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.main)
        try:
            yield
        finally:
            tg.cancel_scope.cancel()
    with anyio.CancelScope(shield=True):
        await worker.close()


def refund_tool(queue: ArqToolQueue, runs: list[str], *, timeout: float | None = None) -> Tool:
    @tool(queue=queue, timeout=timeout)
    async def refund_order(order_id: str) -> str:
        """Refund an order.

        Args:
            order_id: The order id.
        """
        runs.append(order_id)
        if order_id == "BAD":
            raise RuntimeError("the payment provider refused")
        if order_id == "NOPE":
            raise ToolError("order NOPE was never paid")
        return f"refunded {order_id}"

    return refund_order


def model_for(order_id: str) -> ScriptedModel:
    return ScriptedModel([[Call("refund_order", {"order_id": order_id})], [Say("Done.")]])


async def refund(server: LocalRealtimeServer, agent: Agent) -> tuple[str, str]:
    """One turn that calls the tool: the call's status and the output the server was given."""
    with anyio.fail_after(20):
        async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
            turn = await session.ask("refund it")
    [call] = turn.tool_calls
    outputs = [
        item.output
        for item in server.connections[-1].conversation.items
        if getattr(item, "type", "") == "function_call_output"
    ]
    assert outputs == [call.output]  # exactly one output reached the model
    return call.status, call.output


async def test_a_queued_tool_runs_on_the_worker_and_its_result_reaches_the_conversation(
    redis_url: str,
) -> None:
    runs: list[str] = []
    agent = Agent("shop", tools=[refund_tool(ArqToolQueue(redis_url, poll_seconds=0.05), runs)])
    async with local_server(model_for("A-1")) as server, worker_for(agent):
        assert await refund(server, agent) == ("ok", "refunded A-1")
    assert runs == ["A-1"]


@pytest.mark.parametrize(
    ("order_id", "status", "text"),
    [
        ("BAD", "error", "tool refund_order failed: RuntimeError: the payment provider refused"),
        ("NOPE", "tool_error", "order NOPE was never paid"),
    ],
)
async def test_a_failing_job_answers_the_call_with_its_failure(
    redis_url: str, order_id: str, status: str, text: str
) -> None:
    runs: list[str] = []
    agent = Agent("shop", tools=[refund_tool(ArqToolQueue(redis_url, poll_seconds=0.05), runs)])
    async with local_server(model_for(order_id)) as server, worker_for(agent):
        assert await refund(server, agent) == (status, text)
    assert runs == [order_id]


async def test_without_a_worker_the_call_times_out_and_its_job_never_runs(redis_url: str) -> None:
    runs: list[str] = []
    queue = ArqToolQueue(redis_url, poll_seconds=0.05)
    agent = Agent("shop", tools=[refund_tool(queue, runs, timeout=0.5)])
    async with local_server(model_for("A-2")) as server:
        status, output = await refund(server, agent)
    assert (status, output) == ("timeout", "tool refund_order timed out after 0.5s (queued job)")
    late = build_worker(agent, handle_signals=False, burst=True)  # a worker that comes up later...
    with anyio.fail_after(10):
        await late.main()
    await late.close()
    assert runs == []  # ...does not run a call that was already answered
    assert late.jobs_complete == 0


async def test_a_redis_that_is_down_answers_the_call_with_a_clear_error(tmp_path: Path) -> None:
    runs: list[str] = []
    queue = ArqToolQueue(f"unix://{tmp_path}/no-redis.sock")
    agent = Agent("shop", tools=[refund_tool(queue, runs)])
    async with local_server(model_for("A-3")) as server:
        status, output = await refund(server, agent)
    assert status == "error"
    assert output == "tool refund_order could not be queued (the job queue is unavailable)"
    assert runs == []


async def test_no_redis_configured_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTKIT_REDIS_URL", raising=False)
    agent = Agent("shop", tools=[refund_tool(ArqToolQueue(), [])])
    async with local_server(model_for("A-4")) as server:
        status, output = await refund(server, agent)
    assert status == "error"
    assert "set AGENTKIT_REDIS_URL" in output


async def test_recover_answers_a_call_from_its_job_once_and_never_queues_it(redis_url: str) -> None:
    runs: list[str] = []
    queue = ArqToolQueue(redis_url, poll_seconds=0.05)
    refund_order = refund_tool(queue, runs)
    agent = Agent("shop", tools=[refund_order])
    async with worker_for(agent):
        first = await queue.run(refund_order, "call_1", '{"order_id": "A-5"}', 10)
        again = await queue.run(refund_order, "call_1", '{"order_id": "A-5"}', 10)  # the same call
        recovered = await queue.recover(refund_order, "call_1", '{"order_id": "A-5"}')
        other = await queue.recover(refund_order, "call_1", '{"order_id": "Z-9"}')  # not that job
        never = await queue.recover(refund_order, "call_2", '{"order_id": "A-6"}')
    assert first.output == again.output == recovered.output == "refunded A-5"
    assert runs == ["A-5"]  # one job per call id: run once
    for lost in (other, never):
        assert lost.status == "cancelled"
        assert "the job queue holds no result for it" in lost.output


def test_a_queue_must_be_a_job_queue() -> None:
    from agentkit.tools import ToolDefinitionError

    with pytest.raises(ToolDefinitionError, match="queue must be a job queue"):

        @tool(queue="redis://localhost")  # type: ignore[arg-type]
        def lookup(order_id: str) -> str:
            """Look up an order.

            Args:
                order_id: The order id.
            """
            return order_id


async def test_a_resumed_conversation_answers_each_queued_call_once_from_its_job(redis_url: str) -> None:
    from agentkit.relay.resume import Conversations
    from agentkit.state.memory import MemorySnapshotStore
    from agentkit.tools.queue import queued_tools

    runs: list[str] = []
    queue = ArqToolQueue(redis_url, poll_seconds=0.05)
    refund_order = refund_tool(queue, runs)
    agent = Agent("shop", tools=[refund_order])
    conversations = Conversations(MemorySnapshotStore(), "shop", 60, queued_tools([agent]))

    def call(call_id: str, order_id: str) -> dict[str, object]:
        arguments = f'{{"order_id": "{order_id}"}}'
        return {"call_id": call_id, "name": "refund_order", "arguments": arguments, "output": None}

    async with worker_for(agent):  # the dead instance queued two calls: one failed, one succeeded
        await queue.run(refund_order, "call_bad", '{"order_id": "BAD"}', 10)
        await queue.run(refund_order, "call_ok", '{"order_id": "A-7"}', 10)
    entries = [
        {"role": "user", "text": "refund BAD, A-7 and A-8"},
        call("call_bad", "BAD"),
        call("call_ok", "A-7"),
        call("call_lost", "A-8"),  # its job is gone (or it was never queued)
    ]
    await conversations.save("old-token", entries)
    keeper = await conversations.open("old-token")
    assert keeper.resumed
    assert keeper.waiting  # the queued calls wait for their jobs, not answered as interrupted
    assert keeper.interrupted == 0
    await keeper.collect()
    outputs = {entry["call_id"]: entry["output"] for entry in keeper.entries if "call_id" in entry}
    assert outputs["call_bad"] == "tool refund_order failed: RuntimeError: the payment provider refused"
    assert outputs["call_ok"] == "refunded A-7"
    assert "the job queue holds no result for it" in outputs["call_lost"]
    assert not keeper.waiting
    assert runs == ["BAD", "A-7"]  # nothing ran again


def test_the_worker_command_refuses_an_agent_without_queued_tools() -> None:
    import subprocess
    import sys

    from tests.terminal import offline_env

    app = Path(__file__).parents[1] / "scale" / "app.py"
    done = subprocess.run(
        [sys.executable, "-m", "agentkit", "worker", f"{app}:relay"],
        env={k: v for k, v in offline_env().items() if k != "AGENTKIT_REDIS_URL"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert (
        "agentkit worker: agent 'shop' has no queued tools (declare one with @tool(queue=...))" in done.stderr
    )
