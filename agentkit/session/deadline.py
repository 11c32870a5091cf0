"""A session's one timer: calls back at the engine's next deadline, without a task of its own.

A task that sleeps until a deadline costs a dozen objects per session and two wake-ups per tool
round, and must be cancelled when the session ends; a timer handle on the event loop costs one
object and is simply cancelled. The callback is held only while armed, so the timer keeps no
reference to its owner (a session freed by reference counting, see tests/session/test_garbage.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class DeadlineTimer:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._handle: asyncio.TimerHandle | None = None
        self.deadline: float | None = None
        """When the armed callback is due (by `clock`), or None when nothing is armed."""

    def arm(self, deadline: float | None, callback: Callable[[], None]) -> None:
        """Call `callback` at `deadline` instead of any earlier arming (None: just disarm)."""
        self.cancel()
        if deadline is None:
            return
        loop = asyncio.get_running_loop()
        self.deadline = deadline
        self._handle = loop.call_at(loop.time() + max(0.0, deadline - self._clock()), self._fire, callback)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.deadline = None

    def _fire(self, callback: Callable[[], None]) -> None:
        self._handle = None
        self.deadline = None
        callback()
