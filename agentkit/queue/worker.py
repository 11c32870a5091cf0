"""The worker side of queued tools: an arq worker that runs an agent's queued tools.

Each queued tool is an arq function (`agentkit.tool:NAME`) tried at most once: a worker that dies
mid-job does not run it again (the call is answered as failed instead), so a tool never runs
twice. The job runs through `execute_tool`, so a worker answers exactly as a session would (the
tool's own timeout, its errors as text); the relay only relays that answer.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from typing import Any

from arq.worker import Function, Worker

from agentkit.agent import Agent
from agentkit.queue.arq_queue import ArqToolQueue, dump_json, function_name, load_json
from agentkit.tools.context import ToolContext
from agentkit.tools.execute import execute_tool
from agentkit.tools.queue import queued_tools
from agentkit.tools.tool import Tool

_SLACK = 5.0
"""Seconds arq waits past a tool's own timeout before it stops the job itself."""


def job_functions(tools: Iterable[Tool], longest: float) -> list[Function]:
    """One arq function per tool; each runs a call here, under the timeout its caller queued it
    with, and returns its outcome. `longest`: arq's own limit on any one job, a backstop."""
    functions = []
    for queued in tools:
        local = copy.copy(queued)
        local.queue = None  # in the worker, the tool runs here...
        local.timeout = None  # ...under the timeout the call was queued with

        async def run(
            ctx: dict[str, Any], call_id: str, arguments: str, timeout: float, tool: Tool = local
        ) -> dict[str, str]:
            context = ToolContext(call_id=call_id, tool_name=tool.name, deps=ctx.get("deps"))
            outcome = await execute_tool(
                tool,
                name=tool.name,
                call_id=call_id,
                arguments=arguments,
                context=context,
                default_timeout=timeout,
            )
            return {"status": outcome.status, "output": outcome.output}

        functions.append(Function(function_name(local.name), run, longest + _SLACK, None, False, 1))
    return functions


def build_worker(
    agent: Agent,
    *,
    queue: ArqToolQueue | None = None,
    max_jobs: int = 10,
    deps: Any = None,
    handle_signals: bool = True,
    keep_result: float = 3600,
    burst: bool = False,
) -> Worker:
    """An arq `Worker` for every queued tool of `agent` (and the agents it hands off to).

    `queue` (default: the first queued tool's) says which Redis and queue name; `deps` is given
    to tools as `ToolContext.deps`; `keep_result` is how long a result waits for a conversation that
    resumes (keep it at least the relay's `resume_seconds`); `burst`: stop once the queue is empty.
    ValueError when no tool is queued.
    """
    tools = queued_tools([agent])
    if not tools:
        raise ValueError(f"agent {agent.name!r} has no queued tools (declare one with @tool(queue=...))")
    if queue is None:
        first = next(iter(tools.values())).queue
        queue = first if isinstance(first, ArqToolQueue) else ArqToolQueue()
    limits = [t.timeout for t in tools.values() if t.timeout is not None and not math.isinf(t.timeout)]
    longest = max([queue.default_timeout, agent.tool_timeout or 0.0, *limits])
    return Worker(
        job_functions(tools.values(), longest),
        queue_name=queue.queue_name,
        redis_pool=queue.connect(),
        max_jobs=max_jobs,
        keep_result=keep_result,
        max_tries=1,
        allow_abort_jobs=True,
        handle_signals=handle_signals,
        burst=burst,
        job_serializer=dump_json,
        job_deserializer=load_json,
        ctx={"deps": deps if deps is not None else agent.deps},
        poll_delay=queue.poll_seconds,
    )
