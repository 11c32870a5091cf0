"""The queue between everything that wants to send and the socket, with a writer only while it has work.

Putting never waits, so the engine's actions are queued in the order they were returned, and frames
reach the wire in that order. A writer task is started when something is queued for an attached
connection and ends by itself once the queue is empty: an idle session holds no writer, no task
group and no wake-up event, which matters when thousands of idle sessions are what every full
garbage collection walks. The writer is never cancelled in the ordinary course (a cancelled task
leaves a cycle of exception, traceback and frames for the collector); only a send that still hangs
after its connection was closed is.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from agentkit.connection import ConnectionClosed
from agentkit.protocol import ClientEvent

logger = logging.getLogger("agentkit.session")

Send = Callable[[ClientEvent], Awaitable[None]]


class Outbox:
    __slots__ = ("__weakref__", "_drained", "_queue", "_send", "_writer")

    def __init__(self) -> None:
        self._queue: deque[ClientEvent] = deque()
        self._send: Send | None = None
        """The attached connection's `send` (None while there is none: events wait in the queue)."""
        self._writer: asyncio.Task[None] | None = None
        self._drained: anyio.Event | None = None
        """Created only while someone waits for the queue to empty."""

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: ClientEvent) -> None:
        self._queue.append(event)
        if self._writer is None and self._send is not None:
            self._start(self._send)

    def attach(self, send: Send) -> None:
        """A new connection takes what is queued and what comes."""
        self._send = send
        if self._queue and self._writer is None:
            self._start(send)

    def detach(self) -> asyncio.Task[None] | None:
        """The connection is ending: the writer stops after the send in flight. Returns it while it
        still runs (see `finish`)."""
        self._send = None
        writer, self._writer = self._writer, None
        return writer if writer is not None and not writer.done() else None

    @staticmethod
    async def finish(writer: asyncio.Task[None], grace: float) -> None:
        """Wait for a detached writer's last send (its connection closed, it fails fast); a send that
        still hangs after `grace` seconds is cancelled."""
        with anyio.move_on_after(grace, shield=True):
            await asyncio.wait((writer,))
        writer.cancel()

    def clear(self) -> None:
        """Forget what was not sent (the connection is gone; the engine replays what matters)."""
        self._queue.clear()
        self._wake_drained()

    async def drained(self) -> None:
        """Wait until everything queued so far was written (or forgotten)."""
        if not self._queue:
            return
        if self._drained is None:
            self._drained = anyio.Event()
        await self._drained.wait()

    def _start(self, send: Send) -> None:
        loop = asyncio.get_running_loop()
        self._writer = loop.create_task(self._write(send), name="agentkit outbox writer")

    async def _write(self, send: Send) -> None:
        queue = self._queue
        try:
            while queue and self._send is send:
                event = queue[0]
                try:
                    await send(event)
                except ConnectionClosed:
                    return  # the reader sees the close too, and reports it
                except Exception:  # a frame that cannot be sent never will be: not a reason to stop
                    logger.exception("could not send a %s; it was dropped", event.kind)
                if queue and queue[0] is event:  # unless `clear` forgot it meanwhile
                    queue.popleft()
                del event
        finally:
            if self._send is send:
                self._writer = None
            if not queue:
                self._wake_drained()

    def _wake_drained(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None:
            drained.set()
