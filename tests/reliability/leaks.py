"""Counting what a test leaves behind: asyncio tasks and open file descriptors (sockets included)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


@asynccontextmanager
async def no_leaks(settle: float = 5.0) -> AsyncIterator[None]:
    """Fail unless, within `settle` seconds after the block, tasks and fds are back to where they were."""
    tasks, fds = len(asyncio.all_tasks()), open_fds()
    yield
    try:
        with anyio.fail_after(settle):
            await wait_until(lambda: len(asyncio.all_tasks()) <= tasks and open_fds() <= fds)
    except TimeoutError:
        left = [task.get_name() for task in asyncio.all_tasks()]
        raise AssertionError(
            f"leaked: tasks {len(left)} (was {tasks}): {left}; fds {open_fds()} (was {fds})"
        ) from None


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition nothing signals (a count, a list); callers bound it with `anyio.fail_after`."""
    while not condition():  # noqa: ASYNC110
        await anyio.sleep(0.01)
