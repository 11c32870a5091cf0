"""A real MCP server for the plugin's tests, built with the `mcp` package's own MCPServer.

Run as `python mcp_test_server.py` (stdio) or `python mcp_test_server.py --http PORT [TOKEN]`
(streamable HTTP on 127.0.0.1; with TOKEN, requests without `Authorization: Bearer TOKEN` get 401).
"""

from __future__ import annotations

import base64
import os
import sys
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

server = MCPServer("agentkit-test", log_level="WARNING")
_arrived = 0
_all_arrived = anyio.Event()


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def fail(message: str) -> str:
    """Always fails with the given message."""
    raise ToolError(message)


@server.tool(name="weird.name")
def weird_name() -> str:
    """A name with a dot, which the Realtime API does not accept."""
    return "weird"


@server.tool()
def media() -> CallToolResult:
    """Returns one block of every content kind."""
    png = base64.b64encode(b"\x89PNG" + bytes(96)).decode()
    return CallToolResult(
        content=[
            TextContent(type="text", text="here is everything"),
            ImageContent(type="image", data=png, mime_type="image/png"),
            AudioContent(type="audio", data=base64.b64encode(bytes(30)).decode(), mime_type="audio/wav"),
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(
                    uri="file:///notes.txt", text="note body", mime_type="text/plain"
                ),
            ),
            EmbeddedResource(
                type="resource",
                resource=BlobResourceContents(
                    uri="file:///data.bin", blob=base64.b64encode(bytes(6)).decode()
                ),
            ),
            ResourceLink(type="resource_link", name="report", uri="https://example.invalid/report.pdf"),
        ]
    )


@server.tool()
def structured_only() -> CallToolResult:
    """Structured content with no text block."""
    return CallToolResult(content=[], structured_content={"temperature": 21, "unit": "C"})


@server.tool()
async def rendezvous(count: int) -> str:
    """Returns once `count` calls are in flight at the same time."""
    global _arrived
    _arrived += 1
    if _arrived >= count:
        _all_arrived.set()
    with anyio.fail_after(10):
        await _all_arrived.wait()
    return "met"


@server.tool()
async def sleep(seconds: float) -> str:
    """Sleeps, for timeout tests."""
    await anyio.sleep(seconds)
    return "slept"


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def crash() -> str:
    """Exits the server process at once."""
    os._exit(3)


@server.tool()
async def grow(ctx: Context) -> str:
    """Adds the tool `late` and announces the change (both protocol eras)."""

    def late(word: str) -> str:
        """Added while running."""
        return word.upper()

    server.add_tool(late)
    await ctx.notify_tools_changed()
    await ctx.request_context.session.send_tool_list_changed()
    return "grown"


def _http_app(token: str | None) -> Any:
    app = server.streamable_http_app()
    if token is None:
        return app

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] == "http" and headers.get(b"authorization") != f"Bearer {token}".encode():
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guarded


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--http":
        import uvicorn

        token = sys.argv[3] if len(sys.argv) > 3 else None
        uvicorn.run(_http_app(token), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    else:
        server.run()
