"""The MCP plugin against a real MCP server started over stdio by the tests."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator

import anyio
import pytest
from agentkit_mcp import (
    Backoff,
    MCPServers,
    MCPStartError,
    MCPTool,
    ServerDown,
    ServerUp,
    StdioServer,
    ToolsChanged,
)
from mcp_test_support import EventLog, call, pid_alive, stdio_config, wait_for_exit

from agentkit.tools import Toolset

FAST_RESTART = Backoff(initial=0.05, maximum=0.2)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def calc() -> AsyncIterator[Toolset]:
    """One server for the tests that do not change it (each start costs about a second)."""
    async with MCPServers([stdio_config("calc")]) as servers:
        yield servers.toolset()


@pytest.mark.anyio
async def test_tools_are_listed_with_prefixed_names_schemas_and_server_metadata(calc: Toolset) -> None:
    assert "calc_add" in calc.names()
    assert "calc_pid" in calc.names()
    add = calc["calc_add"]
    definition = add.definition()
    assert definition["description"] == "Add two integers."
    assert definition["parameters"]["required"] == ["a", "b"]
    assert definition["parameters"]["properties"]["a"] == {"type": "integer"}  # titles dropped
    assert isinstance(add, MCPTool)
    assert dict(add.metadata) == {"mcp.server": "calc", "mcp.tool": "add"}


@pytest.mark.anyio
async def test_a_name_the_realtime_api_rejects_is_mapped_to_a_valid_one(calc: Toolset) -> None:
    weird = [tool for tool in calc if isinstance(tool, MCPTool) and tool.mcp_name == "weird.name"]
    assert len(weird) == 1
    assert weird[0].name.startswith("calc_weird_name_")
    outcome = await call(calc, weird[0].name)
    assert outcome.output == "weird"


@pytest.mark.anyio
async def test_allow_list_and_empty_prefix() -> None:
    config = stdio_config("calc", allow=["add", "fail"], prefix="")
    async with MCPServers([config]) as servers:
        assert sorted(servers.toolset().names()) == ["add", "fail"]
        outcome = await call(servers.toolset(), "pid")
        assert outcome.status == "unknown_tool"


@pytest.mark.anyio
async def test_calls_go_through_agentkit_execution(calc: Toolset) -> None:
    outcome = await call(calc, "calc_add", '{"a": 2, "b": 40}')
    assert (outcome.status, outcome.output) == ("ok", "42")
    missing = await call(calc, "calc_add", '{"a": 2}')
    assert missing.status == "invalid_arguments"
    assert "b: Field required" in missing.output


@pytest.mark.anyio
async def test_server_errors_become_model_readable_tool_errors(calc: Toolset) -> None:
    failed = await call(calc, "calc_fail", '{"message": "the order does not exist"}')
    assert failed.status == "tool_error"
    assert "the order does not exist" in failed.output
    rejected = await call(calc, "calc_add", '{"a": "two", "b": 1}')
    assert rejected.status == "tool_error"
    assert "a" in rejected.output


@pytest.mark.anyio
async def test_non_text_content_is_described_and_structured_content_is_used(calc: Toolset) -> None:
    media = await call(calc, "calc_media")
    lines = media.output.splitlines()
    assert lines[0] == "here is everything"
    assert "[image (image/png, 100 bytes) returned; not shown here]" in lines
    assert "[audio (audio/wav, 30 bytes) returned; not shown here]" in lines
    assert "[resource file:///notes.txt (text/plain)]" in lines
    assert "note body" in lines
    assert any(line.startswith("[binary resource file:///data.bin") and "6 bytes" in line for line in lines)
    assert "[resource link report <https://example.invalid/report.pdf>]" in lines
    structured = await call(calc, "calc_structured_only")
    assert json.loads(structured.output) == {"temperature": 21, "unit": "C"}


@pytest.mark.anyio
async def test_calls_run_concurrently(calc: Toolset) -> None:
    limiter = anyio.CapacityLimiter(4)
    outcomes = []

    async def one() -> None:
        outcomes.append(await call(calc, "calc_rendezvous", '{"count": 4}', limiter=limiter))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(one)
    assert [outcome.output for outcome in outcomes] == ["met"] * 4


@pytest.mark.anyio
async def test_timeout_answers_the_call_and_the_server_keeps_working(calc: Toolset) -> None:
    slow = await call(calc, "calc_sleep", '{"seconds": 30}', default_timeout=0.2)
    assert slow.status == "timeout"
    assert (await call(calc, "calc_add", '{"a": 1, "b": 1}')).output == "2"


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
@pytest.mark.anyio
async def test_tool_list_change_updates_the_toolset_and_tells_listeners(protocol: str) -> None:
    log = EventLog()
    async with MCPServers([stdio_config("calc", protocol=protocol)]) as servers:
        servers.subscribe(log)
        assert "calc_late" not in servers.toolset()
        assert (await call(servers.toolset(), "calc_grow")).output == "grown"
        changed = await log.next(ToolsChanged)
        assert changed.server == "calc"
        assert "calc_late" in changed.toolset
        assert "calc_late" in servers.toolset()
        assert (await call(changed.toolset, "calc_late", '{"word": "hi"}')).output == "HI"


@pytest.mark.anyio
async def test_a_crashed_server_is_reported_answers_with_errors_and_is_restarted() -> None:
    log = EventLog()
    async with MCPServers([stdio_config("calc")], backoff=Backoff(initial=0.5, maximum=0.5)) as servers:
        servers.subscribe(log)
        toolset = servers.toolset()
        first_pid = int((await call(toolset, "calc_pid")).output)
        crashed = await call(toolset, "calc_crash")
        assert crashed.status == "tool_error"
        assert "MCP server calc" in crashed.output
        down = await log.next(ServerDown)
        assert down.server == "calc"
        assert down.retry_in == 0.5
        while_down = await call(toolset, "calc_add", '{"a": 1, "b": 2}')
        assert while_down.status == "tool_error"
        assert "not available right now" in while_down.output
        assert (await log.next(ServerUp)).restarts == 1
        assert not pid_alive(first_pid)
        assert (await call(toolset, "calc_add", '{"a": 1, "b": 2}')).output == "3"
        assert int((await call(toolset, "calc_pid")).output) != first_pid


@pytest.mark.anyio
async def test_one_server_down_leaves_the_others_working() -> None:
    log = EventLog()
    async with MCPServers([stdio_config("one"), stdio_config("two")], backoff=FAST_RESTART) as servers:
        servers.subscribe(log)
        toolset = servers.toolset()
        await call(toolset, "one_crash")
        await log.next(ServerDown)
        assert (await call(toolset, "two_add", '{"a": 5, "b": 5}')).output == "10"
        await log.next(ServerUp)


@pytest.mark.anyio
async def test_no_child_process_is_left_after_close() -> None:
    async with MCPServers([stdio_config("one"), stdio_config("two")]) as servers:
        toolset = servers.toolset()
        pids = [int((await call(toolset, f"{name}_pid")).output) for name in ("one", "two")]
        assert all(pid_alive(pid) for pid in pids)
    for pid in pids:
        await wait_for_exit(pid)


@pytest.mark.anyio
async def test_no_child_process_is_left_when_the_body_fails() -> None:
    pids: list[int] = []

    async def failing_body() -> None:
        async with MCPServers([stdio_config("calc")]) as servers:
            pids.append(int((await call(servers.toolset(), "calc_pid")).output))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_body()
    await wait_for_exit(pids[0])


@pytest.mark.anyio
async def test_a_server_that_cannot_start_fails_entering_with_a_clear_error() -> None:
    broken = StdioServer("broken", command=sys.executable, args=["-c", "import sys; sys.exit(2)"])
    with anyio.fail_after(30), pytest.raises(MCPStartError, match="MCP server broken failed to start"):
        async with MCPServers([stdio_config("fine"), broken]):
            pass


@pytest.mark.anyio
async def test_a_server_starts_when_stderr_is_not_a_real_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OSError):  # capsys swaps in a stream without a file descriptor
        sys.stderr.fileno()
    async with MCPServers([stdio_config("calc")]) as servers:
        assert (await call(servers.toolset(), "calc_add", '{"a": 1, "b": 2}')).output == "3"
