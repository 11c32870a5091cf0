"""Fan-out of a session's events to whoever listens, in bounded buffers.

A subscription buffers only while it exists, so a session nobody iterates keeps no events at all.
Each subscription holds at most `maxsize` events; when a slow consumer falls behind, the oldest
are dropped and counted, and an app-event subscription yields one `EventsDropped` notice before
the next event it delivers. The session's reader never waits for a consumer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio

from agentkit.engine import AppEvent
from agentkit.session.errors import SessionClosed

T = TypeVar("T")

DEFAULT_BUFFER = 1024
"""Events one subscription holds before it starts dropping the oldest (about 20 s of audio chunks)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolProgress(AppEvent):
    """A running tool reported progress (`ToolContext.report_progress`)."""

    call_id: str
    name: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventsDropped(AppEvent):
    """This subscription fell behind and lost `count` events (the oldest ones)."""

    count: int


class EventStream(Generic[T]):
    """One subscription: `async for event in stream`, or `async with stream:` to end it early.

    Iteration ends when the session closes normally and raises `SessionClosed` when it failed.
    """

    def __init__(
        self,
        hub: Broadcast[T],
        maxsize: int,
        notice: Callable[[int], T] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"an event buffer must hold at least one event, got {maxsize}")
        self._hub = hub
        self._buffer: deque[T] = deque()
        self._maxsize = maxsize
        self._notice = notice
        self._wakeup = anyio.Event()
        self.dropped = 0
        """Events lost to a full buffer since the last notice (all of them, without a notice)."""

    def push(self, item: T) -> None:
        if len(self._buffer) >= self._maxsize:
            self._buffer.popleft()
            self.dropped += 1
        self._buffer.append(item)
        self._wakeup.set()

    def __len__(self) -> int:
        """Events buffered and not taken yet."""
        return len(self._buffer)

    def wake(self) -> None:
        self._wakeup.set()

    def close(self) -> None:
        """Stop buffering; iteration then ends."""
        self._hub.unsubscribe(self)
        self._buffer.clear()
        self._wakeup.set()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self not in self._hub.subscribers:
                if self._hub.failure is not None:
                    raise SessionClosed(str(self._hub.failure)) from self._hub.failure
                raise StopAsyncIteration
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        if self.dropped and self._notice is not None:
            count, self.dropped = self.dropped, 0
            return self._notice(count)
        return self._buffer.popleft()

    async def __aenter__(self) -> EventStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Broadcast(Generic[T]):
    """Hands every published item to every live subscription; costs nothing with none."""

    def __init__(self) -> None:
        self.subscribers: list[EventStream[T]] = []
        self.failure: BaseException | None = None
        self.ended = False

    def subscribe(
        self, maxsize: int = DEFAULT_BUFFER, notice: Callable[[int], T] | None = None
    ) -> EventStream[T]:
        stream = EventStream(self, maxsize, notice)
        if not self.ended:
            self.subscribers.append(stream)
        return stream

    def unsubscribe(self, stream: EventStream[T]) -> None:
        if stream in self.subscribers:
            self.subscribers.remove(stream)

    def publish(self, item: T) -> None:
        for stream in self.subscribers:
            stream.push(item)

    def end(self, failure: BaseException | None = None) -> None:
        """No more items: buffered ones are still delivered, then iteration ends (or raises)."""
        self.ended = True
        self.failure = failure
        subscribers, self.subscribers = self.subscribers, []
        for stream in subscribers:
            stream.wake()
