"""A tool round under every fault the local server can inject: no crash, no hang, every call answered
exactly once, the conversation replayed after a reconnect, and no task or socket left behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import anyio
import pytest

from agentkit import Agent, SessionClosed, tool
from agentkit.connection import Endpoint
from agentkit.engine import Reconnected, Turn
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    ErrorDetail,
    FunctionCallOutputItem,
    MessageItem,
    ResponseFunctionCallArgumentsDone,
)
from agentkit.session import ReconnectPolicy
from agentkit.testing import Call, Faults, LocalRealtimeServer, ModelContext, Say, ServerConnection, Timing
from tests.reliability.leaks import no_leaks, wait_until

pytestmark = pytest.mark.anyio

FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)
ERROR_CODES = [
    "conversation_already_has_active_response",
    "response_cancel_not_active",
    "input_audio_buffer_commit_empty",
    "unknown_parameter",
    "missing_required_parameter",
    "invalid_value",
    "rate_limit_exceeded",
    "insufficient_quota",
    None,  # a server_error without a code
]
FINAL_CODES = ["beta_api_shape_disabled", "invalid_beta"]


def answer(context: ModelContext) -> Sequence[Say | Call]:
    """Stateless, so a replayed conversation gets the same answers: call once, then conclude."""
    last = context.items[-1] if context.items else None
    if isinstance(last, MessageItem) and last.role == "user":
        return [Say("Let me check that order for you."), Call("lookup", {"order_id": "A-1"})]
    return [Say("It has shipped.")]


class Lookup:
    """The tool, counting its runs; `gate` (when set) holds it until released."""

    def __init__(self, gate: anyio.Event | None = None) -> None:
        self.runs: Counter[str] = Counter()
        self.started = anyio.Event()
        self.gate = gate

        @tool
        async def lookup(order_id: str) -> str:
            """Find an order.

            Args:
                order_id: The order number.
            """
            self.runs[order_id] += 1
            self.started.set()
            if self.gate is not None:
                await self.gate.wait()
            return f"{order_id} shipped"

        self.tool = lookup


def outputs_per_connection(connection: ServerConnection) -> Counter[str]:
    return Counter(
        event.item.call_id
        for event in connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem)
    )


def assert_answered_once(server: LocalRealtimeServer, turn: Turn) -> None:
    issued = {
        event.call_id
        for connection in server.connections
        for event in connection.sent
        if isinstance(event, ResponseFunctionCallArgumentsDone)
    }
    for connection in server.connections:
        assert all(count == 1 for count in outputs_per_connection(connection).values()), connection
    last = outputs_per_connection(server.connections[-1])
    assert issued, "the model never called the tool"
    assert set(last) >= {call.call_id for call in turn.tool_calls if call.status == "ok"}
    assert Counter(call.call_id for call in turn.tool_calls).most_common(1)[0][1] == 1
    assert turn.text.endswith("It has shipped.")


async def tool_round(server: LocalRealtimeServer, lookup: Lookup, *, modalities: list[str]) -> Turn:
    agent = Agent("shop", tools=[lookup.tool], reconnect=FAST_RECONNECT, output_modalities=modalities)
    endpoint = Endpoint.custom(server.url(), dialect=Dialect.GA, api_key=server.api_key)
    async with agent.connect(endpoint) as session:
        return await session.ask("Where is A-1?", timeout=10)


@pytest.mark.parametrize(
    ("modalities", "drop_after", "cut_at"),
    [
        (["text"], 19, "response.function_call_arguments.delta"),
        (["audio"], 9, "response.output_audio"),
    ],
    ids=["mid-arguments", "mid-audio"],
)
async def test_a_drop_mid_response_ends_the_turn_then_the_next_one_runs_on_the_replay(
    modalities: list[str], drop_after: int, cut_at: str
) -> None:
    lookup = Lookup()
    agent = Agent("shop", tools=[lookup.tool], reconnect=FAST_RECONNECT, output_modalities=modalities)
    async with no_leaks():
        async with LocalRealtimeServer(model=_Model(), timing=Timing(audio_chunk_ms=50)) as server:
            server.faults = _OnFirstConnection(server, Faults(drop_after_events=drop_after))
            endpoint = Endpoint.custom(server.url(), dialect=Dialect.GA, api_key=server.api_key)
            with anyio.fail_after(20):
                async with agent.connect(endpoint) as session:
                    events = session.events()
                    cut = await session.ask("Where is A-1?", timeout=10)
                    async for event in events:
                        if isinstance(event, Reconnected):
                            break
                    turn = await session.ask("Where is A-1?", timeout=10)
        assert server.connections[0].sent[-1].kind.startswith(cut_at)
        # a call cut off mid-arguments is answered as cancelled, and never run
        assert all(call.status == "cancelled" for call in cut.tool_calls)
        assert len(server.connections) == 2
        assert_answered_once(server, turn)
        assert lookup.runs == {"A-1": 1}
        assert _replayed(server.connections[1])[0] == "user:Where is A-1?"


async def _drop(connection: ServerConnection) -> None:
    connection.drop()


async def _expire(connection: ServerConnection) -> None:
    await connection.expire()


@pytest.mark.parametrize("cut", [_drop, _expire], ids=["dropped", "session_expired"])
async def test_a_connection_lost_while_the_tool_runs_answers_it_once_after_the_replay(
    cut: Callable[[ServerConnection], Awaitable[None]],
) -> None:
    gate = anyio.Event()
    lookup = Lookup(gate)
    async with no_leaks(), LocalRealtimeServer(model=_Model()) as server:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                result: list[Turn] = []

                async def run() -> None:
                    result.append(await tool_round(server, lookup, modalities=["text"]))

                tg.start_soon(run)
                await lookup.started.wait()
                await cut(server.connections[0])
                await wait_until(lambda: len(server.connections) > 1 and bool(server.connections[1].received))
                gate.set()
        [turn] = result
        assert lookup.runs == {"A-1": 1}
        assert_answered_once(server, turn)
        assert "user:Where is A-1?" in _replayed(server.connections[1])


@pytest.mark.parametrize("fault", ["malformed_frame", "unknown_event"])
async def test_unreadable_and_unknown_frames_are_skipped(fault: str) -> None:
    lookup = Lookup()
    async with no_leaks(), LocalRealtimeServer(model=_Model(), faults=Faults(**{fault: True})) as server:
        with anyio.fail_after(10):
            turn = await tool_round(server, lookup, modalities=["text"])
        assert len(server.connections) == 1
        assert_answered_once(server, turn)


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_every_recoverable_error_code_leaves_the_round_intact(code: str | None) -> None:
    error_type = "server_error" if code is None else "invalid_request_error"
    detail = ErrorDetail(type=error_type, code=code, message=f"injected {code}")
    lookup = Lookup()
    async with no_leaks(), LocalRealtimeServer(model=_Model(), faults=Faults(error=detail)) as server:
        with anyio.fail_after(10):
            turn = await tool_round(server, lookup, modalities=["text"])
        assert_answered_once(server, turn)
        assert lookup.runs == {"A-1": 1}


@pytest.mark.parametrize("code", FINAL_CODES)
async def test_final_error_codes_end_the_session_with_a_clear_error(code: str) -> None:
    detail = ErrorDetail(type="invalid_request_error", code=code, message=f"injected {code}")
    lookup = Lookup()
    agent = Agent("shop", tools=[lookup.tool], reconnect=FAST_RECONNECT, output_modalities=["text"])
    async with no_leaks(), LocalRealtimeServer(model=_Model(), faults=Faults(error=detail)) as server:
        endpoint = Endpoint.custom(server.url(), dialect=Dialect.GA, api_key=server.api_key)
        with anyio.fail_after(10):
            async with agent.connect(endpoint) as session:
                cut = await session.ask("Where is A-1?", timeout=10)
                await wait_until(lambda: session.failure is not None)
                with pytest.raises(SessionClosed, match=code):
                    await session.ask("Again?", timeout=10)
        assert cut.tool_calls == ()
        assert len(server.connections) == 1  # reconnecting cannot help: no retry
        assert lookup.runs == {}


async def test_a_slow_server_is_waited_for() -> None:
    timing = Timing(event_delay=0.002, first_delta_delay=0.05, delta_delay=0.01)
    lookup = Lookup()
    async with no_leaks(), LocalRealtimeServer(model=_Model(), timing=timing) as server:
        with anyio.fail_after(20):
            turn = await tool_round(server, lookup, modalities=["text"])
        assert_answered_once(server, turn)


async def test_a_slow_consumer_does_not_stall_the_round() -> None:
    lookup = Lookup()
    agent = Agent("shop", tools=[lookup.tool], output_modalities=["audio"])
    async with no_leaks(), LocalRealtimeServer(model=_Model(), timing=Timing(audio_chunk_ms=20)) as server:
        endpoint = Endpoint.custom(server.url(), dialect=Dialect.GA, api_key=server.api_key)
        with anyio.fail_after(20):
            async with agent.connect(endpoint) as session, session.events(maxsize=4) as never_read:
                turn = await session.ask("Where is A-1?", timeout=10)
            assert never_read.dropped > 0 if hasattr(never_read, "dropped") else True
        assert_answered_once(server, turn)


# -- helpers -----------------------------------------------------------------------------------------


class _Model:
    def respond(self, context: ModelContext) -> Sequence[Say | Call]:
        return answer(context)


class _OnFirstConnection(Faults):
    """Faults for the first connection only, so the reconnected one runs clean."""

    def __init__(self, server: LocalRealtimeServer, faults: Faults) -> None:
        super().__init__()
        self._server = server
        self._faults = faults

    def __getattribute__(self, name: str) -> object:
        if name.startswith("_") or name == "take_one_shots":
            return super().__getattribute__(name)
        server = super().__getattribute__("_server")
        source = super().__getattribute__("_faults") if len(server.connections) <= 1 else Faults()
        return getattr(source, name)


def _replayed(connection: ServerConnection) -> list[str]:
    return [
        f"{event.item.role}:{event.item.text}"
        for event in connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, MessageItem)
    ]
