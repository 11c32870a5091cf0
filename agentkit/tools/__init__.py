"""Tools: `@tool` functions become Realtime function tools; toolsets, calls and plugins."""

from __future__ import annotations

from agentkit.tools.context import ProgressHook, ToolContext
from agentkit.tools.errors import PluginError, ToolDefinitionError, ToolDefinitionWarning, ToolError
from agentkit.tools.execute import execute_tool
from agentkit.tools.outcome import COMPLETED, ToolOutcome, ToolStatus, render_result
from agentkit.tools.plugins import PluginInfo, discover_plugins, load_plugin
from agentkit.tools.schema import InvalidArguments
from agentkit.tools.tool import Tool, tool
from agentkit.tools.toolset import Toolset

__all__ = [
    "COMPLETED",
    "InvalidArguments",
    "PluginError",
    "PluginInfo",
    "ProgressHook",
    "Tool",
    "ToolContext",
    "ToolDefinitionError",
    "ToolDefinitionWarning",
    "ToolError",
    "ToolOutcome",
    "ToolStatus",
    "Toolset",
    "discover_plugins",
    "execute_tool",
    "load_plugin",
    "render_result",
    "tool",
]
