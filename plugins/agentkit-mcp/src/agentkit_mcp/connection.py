"""One MCP server, supervised: connect, list tools, call them, follow list changes, restart.

`run()` owns the connection for its whole life, in one task, so the SDK's task groups and the
child process are always entered and left in order. Calls come from other tasks and only use
the connected client. A stopped server is noticed at once for stdio (its output ends) and on the
first failed call for HTTP; the supervisor then reconnects with backoff while the server's tools
answer the model with an error that says what happened.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TextIO

import anyio
import httpx2
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError, SubscriptionLost
from mcp.types import CONNECTION_CLOSED

from agentkit.tools import ToolError
from agentkit_mcp.config import Backoff, HttpServer, ServerConfig
from agentkit_mcp.errors import MCPStartError
from agentkit_mcp.events import MCPEvent, ServerDown, ServerUp, ToolsChanged
from agentkit_mcp.results import render_call_result
from agentkit_mcp.tools import MCPTool, build_tools
from agentkit_mcp.transport import watch_for_eof

logger = logging.getLogger("agentkit.mcp")

_TOOLS_CHANGED = "notifications/tools/list_changed"
_MAX_PAGES = 100
_LOST_ERRORS = (httpx2.TransportError, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


class ServerConnection:
    """A supervised connection to one server, and the tools it currently offers."""

    def __init__(self, config: ServerConfig, backoff: Backoff, emit: Callable[[MCPEvent], Awaitable[None]]):
        self.config = config
        self.name = config.name
        self.restarts = 0
        self._backoff = backoff
        self._emit = emit
        self._client: Client | None = None
        self._tools: tuple[MCPTool, ...] = ()
        self._down_reason = "it has not started yet"
        self._wake = anyio.Event()
        self._relist = False
        self._lost: str | None = None

    @property
    def tools(self) -> tuple[MCPTool, ...]:
        return self._tools

    @property
    def available(self) -> bool:
        return self._client is not None

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Connect, serve, and reconnect after every stop until cancelled. Fails (before
        `task_status.started()`) only when the very first connection cannot be made."""
        attempt = 0
        started = False
        while True:
            up_since: float | None = None
            try:
                with anyio.fail_after(self.config.connect_timeout) as connecting:
                    async with self._connected() as client:
                        await self._refresh(client, announce=started)
                        connecting.deadline = math.inf
                        self._client, up_since = client, anyio.current_time()
                        if started:
                            self.restarts += 1
                            logger.info("MCP server %s is back (restart %d)", self.name, self.restarts)
                            await self._emit(ServerUp(self.name, self.restarts))
                        else:
                            started = True
                            task_status.started()
                        await self._serve(client)
                reason = self._lost or "its connection closed"
            except Exception as exc:
                if not started:
                    raise MCPStartError(
                        f"MCP server {self.name} failed to start: {self._describe(exc)}"
                    ) from None
                reason = self._lost or self._describe(exc)
            finally:
                self._client = None
            if up_since is not None and anyio.current_time() - up_since >= self._backoff.stable_after:
                attempt = 0
            delay = self._backoff.delay(attempt)
            attempt += 1
            self._down_reason = reason
            logger.warning("MCP server %s stopped (%s); restarting in %.2fs", self.name, reason, delay)
            await self._emit(ServerDown(self.name, reason, delay))
            await anyio.sleep(delay)

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """One `tools/call`; every failure becomes a `ToolError` the model can read."""
        client = self._client
        if client is None:
            raise ToolError(
                f"MCP server {self.name} is not available right now ({self._down_reason}); "
                "it is being restarted, so try again in a moment"
            )
        try:
            result = await client.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                self._mark_lost("it stopped during a call")
                raise ToolError(
                    f"MCP server {self.name} stopped during the call; it is being restarted"
                ) from None
            raise ToolError(f"MCP server {self.name} refused the call: {self._redact(exc.message)}") from None
        except _LOST_ERRORS as exc:
            self._mark_lost(self._describe(exc))
            raise ToolError(
                f"MCP server {self.name} could not be reached ({self._describe(exc)}); it is being restarted"
            ) from None
        return render_call_result(result, server=self.name, tool=tool)

    @asynccontextmanager
    async def _connected(self) -> AsyncIterator[Client]:
        self._lost, self._relist, self._wake = None, False, anyio.Event()
        async with AsyncExitStack() as stack:
            transport = watch_for_eof(
                await self._transport(stack), lambda: self._mark_lost("its output ended")
            )
            client = await stack.enter_async_context(
                Client(transport, message_handler=self._on_message, mode=self.config.protocol)
            )
            async with anyio.create_task_group() as group:
                capability = client.server_capabilities.tools
                if capability is not None and capability.list_changed:
                    group.start_soon(self._follow_changes, client)
                try:
                    yield client
                finally:
                    group.cancel_scope.cancel()

    async def _transport(self, stack: AsyncExitStack) -> Any:
        config = self.config
        if isinstance(config, HttpServer):
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers=dict(config.headers), timeout=_HTTP_TIMEOUT)
            )
            return streamable_http_client(config.url, http_client=http)
        params = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env=dict(config.env) if config.env is not None else None,
            cwd=config.cwd,
        )
        return stdio_client(params, errlog=_server_stderr(stack))

    async def _serve(self, client: Client) -> None:
        """Wait for news: a list change (list again) or a lost connection (return)."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            if self._lost is not None:
                return
            if self._relist:
                self._relist = False
                with anyio.fail_after(self.config.connect_timeout):
                    await self._refresh(client, announce=True)

    async def _refresh(self, client: Client, *, announce: bool) -> None:
        listed: list[Any] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await client.list_tools(cursor=cursor, cache_mode="refresh")
            listed.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        config = self.config
        tools = build_tools(
            listed,
            server=self.name,
            prefix=config.tool_prefix,
            allow=config.allow,
            call=self.call,
            timeout=config.timeout,
        )
        changed = [tool.definition() for tool in tools] != [tool.definition() for tool in self._tools]
        self._tools = tools
        if announce and changed:
            logger.info("MCP server %s: tools are now %s", self.name, ", ".join(t.name for t in tools))
            await self._emit(ToolsChanged(self.name))

    async def _follow_changes(self, client: Client) -> None:
        """Protocol 2026-07-28 and later: list changes come on a `subscriptions/listen` stream."""
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                async for _event in subscription:
                    self._request_relist()
        except ListenNotSupportedError:
            return  # earlier protocol versions send notifications instead: see `_on_message`
        except SubscriptionLost:
            self._mark_lost("its change stream was cut")
        except Exception as exc:
            logger.warning(
                "MCP server %s: not following tool list changes: %s", self.name, self._describe(exc)
            )

    async def _on_message(self, message: Any) -> None:
        if getattr(message, "method", None) == _TOOLS_CHANGED:
            self._request_relist()
        elif isinstance(message, Exception):
            logger.debug("MCP server %s: transport reported %s", self.name, type(message).__name__)

    def _request_relist(self) -> None:
        self._relist = True
        self._wake.set()

    def _mark_lost(self, reason: str) -> None:
        if self._lost is None:
            self._lost = reason
        self._wake.set()

    def _describe(self, exc: BaseException) -> str:
        """Type and message, with the URL and header values taken out."""
        if isinstance(exc, TimeoutError):
            return f"no answer within {self.config.connect_timeout:g}s"
        inner = getattr(exc, "exceptions", None)  # an exception group (no builtin before 3.11)
        while isinstance(inner, tuple) and len(inner) == 1 and isinstance(inner[0], BaseException):
            exc = inner[0]
            inner = getattr(exc, "exceptions", None)
        message = self._redact(str(exc))
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__

    def _redact(self, text: str) -> str:
        config = self.config
        if isinstance(config, HttpServer):
            text = text.replace(config.url, "<url>")
            for value in config.headers.values():
                if len(value) >= 4:
                    text = text.replace(value, "<redacted>")
        return text


def _server_stderr(stack: AsyncExitStack) -> TextIO:
    """Where a stdio server's stderr goes: ours when it is a real file, which it is not in
    notebooks or under output capture; then the original stderr, else nowhere."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (OSError, ValueError, AttributeError):
            continue
    return stack.enter_context(open(os.devnull, "w"))
