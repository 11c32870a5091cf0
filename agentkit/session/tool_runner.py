"""Runs the engine's `StartCall`s as child tasks and reports each run's end exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

from agentkit.engine import StartCall, ToolCallStarted
from agentkit.observer import SessionObserver
from agentkit.tools import ToolContext, ToolOutcome, Toolset, execute_tool

Precheck = Callable[[StartCall, Toolset, ToolContext[Any]], "ToolOutcome | None"]


class ToolRunner:
    """One task per call in the session's task group, at most `limiter` of them running tools at once.

    `on_finished` gets every run's outcome, exactly once: the tool's own, or `ToolOutcome.cancelled`
    when the run was cancelled (by `cancel` or by the session ending).
    """

    def __init__(
        self,
        task_group: TaskGroup,
        *,
        tools: Callable[[], Toolset],
        limiter: anyio.CapacityLimiter,
        default_timeout: float | None,
        observer: SessionObserver,
        context: Callable[[str, str], ToolContext[Any]],
        on_finished: Callable[[ToolOutcome], None],
        precheck: Precheck | None = None,
    ) -> None:
        """`precheck`: may answer a call before it runs (a guardrail blocking it); None lets it run."""
        self._tg = task_group
        self._tools = tools
        self._limiter = limiter
        self._default_timeout = default_timeout
        self._observer = observer
        self._context = context
        self._on_finished = on_finished
        self._precheck = precheck
        self._scopes: dict[str, anyio.CancelScope] = {}
        self._reasons: dict[str, str] = {}

    @property
    def running(self) -> tuple[str, ...]:
        return tuple(self._scopes)

    def start(self, action: StartCall, now: float) -> None:
        started = ToolCallStarted(
            time=now,
            call_id=action.call_id,
            name=action.name,
            arguments=action.arguments,
            response_id=action.response_id,
        )
        scope = anyio.CancelScope()
        self._scopes[action.call_id] = scope
        self._tg.start_soon(self._run, action, started, scope, name=f"tool {action.name} ({action.call_id})")

    def cancel(self, call_id: str, reason: str) -> None:
        scope = self._scopes.get(call_id)
        if scope is not None:
            self._reasons[call_id] = reason
            scope.cancel()

    def cancel_all(self, reason: str) -> None:
        for call_id in list(self._scopes):
            self.cancel(call_id, reason)

    async def _run(self, action: StartCall, started: ToolCallStarted, scope: anyio.CancelScope) -> None:
        outcome: ToolOutcome | None = None
        tools = self._tools()
        try:
            with scope, self._observer.tool_scope(started):
                context = self._context(action.call_id, action.name)
                if self._precheck is not None:
                    outcome = self._precheck(action, tools, context)
                    if outcome is not None:
                        return
                outcome = await execute_tool(
                    tools.get(action.name),
                    name=action.name,
                    call_id=action.call_id,
                    arguments=action.arguments,
                    context=context,
                    limiter=self._limiter,
                    default_timeout=self._default_timeout,
                    available=tools.names(),
                )
        finally:
            self._scopes.pop(action.call_id, None)
            reason = self._reasons.pop(action.call_id, "")
            if outcome is None:
                outcome = ToolOutcome.cancelled(action.call_id, action.name, reason)
            self._on_finished(outcome)
