"""`MCPServers`: a group of supervised MCP servers whose tools form one agentkit `Toolset`."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from agentkit.tools import Toolset
from agentkit_mcp.config import Backoff, ServerConfig
from agentkit_mcp.connection import ServerConnection
from agentkit_mcp.errors import MCPStartError
from agentkit_mcp.events import MCPEvent, ToolsChanged
from agentkit_mcp.tools import MCPTool

if TYPE_CHECKING:
    from agentkit.session import Session

logger = logging.getLogger("agentkit.mcp")

Listener = Callable[[MCPEvent], Awaitable[None]]


class MCPServers:
    """Starts the servers when entered, stops them (and their processes) when left.

    Enter it around one agent session, or once for the whole application and hand the same
    `toolset()` to every session. `subscribe()` a listener to hear about tool-list changes
    (send the new definitions with `session.update`) and about servers stopping and coming back.
    """

    def __init__(
        self, servers: Iterable[ServerConfig], *, name: str = "mcp", backoff: Backoff | None = None
    ) -> None:
        self.name = name
        self._listeners: list[Listener] = []
        self._group: TaskGroup | None = None
        self._entered = False
        backoff = backoff or Backoff()
        self._connections: dict[str, ServerConnection] = {}
        for config in servers:
            if config.name in self._connections:
                raise ValueError(f"two MCP servers are named {config.name!r}")
            self._connections[config.name] = ServerConnection(config, backoff, self._emit)

    def toolset(self) -> Toolset:
        """Every allowed tool of every server, as of now; a fresh Toolset each time.

        When prefixes are turned off and two servers offer the same name, the server listed
        first keeps it and the other's tool is left out (with a warning).
        """
        tools = Toolset(name=self.name)
        for connection in self._connections.values():
            for tool in connection.tools:
                if tool.name in tools:
                    logger.warning(
                        "MCP tool name %s of server %s is taken by another server; left out",
                        tool.name,
                        connection.name,
                    )
                    continue
                tools.add(tool)
        return tools

    def available(self, server: str) -> bool:
        """Whether the server is connected right now."""
        return self._connections[server].available

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every `MCPEvent`; returns the function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def attach(self, session: Session) -> Callable[[], None]:
        """Keep a running session's tools current: on every `ToolsChanged`, this group's tools in
        `session.tools` are replaced (other tools, and what was disabled, stay) and a
        `session.update` goes out. Returns the function that detaches it again."""
        servers = set(self._connections)

        async def update(event: MCPEvent) -> None:
            if not isinstance(event, ToolsChanged) or session.closed:
                return
            current = session.tools
            kept = [
                tool
                for tool in current.all_tools
                if not (isinstance(tool, MCPTool) and tool.server in servers)
            ]
            tools = Toolset([*kept, *event.toolset], name=current.name)
            was_disabled = {tool.name for tool in current.all_tools if not current.is_enabled(tool.name)}
            tools.disable(*(tool.name for tool in tools.all_tools if tool.name in was_disabled))
            session.tools = tools
            await session.update_tools()

        return self.subscribe(update)

    async def __aenter__(self) -> MCPServers:
        if self._entered:
            raise RuntimeError("MCPServers is already running; enter it once and share its toolset")
        self._entered = True
        group = anyio.create_task_group()
        await group.__aenter__()
        failures: dict[str, Exception] = {}

        async def start(connection: ServerConnection) -> None:
            try:
                await group.start(connection.run)
            except Exception as exc:
                failures[connection.name] = exc

        async with anyio.create_task_group() as starting:
            for connection in self._connections.values():
                starting.start_soon(start, connection)
        if failures:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
            self._entered = False
            raise MCPStartError("; ".join(str(failure) for failure in failures.values()))
        self._group = group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        group, self._group = self._group, None
        self._entered = False
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)

    async def _emit(self, event: MCPEvent) -> None:
        if isinstance(event, ToolsChanged):
            event = dataclasses.replace(event, toolset=self.toolset())
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                logger.exception("MCP event listener failed on %s", type(event).__name__)

    def __repr__(self) -> str:
        return f"MCPServers(name={self.name!r}, servers={list(self._connections)!r})"
