"""Running a long-lived command until Ctrl-C or SIGTERM, with a clean exit on every Python version.

On Python 3.10 a Ctrl-C inside `anyio.run` surfaces as `CancelledError` rather than
`KeyboardInterrupt`; receiving the signals ourselves makes the shutdown an ordinary cancellation.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Awaitable, Callable

import anyio


async def until_signalled(main: Callable[[], Awaitable[object]]) -> bool:
    """Run `main` until it returns or the process gets SIGINT / SIGTERM, then return normally;
    True when a signal stopped it."""
    signalled = False
    failure: Exception | None = None
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            nonlocal signalled
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    signalled = True
                    group.cancel_scope.cancel()
                    return

        if sys.platform != "win32":  # no signal receiver there: Ctrl-C is a KeyboardInterrupt
            group.start_soon(watch)
        try:
            await main()
        except Exception as exc:  # raised below as itself, not inside the task group's ExceptionGroup
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return signalled


def run_until_signalled(main: Callable[[], Awaitable[object]]) -> None:
    """`anyio.run` of `until_signalled(main)`, treating a stray KeyboardInterrupt as a normal stop."""
    try:
        anyio.run(until_signalled, main)
    except KeyboardInterrupt:
        pass
