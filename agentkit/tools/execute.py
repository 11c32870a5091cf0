"""Runs one tool call and always produces exactly one outcome, whatever goes wrong."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Collection
from typing import Any

import anyio

from agentkit.tools.context import ToolContext
from agentkit.tools.errors import ToolError
from agentkit.tools.outcome import ToolOutcome, render_result
from agentkit.tools.schema import InvalidArguments
from agentkit.tools.tool import Tool

logger = logging.getLogger("agentkit.tools")

_MAX_ERROR_TEXT = 500


async def execute_tool(
    tool: Tool | None,
    *,
    name: str,
    call_id: str,
    arguments: str,
    context: ToolContext[Any] | None = None,
    limiter: anyio.CapacityLimiter | None = None,
    default_timeout: float | None = None,
    available: Collection[str] = (),
) -> ToolOutcome:
    """Validate, run (under `limiter` and the timeout) and render one call.

    Never raises for a failure of the tool or its input. Cancellation of the caller propagates
    as usual; answer such a call with `ToolOutcome.cancelled(...)`. `available` lists the tool
    names to offer the model when it asks for one that does not exist. A tool's own timeout
    wins over `default_timeout`.
    """
    if tool is None:
        names = ", ".join(sorted(available)) or "none"
        return ToolOutcome(call_id, name, f"unknown tool {name}; available: {names}", status="unknown_tool")
    try:
        values = tool.parse_arguments(arguments)
    except InvalidArguments as exc:
        return ToolOutcome(
            call_id, name, f"invalid arguments for tool {name}: {exc}", status="invalid_arguments", error=exc
        )
    if context is None and tool.wants_context:
        context = ToolContext(call_id=call_id, tool_name=name, deps=None)
    timeout = tool.timeout if tool.timeout is not None else default_timeout
    if tool.queue is not None:  # runs as a job elsewhere; the queue keeps the timeout
        async with limiter if limiter is not None else contextlib.nullcontext():
            return await tool.queue.run(tool, call_id, arguments, timeout)
    async with limiter if limiter is not None else contextlib.nullcontext():
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            try:
                value = await tool.invoke(values, context)
                return ToolOutcome(call_id, name, render_result(value), value=value)
            except ToolError as exc:
                text = str(exc) or f"tool {name} failed"
                return ToolOutcome(call_id, name, text, status="tool_error", error=exc)
            except Exception as exc:
                logger.exception("tool %s (call %s) raised", name, call_id)
                return ToolOutcome(call_id, name, _describe_failure(name, exc), status="error", error=exc)
    return _timed_out(tool, call_id, name, timeout)


def _timed_out(tool: Tool, call_id: str, name: str, timeout: float | None) -> ToolOutcome:
    abandoned = not tool.is_async
    if abandoned:
        logger.warning(
            "tool %s (call %s) timed out; its worker thread was abandoned and may still be running",
            name,
            call_id,
        )
    seconds = f"{timeout:g}" if timeout is not None else "?"
    error = TimeoutError(f"tool {name} timed out after {seconds}s")
    return ToolOutcome(call_id, name, str(error), status="timeout", error=error, thread_abandoned=abandoned)


def _describe_failure(name: str, exc: Exception) -> str:
    """Type and message, never a traceback; long messages are cut short."""
    message = str(exc)
    if len(message) > _MAX_ERROR_TEXT:
        message = message[: _MAX_ERROR_TEXT - 3] + "..."
    kind = type(exc).__name__
    return f"tool {name} failed: {kind}: {message}" if message else f"tool {name} failed: {kind}"
