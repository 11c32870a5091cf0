"""Drain before the web server stops: a SIGTERM handler chained in front of the server's own.

uvicorn (and servers like it) close every WebSocket at once on SIGTERM, cutting turns off mid-way.
Installed from the ASGI lifespan startup, this handler drains the relay first (`Relay.drain`: turns
finish, clients are told to resume elsewhere) and then hands the signal to the server's handler,
which shuts down as usual. A second SIGTERM goes to the server's handler at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

logger = logging.getLogger("agentkit.relay")

Drain = Callable[[float], Awaitable[None]]


def drain_on_sigterm(drain: Drain, grace_seconds: float) -> bool:
    """Chain `drain(grace_seconds)` in front of this process's SIGTERM handler; False when it cannot
    be (not on the main thread, or no Python handler to hand the signal on to)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return False
    loop = asyncio.get_running_loop()
    started = False
    tasks: set[asyncio.Task[None]] = set()

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal started
        if started:
            previous(signum, frame)
            return
        started = True
        task = loop.create_task(_drain_then(drain, grace_seconds, previous, signum))
        tasks.add(task)  # kept until done, so it is not collected mid-drain
        task.add_done_callback(tasks.discard)

    signal.signal(signal.SIGTERM, handler)
    return True


async def _drain_then(drain: Drain, grace_seconds: float, previous: Callable[..., Any], signum: int) -> None:
    try:
        await drain(grace_seconds)
    except Exception:
        logger.exception("relay: the drain failed; stopping anyway")
    finally:
        previous(signum, None)
