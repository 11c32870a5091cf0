"""The plugin's pure parts: name mapping, result rendering, configuration, tool building."""

from __future__ import annotations

import re
from typing import Any

import pytest
from agentkit_mcp import Backoff, HttpServer, MCPServers, StdioServer, realtime_name, render_call_result
from agentkit_mcp.tools import build_tools
from mcp.types import CallToolResult, ImageContent, TextContent, Tool

from agentkit.tools import COMPLETED, ToolError

REALTIME_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def never_called(name: str, arguments: dict[str, Any]) -> str:
    raise AssertionError("not called")


def listed(name: str, schema: Any = None, description: str | None = "Does it.") -> Tool:
    return Tool(
        name=name, description=description, input_schema=schema or {"type": "object", "properties": {}}
    )


def test_valid_names_are_prefixed_and_kept() -> None:
    assert realtime_name("files", "read_file") == "files_read_file"
    assert realtime_name("", "read-file") == "read-file"


@pytest.mark.parametrize("tool_name", ["a.b", "x" * 80, "résumé", "a/b c", ""])
def test_other_names_become_valid_and_distinct(tool_name: str) -> None:
    name = realtime_name("srv", tool_name)
    assert REALTIME_NAME.match(name)
    assert name != realtime_name("srv", tool_name + "_")


def test_names_that_clean_to_the_same_text_stay_distinct() -> None:
    assert realtime_name("s", "a.b") != realtime_name("s", "a/b")


def test_text_is_kept_and_structured_content_is_used_only_without_text() -> None:
    both = CallToolResult(content=[TextContent(type="text", text="21 C")], structured_content={"t": 21})
    assert render_call_result(both, server="s", tool="t") == "21 C"
    only = CallToolResult(content=[], structured_content={"t": 21})
    assert render_call_result(only, server="s", tool="t") == '{"t": 21}'


def test_an_empty_result_reads_as_done() -> None:
    assert render_call_result(CallToolResult(content=[]), server="s", tool="t") == COMPLETED


def test_an_error_result_raises_its_text_or_a_clear_default() -> None:
    failed = CallToolResult(content=[TextContent(type="text", text="disk full")], is_error=True)
    with pytest.raises(ToolError, match=r"^disk full$"):
        render_call_result(failed, server="s", tool="t")
    with pytest.raises(ToolError, match="MCP tool t on server s failed without saying why"):
        render_call_result(CallToolResult(content=[], is_error=True), server="s", tool="t")


def test_an_image_in_an_error_is_described_too() -> None:
    image = ImageContent(type="image", data="AAAA", mime_type="image/jpeg")
    with pytest.raises(ToolError, match=r"\[image \(image/jpeg, 3 bytes\)"):
        render_call_result(CallToolResult(content=[image], is_error=True), server="s", tool="t")


def test_build_tools_applies_the_allow_list_prefix_and_timeout() -> None:
    tools = build_tools(
        [listed("a"), listed("b"), listed("c")],
        server="srv",
        prefix="p",
        allow=["a", "c"],
        call=never_called,
        timeout=2.5,
    )
    assert [tool.name for tool in tools] == ["p_a", "p_c"]
    assert all(tool.timeout == 2.5 for tool in tools)


def test_build_tools_fills_a_missing_type_and_falls_back_to_the_title() -> None:
    item = Tool(name="t", title="Titled", input_schema={"properties": {"x": {"type": "string"}}})
    (tool,) = build_tools([item], server="s", prefix="s", allow=None, call=never_called, timeout=None)
    assert tool.definition()["parameters"]["type"] == "object"
    assert tool.description == "Titled"


def test_config_is_checked_once() -> None:
    with pytest.raises(ValueError, match="server name"):
        StdioServer("bad name", command="x")
    with pytest.raises(TypeError, match="collection of tool names"):
        StdioServer("s", command="x", allow="read_file")
    with pytest.raises(ValueError, match="http"):
        HttpServer("h", url="ftp://example.invalid")
    with pytest.raises(ValueError, match="timeout"):
        StdioServer("s", command="x", timeout=0)
    with pytest.raises(ValueError, match="two MCP servers are named 's'"):
        MCPServers([StdioServer("s", command="x"), StdioServer("s", command="y")])


def test_secrets_stay_out_of_reprs() -> None:
    http = HttpServer(
        "h", url="https://example.invalid/mcp?key=k-123", headers={"Authorization": "Bearer t-456"}
    )
    stdio = StdioServer("s", command="x", env={"API_KEY": "e-789"})
    text = repr(http) + repr(stdio)
    assert "k-123" not in text
    assert "t-456" not in text
    assert "e-789" not in text


def test_backoff_grows_to_its_maximum() -> None:
    backoff = Backoff(initial=0.5, factor=2, maximum=3)
    assert [backoff.delay(attempt) for attempt in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="Backoff"):
        Backoff(initial=0)
