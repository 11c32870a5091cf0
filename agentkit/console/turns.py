"""Taking turns from a line-based source: send a line, show the turn's events until it is done.

Reading goes through one event subscription for the whole conversation, so nothing the session
says between turns is lost and the view always finishes a turn before the next prompt appears.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import AsyncIterator, Callable
from typing import Protocol, TextIO

import anyio

from agentkit.engine import AppEvent, Turn, TurnDone
from agentkit.session import EventStream, SessionClosed

EventHook = Callable[[AppEvent], None]


class Conversation(Protocol):
    """What `converse` talks to: a `Session`, or anything that takes a user line and gives events."""

    async def send_text(self, text: str) -> None: ...

    def events(self) -> EventStream[AppEvent]: ...


class TurnView(Protocol):
    """Shows a conversation (`ChatView` is one)."""

    def user(self, text: str) -> None: ...

    def show(self, event: AppEvent) -> None: ...


async def follow_turn(
    events: EventStream[AppEvent], view: TurnView | None = None, on_event: EventHook | None = None
) -> Turn:
    """Show events (and hand them to `on_event`) until the next turn is done; returns that turn."""
    async for event in events:
        if view is not None:
            view.show(event)
        if on_event is not None:
            on_event(event)
        if isinstance(event, TurnDone):
            return event.turn
    raise SessionClosed("the session ended before the turn did")


async def converse(
    session: Conversation,
    lines: AsyncIterator[str],
    view: TurnView | None = None,
    *,
    turn_timeout: float = 120.0,
    echo: bool = False,
    on_event: EventHook | None = None,
    on_turn: Callable[[Turn], None] | None = None,
) -> int:
    """Send each non-blank line as a user turn and show it; returns how many turns were taken.

    `echo` shows each line as the user's words first (input that a terminal did not echo). Raises
    `TimeoutError` when a turn takes longer than `turn_timeout` seconds.
    """
    taken = 0
    async with session.events() as events:
        async for line in lines:
            text = line.strip()
            if not text:
                continue
            if echo and view is not None:
                view.user(text)
            await session.send_text(text)
            try:
                with anyio.fail_after(turn_timeout):
                    turn = await follow_turn(events, view, on_event)
            except TimeoutError:
                raise TimeoutError(f"no complete answer within {turn_timeout} s") from None
            taken += 1
            if on_turn is not None:
                on_turn(turn)
    return taken


async def read_lines(source: TextIO | None = None, prompt: str | None = None) -> AsyncIterator[str]:
    """Lines from `source` (default stdin) until end of input, read in a worker thread.

    With a `prompt` and a terminal on stdin, `input()` reads (so line editing works) and Ctrl-D ends.
    """
    stream = sys.stdin if source is None else source
    use_input = prompt is not None and stream is sys.stdin and stream.isatty()

    def read() -> str | None:
        if use_input:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = stream.readline()
        return line if line else None

    while True:
        line = await _read_in_daemon_thread(read)
        if line is None:
            return
        yield line


async def _read_in_daemon_thread(read: Callable[[], str | None]) -> str | None:
    """`read()` in a daemon thread of its own, so a read still blocked when the program stops (Ctrl-C
    at the prompt) neither keeps the process alive until Enter nor fails at exit. The awaiting
    worker is released on cancellation; the reader itself ends with the process."""
    results: queue.SimpleQueue[tuple[bool, object]] = queue.SimpleQueue()

    def reader() -> None:
        try:
            results.put((True, read()))
        except BaseException as exc:  # handed to the awaiting task, raised there
            results.put((False, exc))

    threading.Thread(target=reader, name="agentkit-console-input", daemon=True).start()
    try:
        ok, value = await anyio.to_thread.run_sync(results.get, abandon_on_cancel=True)
    except BaseException:
        results.put((False, None))  # wakes the abandoned worker, which would block exit otherwise
        raise
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    assert value is None or isinstance(value, str)
    return value


async def lines_of(texts: list[str]) -> AsyncIterator[str]:
    """A fixed script as a line source (for demos and tests)."""
    for text in texts:
        yield text
