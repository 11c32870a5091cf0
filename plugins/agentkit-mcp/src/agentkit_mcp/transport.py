"""Wraps an MCP transport so the end of the server's output is noticed at once.

The SDK fails pending calls when a stdio server exits, but tells nobody else; the supervisor
needs to know so it can report the stop and restart the server before the next call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio


@asynccontextmanager
async def watch_for_eof(
    transport: AbstractAsyncContextManager[Any], on_eof: Callable[[], None]
) -> AsyncIterator[tuple[Any, Any]]:
    """The same streams, with the incoming one relayed; `on_eof` runs when it ends."""
    async with transport as (incoming, outgoing):
        relay_in, relay_out = anyio.create_memory_object_stream[Any](0)

        async def relay() -> None:
            try:
                async with relay_in, incoming:
                    async for message in incoming:
                        await relay_in.send(message)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass
            on_eof()

        async with anyio.create_task_group() as group:
            group.start_soon(relay)
            try:
                yield relay_out, outgoing
            finally:
                group.cancel_scope.cancel()
                relay_out.close()
