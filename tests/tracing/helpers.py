"""Shared values for tracing tests."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.engine import (
    AppEvent,
    AudioChunk,
    ResponseFinished,
    ResponseStarted,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    TranscriptDelta,
    Turn,
    TurnDone,
    TurnStarted,
)
from agentkit.observer import SessionInfo
from agentkit.protocol import Dialect, TokenDetails, Usage
from agentkit.tracing import TracingObserver

INFO = SessionInfo(
    agent_name="support",
    provider="azure.ai.openai",
    model="gpt-realtime",
    session_id="sess_local_1",
    dialect=Dialect.GA,
    server_session_id="sess_server_9",
)

T0 = 1000.0
SECRET = "sk-test-0123456789abcdef-very-secret"
USAGE = Usage(
    total_tokens=130,
    input_tokens=100,
    output_tokens=30,
    input_token_details=TokenDetails(text_tokens=60, audio_tokens=40, cached_tokens=20),
    output_token_details=TokenDetails(text_tokens=10, audio_tokens=20),
)


def turn_done(at: float, *, interrupted: bool = False, calls: int = 0, responses: int = 1) -> TurnDone:
    records = tuple(ToolCallRecord(f"c{i}", "lookup", "{}", "{}", "ok") for i in range(calls))
    turn = Turn(
        user_input="hi",
        text="hello",
        tool_calls=records,
        usage=USAGE,
        interrupted=interrupted,
        response_ids=tuple(f"r{i}" for i in range(responses)),
        started_at=T0,
        ended_at=at,
    )
    return TurnDone(time=at, turn=turn)


def call(call_id: str, at: float, name: str = "lookup_order", response: str = "r1") -> ToolCallStarted:
    return ToolCallStarted(
        time=at, call_id=call_id, name=name, arguments='{"order_id": "A-10"}', response_id=response
    )


def finished(call_id: str, at: float, status: str = "ok", name: str = "lookup_order") -> ToolCallFinished:
    return ToolCallFinished(
        time=at,
        call_id=call_id,
        name=name,
        arguments='{"order_id": "A-10"}',
        output=f'{{"status": "shipped", "note": "{SECRET}"}}',
        status=status,
    )


def two_parallel_calls() -> list[AppEvent]:
    return [
        TurnStarted(time=T0),
        ResponseStarted(time=T0 + 0.1, response_id="r1"),
        AudioChunk(time=T0 + 0.2, response_id="r1", item_id="i1", audio="AAAA"),
        call("c1", T0 + 0.3),
        call("c2", T0 + 0.35, name="track_parcel"),
        ResponseFinished(time=T0 + 0.5, response_id="r1", status="completed", usage=USAGE),
        finished("c1", T0 + 0.6),
        finished("c2", T0 + 0.7, name="track_parcel"),
        ResponseStarted(time=T0 + 0.75, response_id="r2"),
        TranscriptDelta(time=T0 + 0.8, response_id="r2", item_id="i2", delta="It shipped"),
        ResponseFinished(time=T0 + 0.9, response_id="r2", status="completed", usage=USAGE),
        turn_done(T0 + 0.9, calls=2, responses=2),
    ]


def feed(observer: TracingObserver, events: Sequence[AppEvent]) -> None:
    for event in events:
        observer.on_event(event)
