"""An MCP server's tool as an agentkit `Tool`: its definition comes from the server's listing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from opentelemetry import trace

from agentkit.tools import Tool, ToolDefinitionError
from agentkit_mcp.naming import realtime_name

logger = logging.getLogger("agentkit.mcp")

CallTool = Callable[[str, dict[str, Any]], Awaitable[str]]


class MCPTool(Tool):
    """Runs through agentkit's usual path (validation, timeout, limiter, exactly one output).

    `metadata` names the server and the tool's own MCP name, for logs; each call also puts it on
    the current span (agentkit's `execute_tool` span under a `TracingObserver`), so a trace shows
    which server answered.
    """

    def __init__(
        self, listed: Any, *, server: str, prefix: str, call: CallTool, timeout: float | None
    ) -> None:
        mcp_name = str(listed.name)
        metadata = MappingProxyType({"mcp.server": server, "mcp.tool": mcp_name})

        async def call_mcp_tool(arguments: dict[str, Any]) -> str:
            trace.get_current_span().set_attributes(metadata)  # a no-op when nothing records
            return await call(mcp_name, arguments)

        super().__init__(
            call_mcp_tool,
            name=realtime_name(prefix, mcp_name),
            description=listed.description or getattr(listed, "title", None) or "",
            parameters=_object_schema(listed.input_schema),
            timeout=timeout,
        )
        self.server: str = server
        self.mcp_name: str = mcp_name
        self.metadata: Mapping[str, str] = metadata

    def __repr__(self) -> str:
        return f"MCPTool(name={self.name!r}, server={self.server!r}, mcp_name={self.mcp_name!r})"


def build_tools(
    listed: Iterable[Any],
    *,
    server: str,
    prefix: str,
    allow: Iterable[str] | None,
    call: CallTool,
    timeout: float | None,
) -> tuple[MCPTool, ...]:
    """The allowed tools; one the Realtime API cannot take is skipped with a warning, not fatal."""
    allowed = None if allow is None else set(allow)
    tools: list[MCPTool] = []
    for item in listed:
        if allowed is not None and item.name not in allowed:
            continue
        try:
            tools.append(MCPTool(item, server=server, prefix=prefix, call=call, timeout=timeout))
        except ToolDefinitionError as exc:
            logger.warning("MCP server %s: tool %r skipped: %s", server, item.name, exc)
    return tuple(tools)


def _object_schema(schema: Any) -> dict[str, Any]:
    """MCP requires an object schema; a server that leaves out `type` still gets one."""
    if not isinstance(schema, Mapping):
        return {"type": "object", "properties": {}}
    return {"type": "object", **schema} if "type" not in schema else dict(schema)
