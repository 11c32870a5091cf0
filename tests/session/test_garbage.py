"""A closed session is freed by reference counting: it leaves nothing for the cyclic garbage collector.

With thousands of sessions in one process, every cycle a session leaves behind (a cancelled task's
exception -> traceback -> frames, a bound method pointing back at its owner) is work for a full
collection, which stalls every session in flight. These tests count what the collector finds, so
a change that brings such a cycle back fails here rather than in a benchmark nobody reran.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import anyio
import pytest

import agentkit
from agentkit import Agent, tool
from agentkit.connection import Endpoint
from agentkit.protocol import Dialect, FunctionCallOutputItem
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say

pytestmark = pytest.mark.anyio

_PACKAGE = Path(agentkit.__file__).parent
_CLIENT_CODE = tuple(str(_PACKAGE / part) for part in ("session", "engine", "connection", "tools"))
"""The code a client session runs (the local server's own code lives in agentkit/testing)."""
_CLIENT_MODULES = ("agentkit.session", "agentkit.engine", "agentkit.tools", "agentkit.agent")


@tool
async def lookup(n: int) -> str:
    """Look a piece up.

    Args:
        n: Which piece.
    """
    return f"piece {n}"


class _ToolEveryTurn:
    """Each user message gets one call of `lookup`, then a short answer once its output is in."""

    def respond(self, context: ModelContext) -> list[Say | Call]:
        if context.items and isinstance(context.items[-1], FunctionCallOutputItem):
            return [Say("Done.")]
        return [Call("lookup", {"n": len(context.items)})]


@contextmanager
def collector_off() -> Iterator[list[Any]]:
    """Run the block with the cyclic collector off; afterwards the list holds what it then finds."""
    found: list[Any] = []
    gc.collect()
    gc.disable()
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def _session(agent: Agent, endpoint: Endpoint, turns: int) -> list[weakref.ref[Any]]:
    """One session with `turns` tool rounds; weak references to its parts, to see whether they go."""
    async with agent.connect(endpoint) as session:
        for _ in range(turns):
            await session.ask("Look it up.", timeout=10)
        parts: list[Any] = [session, session._engine, session._outbox, session._runner]
        refs = [weakref.ref(part) for part in parts]
    return refs


def _client_frames(garbage: list[Any]) -> list[str]:
    frames = [o for o in garbage if isinstance(o, FrameType)]
    return [
        f"{frame.f_code.co_name} ({frame.f_code.co_filename}:{frame.f_lineno})"
        for frame in frames
        if frame.f_code.co_filename.startswith(_CLIENT_CODE)
    ]


def _client_objects(garbage: list[Any]) -> list[str]:
    return sorted(type(o).__qualname__ for o in garbage if type(o).__module__.startswith(_CLIENT_MODULES))


async def test_a_closed_session_after_tool_rounds_leaves_no_cycles() -> None:
    async with LocalRealtimeServer(model=_ToolEveryTurn()) as server:
        endpoint = Endpoint.custom(server.url(Dialect.GA), api_key=server.api_key)
        agent = Agent("garbage", tools=[lookup], output_modalities=["text"])
        with anyio.fail_after(20):
            await _session(agent, endpoint, 1)  # first use fills caches (pydantic, loggers)
            with collector_off() as garbage:
                refs = await _session(agent, endpoint, 3)
                alive = [type(ref()).__name__ for ref in refs if ref() is not None]

    assert alive == []  # freed by reference counting alone, the moment the session closed
    assert _client_frames(garbage) == []  # no task of the session was cancelled at close
    assert _client_objects(garbage) == []
    cancelled = [o for o in garbage if isinstance(o, BaseException) and _client_frames(_frames_of(o))]
    assert cancelled == []


async def test_many_sessions_leave_no_more_garbage_than_one() -> None:
    """What is left (websockets' and asyncio's own cycles per socket) does not grow with tool rounds."""
    async with LocalRealtimeServer(model=_ToolEveryTurn()) as server:
        endpoint = Endpoint.custom(server.url(Dialect.GA), api_key=server.api_key)
        agent = Agent("garbage", tools=[lookup], output_modalities=["text"])
        with anyio.fail_after(30):
            await _session(agent, endpoint, 1)
            with collector_off() as short:
                await _session(agent, endpoint, 1)
            with collector_off() as long:
                await _session(agent, endpoint, 8)
    client_short = [o for o in short if not _is_server_side(o)]
    client_long = [o for o in long if not _is_server_side(o)]
    assert len(client_long) <= len(client_short) + 5, (len(client_short), len(client_long))
    # what is left is websockets' and asyncio's own cycles of one client socket (68 objects with
    # websockets 16); a task cancelled at close (the writer, websockets' keepalive) would add its
    # exception, traceback and frames
    assert len(client_short) <= 100, sorted({type(o).__qualname__ for o in client_short})
    assert [o for o in short if isinstance(o, (BaseException, TracebackType))] == []


def _frames_of(error: BaseException) -> list[Any]:
    frames: list[Any] = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _is_server_side(obj: Any) -> bool:
    module = type(obj).__module__
    return module.startswith(("agentkit.testing", "websockets.asyncio.server", "websockets.server"))


async def test_an_idle_session_runs_one_task_of_its_own() -> None:
    """Every live session is walked by each full collection: an idle one holds its reader and
    nothing more (a writer runs only while frames wait; the tool runner comes with the first call)."""
    async with LocalRealtimeServer(model=_ToolEveryTurn()) as server:
        endpoint = Endpoint.custom(server.url(Dialect.GA), api_key=server.api_key)
        agent = Agent("garbage", tools=[lookup], output_modalities=["text"])
        with anyio.fail_after(20):
            async with agent.connect(endpoint) as session:
                await session.send_text("Hello.", respond=False)
                await session._outbox.drained()
                await anyio.wait_all_tasks_blocked()
                names = sorted(
                    task.get_name() for task in asyncio.all_tasks() if "session" in task.get_name()
                )
                writers = [
                    task for task in asyncio.all_tasks() if task.get_name() == "agentkit outbox writer"
                ]
                assert session._runner is None
                await session.ask("Look it up.", timeout=10)
                assert session._runner is not None
    assert names == [f"session {session.id} connection"]
    assert writers == []
