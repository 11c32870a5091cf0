"""The seam for tools that run on a job queue instead of in the session: `@tool(queue=...)`.

A queued call is validated where the model asked for it, then handed to the queue, which runs it
in another process (a worker) and answers with its outcome. Because the job does not live in the
session's task group, it keeps running when the instance that queued it dies; the instance that
resumes the conversation asks the queue for that call's outcome (`recover`) instead of answering
it as interrupted. `agentkit.queue.ArqToolQueue` is the implementation on Redis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from agentkit.tools.outcome import ToolOutcome
    from agentkit.tools.tool import Tool


@runtime_checkable
class ToolQueue(Protocol):
    """Runs a tool's calls as jobs elsewhere; every method answers with exactly one outcome."""

    async def run(self, tool: Tool, call_id: str, arguments: str, limit: float | None) -> ToolOutcome:
        """Queue the call (at most once per `call_id`) and wait for its outcome, up to `limit`
        seconds (None: the queue's default). Never raises for a failure of the job or the queue."""
        ...

    async def recover(self, tool: Tool, call_id: str, arguments: str) -> ToolOutcome:
        """The outcome of a call queued by an instance that is gone: waits for a job still running
        (up to its timeout); never queues it again."""
        ...


def queued_tools(agents: Iterable[Any]) -> dict[str, Tool]:
    """The queued tools (by name) of these agents (`Agent`s) and every agent they can hand off to."""
    found: dict[str, Tool] = {}
    seen: set[int] = set()
    pending: list[Any] = list(agents)
    while pending:
        agent = pending.pop()
        if id(agent) in seen:
            continue
        seen.add(id(agent))
        for tool in agent.toolset.all_tools:
            if tool.queue is not None:
                found.setdefault(tool.name, tool)
        pending.extend(agent.handoffs)
    return found
