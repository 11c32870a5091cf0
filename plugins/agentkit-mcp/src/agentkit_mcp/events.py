"""What `MCPServers` tells its listeners: tools changed, a server stopped, a server is back."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentkit.tools import Toolset


@dataclass(frozen=True)
class ToolsChanged:
    """A server's tool list changed (it said so, or it came back with different tools).
    `toolset` holds every MCP tool now: send its definitions in a `session.update`."""

    server: str
    toolset: Toolset = field(default_factory=Toolset)


@dataclass(frozen=True)
class ServerDown:
    """A server stopped or could not be reached. Its tools answer with an error until it is back."""

    server: str
    reason: str
    retry_in: float


@dataclass(frozen=True)
class ServerUp:
    """A server that had stopped runs again; `restarts` counts how often that happened."""

    server: str
    restarts: int


MCPEvent = ToolsChanged | ServerDown | ServerUp
