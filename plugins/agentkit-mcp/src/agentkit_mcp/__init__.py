"""Tools from Model Context Protocol servers, for agentkit agents.

```python
from agentkit_mcp import HttpServer, MCPServers, StdioServer

async with MCPServers([StdioServer("files", command="mcp-files", allow=["read_file"])]) as mcp:
    tools = mcp.toolset()   # agentkit Toolset: files_read_file
```
"""

from __future__ import annotations

from agentkit_mcp.config import Backoff, HttpServer, ServerConfig, StdioServer
from agentkit_mcp.errors import MCPStartError
from agentkit_mcp.events import MCPEvent, ServerDown, ServerUp, ToolsChanged
from agentkit_mcp.naming import realtime_name
from agentkit_mcp.results import render_call_result
from agentkit_mcp.servers import Listener, MCPServers
from agentkit_mcp.tools import MCPTool

__all__ = [
    "Backoff",
    "HttpServer",
    "Listener",
    "MCPEvent",
    "MCPServers",
    "MCPStartError",
    "MCPTool",
    "ServerConfig",
    "ServerDown",
    "ServerUp",
    "StdioServer",
    "ToolsChanged",
    "realtime_name",
    "render_call_result",
]
