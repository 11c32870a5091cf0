"""Approvals in the I/O shell: which calls need one (from each tool's setting), and the agent's
optional approver callback, run as a task per request.

The engine keeps the book (a waiting call holds its batch; deciding twice is an `ApprovalError`);
this module only asks the tools and the approver. A predicate or an approver that raises fails
closed: the call waits for a person (predicate), or is rejected with a reason the model can say
(approver). Nothing here sends anything to the caller's device.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskGroup

from agentkit.engine import ApprovalCheck, ApprovalNeed, ApprovalRequested
from agentkit.tools import ToolContext, Toolset
from agentkit.tools.schema import InvalidArguments

logger = logging.getLogger("agentkit.approvals")


@dataclass(frozen=True, slots=True)
class Decision:
    """An approver's answer: `approved`, or not with a `reason` the model can tell the user."""

    approved: bool
    reason: str = ""

    @classmethod
    def approve(cls) -> Decision:
        return cls(True)

    @classmethod
    def reject(cls, reason: str) -> Decision:
        return cls(False, reason)


Approver = Callable[[ApprovalRequested], Awaitable[bool | Decision]]
"""`Agent(approver=...)`: decides a waiting call (`True`, `False` or a `Decision`)."""

APPROVER_FAILED = "the approval check failed"


def approval_check(
    tools: Callable[[], Toolset],
    context: Callable[[str, str], ToolContext[Any]],
    default_timeout: float | None,
) -> ApprovalCheck:
    """The engine's `approvals` callback for a session: asks the called tool's `needs_approval`."""

    def check(call_id: str, name: str, arguments: str) -> ApprovalNeed | None:
        tool = tools().get(name)
        if tool is None or tool.needs_approval is False:
            return None
        timeout = tool.approval_timeout if tool.approval_timeout is not None else default_timeout
        rule = tool.needs_approval
        if rule is True:
            return ApprovalNeed(timeout)
        try:
            values = tool.parse_arguments(arguments)
        except InvalidArguments:
            return None  # it will not run: the model is told what was wrong with its arguments
        try:
            wanted = bool(rule(values, context(call_id, name)))
        except Exception:
            logger.exception("the needs_approval predicate of tool %s raised; asking for approval", name)
            wanted = True
        return ApprovalNeed(timeout) if wanted else None

    return check


class ApproverRunner:
    """Runs the agent's approver once per request, in its own cancel scope inside the session's tasks."""

    def __init__(
        self, task_group: TaskGroup, approver: Approver, decide: Callable[[str, Decision], None]
    ) -> None:
        self._tg = task_group
        self._approver = approver
        self._decide = decide
        self._scopes: dict[str, anyio.CancelScope] = {}

    def ask(self, request: ApprovalRequested) -> None:
        scope = anyio.CancelScope()
        self._scopes[request.call_id] = scope
        name = f"approver for {request.name} ({request.call_id})"
        self._tg.start_soon(self._run, request, scope, name=name)

    def cancel(self, call_id: str) -> None:
        """The call was decided without the approver (a person, its deadline, a cancellation)."""
        scope = self._scopes.get(call_id)
        if scope is not None:
            scope.cancel()

    def cancel_all(self) -> None:
        for scope in self._scopes.values():
            scope.cancel()

    async def _run(self, request: ApprovalRequested, scope: anyio.CancelScope) -> None:
        with scope:
            try:
                answer = await self._approver(request)
            except Exception:
                logger.exception("the approver raised for call %s (%s)", request.call_id, request.name)
                answer = Decision.reject(APPROVER_FAILED)
            if not isinstance(answer, Decision):
                answer = Decision(bool(answer), "" if answer else "the approver said no")
            self._decide(request.call_id, answer)
        self._scopes.pop(request.call_id, None)
