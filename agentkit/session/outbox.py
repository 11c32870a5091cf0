"""The queue between everything that wants to send and the one task that writes to the socket.

Putting never waits, so the engine's actions are queued in the order it returned them, and frames
reach the wire in that order. Only the writer takes from it, and it ends when told to (`stop`), not
by cancellation: a cancelled task leaves a cycle of exception, traceback and frames for the garbage
collector, and a server with thousands of sessions pays for every one of them.
"""

from __future__ import annotations

from collections import deque

import anyio

from agentkit.protocol import ClientEvent


class Outbox:
    def __init__(self) -> None:
        self._queue: deque[ClientEvent] = deque()
        self._ready = anyio.Event()
        self._empty = anyio.Event()
        self._empty.set()
        self._stopped = False

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: ClientEvent) -> None:
        self._queue.append(event)
        if self._empty.is_set():
            self._empty = anyio.Event()
        self._ready.set()

    async def next(self) -> ClientEvent | None:
        """The oldest queued event, left in place until `sent()` (so a failed send loses nothing);
        None once `stop()` was called: the writer returns."""
        while not self._queue and not self._stopped:
            self._ready = anyio.Event()
            await self._ready.wait()
        return None if self._stopped else self._queue[0]

    def start(self) -> None:
        """A new writer takes over (a new connection)."""
        self._stopped = False

    def stop(self) -> None:
        """The writer's connection is ending: its `next()` returns None, now or when it next asks."""
        self._stopped = True
        self._ready.set()

    def sent(self) -> None:
        self._queue.popleft()
        if not self._queue:
            self._empty.set()

    def clear(self) -> None:
        """Forget what was not sent (the connection is gone; the engine replays what matters)."""
        self._queue.clear()
        self._empty.set()

    async def drained(self) -> None:
        """Wait until everything queued so far was written."""
        await self._empty.wait()
