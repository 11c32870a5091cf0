"""Helpers for the MCP plugin tests: the test server over stdio or HTTP, and event waiting."""

from __future__ import annotations

import math
import os
import socket
import sys
from pathlib import Path
from typing import Any, TypeVar

import anyio
from agentkit_mcp import MCPEvent, StdioServer
from anyio.abc import Process

from agentkit.tools import ToolOutcome, Toolset, execute_tool

SERVER_SCRIPT = str(Path(__file__).with_name("mcp_test_server.py"))
EventT = TypeVar("EventT")


def stdio_config(name: str = "local", **options: Any) -> StdioServer:
    return StdioServer(name, command=sys.executable, args=[SERVER_SCRIPT], **options)


async def call(toolset: Toolset, name: str, arguments: str = "{}", **options: Any) -> ToolOutcome:
    """Through agentkit's normal execution path, as a session would."""
    with anyio.fail_after(20):
        return await execute_tool(
            toolset.get(name), name=name, call_id=f"call-{name}", arguments=arguments, **options
        )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_for_exit(pid: int) -> None:
    """Bounded: the process is not our child, so polling is the portable way to see it go."""
    with anyio.fail_after(10):
        while pid_alive(pid):  # noqa: ASYNC110
            await anyio.sleep(0.02)


class EventLog:
    """A listener that keeps every event and lets a test wait for the next one of a kind."""

    def __init__(self) -> None:
        self.events: list[MCPEvent] = []
        self._send, self._receive = anyio.create_memory_object_stream[MCPEvent](math.inf)

    async def __call__(self, event: MCPEvent) -> None:
        self.events.append(event)
        await self._send.send(event)

    async def next(self, kind: type[EventT]) -> EventT:
        with anyio.fail_after(20):
            while True:
                event = await self._receive.receive()
                if isinstance(event, kind):
                    return event


class HttpServerProcess:
    """The test server on a loopback port, in a child process that can be killed and restarted."""

    def __init__(self, token: str | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = token
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.process: Process | None = None

    async def start(self) -> None:
        token = [self.token] if self.token else []
        self.process = await anyio.open_process(
            [sys.executable, SERVER_SCRIPT, "--http", str(self.port), *token], stdout=None, stderr=None
        )
        with anyio.fail_after(20):
            while True:
                try:
                    stream = await anyio.connect_tcp("127.0.0.1", self.port)
                except OSError:
                    await anyio.sleep(0.05)
                    continue
                await stream.aclose()
                return

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            with anyio.fail_after(10):
                if process.returncode is None:
                    process.kill()
                await process.aclose()
