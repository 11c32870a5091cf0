"""Shared pieces for session tests: a local server per dialect, endpoints for it, and queries on
what a server connection received."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from agentkit.connection import Endpoint
from agentkit.engine import AppEvent
from agentkit.protocol import (
    ClientEvent,
    ConversationItemCreate,
    Dialect,
    FunctionCallOutputItem,
    ResponseCreate,
)
from agentkit.session import EventStream, ReconnectPolicy
from agentkit.testing import Faults, LocalRealtimeServer, RealtimeModel, ServerConnection, Timing

DIALECTS = [Dialect.GA, Dialect.PREVIEW, Dialect.VOICE_LIVE]
FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)

C = TypeVar("C", bound=ClientEvent)


def endpoint_for(server: LocalRealtimeServer, dialect: Dialect) -> Endpoint:
    if dialect is Dialect.VOICE_LIVE:
        return server.endpoint(dialect)
    flavor = "azure" if dialect is Dialect.PREVIEW else "openai"
    return Endpoint.custom(server.url(dialect, flavor), dialect=dialect, api_key=server.api_key)


@asynccontextmanager
async def local_server(
    model: RealtimeModel, *, faults: Faults | None = None, timing: Timing | None = None
) -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(model=model, faults=faults, timing=timing) as server:
        yield server


def of_type(events: Sequence[ClientEvent], kind: type[C]) -> list[C]:
    return [event for event in events if isinstance(event, kind)]


def outputs(connection: ServerConnection) -> dict[str, str]:
    """call_id -> output of every function_call_output the connection received."""
    found: dict[str, str] = {}
    for event in of_type(connection.received, ConversationItemCreate):
        if isinstance(event.item, FunctionCallOutputItem):
            assert event.item.call_id not in found, f"two outputs for {event.item.call_id}"
            found[event.item.call_id] = event.item.output
    return found


def kinds(connection: ServerConnection) -> list[str]:
    """What the connection received, as short labels: `output:<call_id>`, `create`, or the event kind."""
    labels: list[str] = []
    for event in connection.received:
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem):
            labels.append(f"output:{event.item.call_id}")
        elif isinstance(event, ResponseCreate):
            labels.append("create")
        else:
            labels.append(event.kind)
    return labels


def call_ids(connection: ServerConnection) -> list[str]:
    """The call ids the server handed out, in order."""
    from agentkit.protocol import ResponseFunctionCallArgumentsDone

    return [e.call_id for e in connection.sent if isinstance(e, ResponseFunctionCallArgumentsDone)]


def first(items: Sequence[Any]) -> Any:
    assert items, "expected at least one"
    return items[0]


E = TypeVar("E", bound=AppEvent)


async def next_of(stream: EventStream[AppEvent], kind: type[E]) -> E:
    """The next event of `kind` on the stream (an AssertionError if the stream ends first)."""
    async for event in stream:
        if isinstance(event, kind):
            return event
    raise AssertionError(f"the stream ended before a {kind.__name__}")
