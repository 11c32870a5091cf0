"""The queue between everything that wants to send and the one task that writes to the socket.

Putting never waits, so the engine's actions are queued in the order it returned them, and frames
reach the wire in that order. Only the writer takes from it.
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

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: ClientEvent) -> None:
        self._queue.append(event)
        if self._empty.is_set():
            self._empty = anyio.Event()
        self._ready.set()

    async def next(self) -> ClientEvent:
        """The oldest queued event, left in place until `sent()` (so a failed send loses nothing)."""
        while not self._queue:
            self._ready = anyio.Event()
            await self._ready.wait()
        return self._queue[0]

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
