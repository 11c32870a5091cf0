"""The MCP plugin against a real MCP server over streamable HTTP (uvicorn on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from agentkit_mcp import HttpServer, MCPServers, MCPStartError, ServerDown, ServerUp, ToolsChanged
from mcp_test_support import EventLog, HttpServerProcess, call

TOKEN = "s3cret-test-token"


@pytest.fixture
async def http_server() -> AsyncIterator[HttpServerProcess]:
    server = HttpServerProcess(token=TOKEN)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


def config(server: HttpServerProcess, token: str = TOKEN) -> HttpServer:
    return HttpServer("web", url=server.url, headers={"Authorization": f"Bearer {token}"}, connect_timeout=10)


@pytest.mark.anyio
async def test_headers_are_sent_and_tools_listed_and_called(http_server: HttpServerProcess) -> None:
    async with MCPServers([config(http_server)]) as servers:
        toolset = servers.toolset()
        assert "web_add" in toolset
        assert (await call(toolset, "web_add", '{"a": 20, "b": 22}')).output == "42"
        failed = await call(toolset, "web_fail", '{"message": "no such order"}')
        assert failed.status == "tool_error"
        assert failed.output.endswith("no such order")


@pytest.mark.anyio
async def test_a_rejected_token_fails_clearly_without_showing_it(
    http_server: HttpServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-token-value"
    with pytest.raises(MCPStartError, match="MCP server web failed to start") as raised:
        async with MCPServers([config(http_server, token=wrong)]):
            pass
    assert wrong not in str(raised.value)
    assert http_server.url not in str(raised.value)
    assert wrong not in caplog.text
    assert wrong not in repr(config(http_server, token=wrong))


@pytest.mark.anyio
async def test_tool_list_change_over_http(http_server: HttpServerProcess) -> None:
    log = EventLog()
    async with MCPServers([config(http_server)]) as servers:
        servers.subscribe(log)
        assert (await call(servers.toolset(), "web_grow")).output == "grown"
        changed = await log.next(ToolsChanged)
        assert (await call(changed.toolset, "web_late", '{"word": "ok"}')).output == "OK"


@pytest.mark.anyio
async def test_a_stopped_http_server_is_reported_and_reconnected(http_server: HttpServerProcess) -> None:
    log = EventLog()
    async with MCPServers([config(http_server)]) as servers:
        servers.subscribe(log)
        toolset = servers.toolset()
        await http_server.stop()
        failed = await call(toolset, "web_add", '{"a": 1, "b": 1}')
        assert failed.status == "tool_error"
        assert "MCP server web" in failed.output
        assert TOKEN not in failed.output
        down = await log.next(ServerDown)
        assert TOKEN not in down.reason
        await http_server.start()
        await log.next(ServerUp)
        assert (await call(toolset, "web_add", '{"a": 1, "b": 1}')).output == "2"
