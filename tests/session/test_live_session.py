"""GPT-Live over a real WebSocket (the local server's `/v1/live/sessions`): the agent's tools on
delegated calls, each answered exactly once; the service's own barge-in; a drop and a new service
session with the history; and nothing sent that GPT-Live does not have."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import anyio
import pytest

from agentkit import Agent, ReconnectPolicy
from agentkit.engine import AppEvent, Interrupted, Reconnected, ToolCallFinished, TranscriptDelta, TurnDone
from agentkit.engine.duplex import DelegatedTask
from agentkit.protocol import live
from agentkit.session import EventStream
from agentkit.session.live_session import LIVE_COMMANDS, LiveMessage, LiveSession
from agentkit.testing import LocalRealtimeServer, Timing
from agentkit.testing.audio import spoken
from agentkit.testing.gpt_live_route import LiveServerConnection
from agentkit.testing.models import ModelContext, Output, Say

pytestmark = pytest.mark.anyio

LONG_LINE = " ".join(f"word{n}" for n in range(60))


def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order by its id and say its status."""
    return {"order_id": order_id, "status": "shipped"}


def broken_lookup(order_id: str) -> str:
    """Look up an order by its id and say its status."""
    raise RuntimeError("the order database is down")


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(hearing=None) as server:
        yield server


def _session(agent: Agent, server: LocalRealtimeServer, **options: object) -> LiveSession:
    return LiveSession(agent, server.live_endpoint(), turn_quiet=0.1, **options)  # type: ignore[arg-type]


async def _turn(events: EventStream[AppEvent], seen: list[AppEvent] | None = None) -> TurnDone:
    with anyio.fail_after(10):
        async for event in events:
            if seen is not None:
                seen.append(event)
            if isinstance(event, TurnDone):
                return event
    raise AssertionError("the session ended before the turn did")


def _asked_only_what_gpt_live_has(connection: LiveServerConnection) -> None:
    kinds = [frame["type"] for frame in connection.received]
    assert kinds[0] == "session.start"
    assert set(kinds[1:]) <= LIVE_COMMANDS
    assert not set(kinds) & live.REALTIME_ONLY_COMMANDS


async def test_a_tool_round_runs_the_agents_tool_and_answers_the_call_once(
    server: LocalRealtimeServer,
) -> None:
    agent = Agent("shop", "Help with orders.", tools=[lookup_order])
    async with agent.connect(server.live_endpoint()) as session:
        assert isinstance(session, LiveSession)
        async with session.events() as events:
            await session.send_audio(spoken("Please look up order A-1001"))
            done = await _turn(events)
    turn = done.turn
    assert [(call.name, call.status) for call in turn.tool_calls] == [("lookup_order", "ok")]
    assert json.loads(turn.tool_calls[0].arguments) == {"order_id": "A-1001"}
    assert "shipped" in turn.text
    assert turn.user_input == "Please look up order A-1001"
    [connection] = server.live_connections
    assert connection.service.open_calls == {}
    assert [json.loads(output)["status"] for output in connection.service.outputs.values()] == ["shipped"]
    outputs = [frame for frame in connection.received if frame["type"] == "response.item.create"]
    assert len(outputs) == 1
    delegation = connection.received[0]["session"]["delegation"]["responses"]
    assert [tool["name"] for tool in delegation["tools"]] == ["lookup_order"]
    _asked_only_what_gpt_live_has(connection)
    assert connection.received[-1]["type"] == "session.close"


async def test_a_failing_tool_still_answers_its_call_once(server: LocalRealtimeServer) -> None:
    agent = Agent("shop", tools=[broken_lookup])
    async with _session(agent, server) as session, session.events() as events:
        await session.send_audio(spoken("Please look up order A-1002"))
        turn = (await _turn(events)).turn
    [call] = turn.tool_calls
    assert call.status == "error"
    assert "the order database is down" in call.output
    [connection] = server.live_connections
    assert list(connection.service.outputs.values()) == [call.output]
    assert connection.service.open_calls == {}


async def test_a_call_running_at_close_is_answered_as_cancelled_before_the_session_closes(
    server: LocalRealtimeServer,
) -> None:
    started = anyio.Event()

    async def slow_lookup(order_id: str) -> str:
        """Look up an order by its id and say its status."""
        started.set()
        await anyio.sleep_forever()
        return "never"

    agent = Agent("shop", tools=[slow_lookup])
    seen: list[AppEvent] = []
    async with _session(agent, server) as session:
        events = session.events()
        await session.send_audio(spoken("Please look up order A-1003"))
        with anyio.fail_after(10):
            await started.wait()
    async for event in events:
        seen.append(event)
    [connection] = server.live_connections
    [output] = connection.service.outputs.values()
    assert "cancelled" in output
    assert connection.service.open_calls == {}
    kinds = [frame["type"] for frame in connection.received]
    assert kinds.index("response.item.create") < kinds.index("session.close")
    [finished] = [event for event in seen if isinstance(event, ToolCallFinished)]
    assert finished.status == "cancelled"


class _TalksLong:
    """Says a long line first, then a short one (a model the local GPT-Live speaks with)."""

    def __init__(self) -> None:
        self.turns = 0

    def respond(self, context: ModelContext) -> Sequence[Output]:
        self.turns += 1
        return [Say(LONG_LINE if self.turns == 1 else "Sure, the short answer.")]


async def test_speech_over_the_service_interrupts_it_without_any_cancel_or_truncate() -> None:
    paced = Timing(delta_delay=0.05)
    async with LocalRealtimeServer(hearing=None, model=_TalksLong(), timing=paced) as server:
        async with _session(Agent("talker"), server) as session, session.events() as events:
            await session.send_audio(spoken("Tell me a long story"))
            with anyio.fail_after(10):
                async for event in events:
                    if isinstance(event, TranscriptDelta):
                        break
            await session.send_audio(spoken("Stop, just the short answer"))
            seen: list[AppEvent] = []
            first = await _turn(events, seen)
            second = await _turn(events, seen)
        [connection] = server.live_connections
    assert any(isinstance(event, Interrupted) for event in seen)
    assert first.turn.interrupted
    assert first.turn.text
    assert first.turn.text != LONG_LINE
    assert second.turn.text == "Sure, the short answer."
    assert connection.interruptions == 1
    kept = [item.text for item in connection.service.items if getattr(item, "role", "") == "assistant"]
    assert kept[0] == first.turn.text  # only what was said stays in the service's context
    _asked_only_what_gpt_live_has(connection)


async def test_a_drop_starts_a_new_service_session_with_the_history(server: LocalRealtimeServer) -> None:
    agent = Agent("shop", tools=[lookup_order], reconnect=ReconnectPolicy(initial_delay=0.01))
    async with _session(agent, server) as session, session.events() as events:
        await session.send_audio(spoken("Please look up order A-1001"))
        first = await _turn(events)
        await server.live_connections[0].drop()
        with anyio.fail_after(10):
            async for event in events:
                if isinstance(event, Reconnected):
                    break
        await session.send_audio(spoken("Thanks, that is all"))
        await _turn(events)
        history = session.history()
    assert len(server.live_connections) == 2
    started = server.live_connections[1].received[0]["session"]
    assert started["input"][0] == LiveMessage("user", "Please look up order A-1001").wire()
    assert started["input"][-1] == LiveMessage("assistant", first.turn.text).wire()
    assert any(message.role == "developer" and "shipped" in message.text for message in history)
    assert history[-1].role == "assistant"


async def test_history_given_at_connect_is_the_startup_input(server: LocalRealtimeServer) -> None:
    earlier = [LiveMessage("user", "My name is Ada."), LiveMessage("assistant", "Hello Ada.")]
    async with Agent("shop").connect(server.live_endpoint(), history=earlier):
        pass
    [connection] = server.live_connections
    assert connection.received[0]["session"]["input"] == [message.wire() for message in earlier]
    assert [item.text for item in connection.service.items] == ["My name is Ada.", "Hello Ada."]


async def test_a_result_for_an_unknown_call_is_refused_with_an_error_event(
    server: LocalRealtimeServer,
) -> None:
    endpoint = server.live_endpoint()
    connection = await endpoint.connect()
    try:
        responses = {"type": "responses", "responses": {"model": "gpt-5.5"}}
        await connection.send_text(json.dumps(endpoint.start_frame({"delegation": responses})))
        assert isinstance(live.decode_live(await connection.recv_frame()), live.LiveSessionStarted)
        for frame in live.function_call_output("call_never_delegated", "{}")[:1]:
            await connection.send_text(json.dumps(frame))
        error = live.decode_live(await connection.recv_frame())
    finally:
        await connection.close()
    assert isinstance(error, live.LiveErrorEvent)
    assert error.error.code == "unknown_call"


async def test_a_refused_session_start_is_a_handshake_error(server: LocalRealtimeServer) -> None:
    from agentkit.connection import HandshakeError

    session = LiveSession(Agent("shop"), server.live_endpoint(), voice="marin")
    session._start_frame = lambda: {"type": "session.start", "session": {"model": "m", "bogus": 1}}  # type: ignore[method-assign]
    with pytest.raises(HandshakeError, match="unknown_parameter"):
        async with session:
            pass


async def test_client_delegation_runs_the_agents_tools_and_gives_one_spoken_result(
    server: LocalRealtimeServer,
) -> None:
    server.live_delegations["order"] = ("lookup", "{}")  # the live model hands order questions over
    seen: list[DelegatedTask] = []

    async def delegate(task: DelegatedTask) -> str:
        seen.append(task)
        outcome = await task.run_tool("lookup_order", {"order_id": "A-1001"})
        return f"Tell the user: {json.loads(outcome.output)['status']}."

    agent = Agent("shop", tools=[lookup_order])
    async with _session(agent, server, client_delegate=delegate) as session, session.events() as events:
        await session.send_audio(spoken("Any news on my parcel, order A-2001?"))
        turn = (await _turn(events)).turn
    [connection] = server.live_connections
    assert connection.received[0]["session"]["delegation"] == {"type": "client"}
    [task] = seen
    assert task.transcript == "Any news on my parcel, order A-2001?"
    assert [(call.name, call.status) for call in turn.tool_calls] == [("lookup_order", "ok")]
    assert connection.service.results == {task.id: ("commentary", "Tell the user: shipped.")}
    assert "Tell the user: shipped." in turn.text
    assert connection.service.open_delegations == set()
    _asked_only_what_gpt_live_has(connection)


async def test_a_failing_or_missing_delegate_still_answers_each_delegation_once(
    server: LocalRealtimeServer,
) -> None:
    server.live_delegations["order"] = ("lookup", "{}")

    async def broken(task: DelegatedTask) -> str:
        raise RuntimeError("backend down")

    async with _session(Agent("shop"), server, client_delegate=broken) as session, session.events() as events:
        await session.send_audio(spoken("Any news on my parcel, order A-2002?"))
        failed = (await _turn(events)).turn
    async with _session(Agent("shop"), server) as session, session.events() as events:
        await session.send_audio(spoken("Any news on my parcel, order A-2003?"))
        unanswered = (await _turn(events)).turn
    first, second = (connection.service.results for connection in server.live_connections)
    [(channel, content)] = first.values()
    assert channel == "commentary"
    assert "could not be done" in content
    assert "backend down" not in content  # the error is logged, not told to the model
    assert "could not be done" in failed.text
    [(channel, content)] = second.values()
    assert channel == "thinking"  # no delegate: a silent "answer it yourself"
    assert unanswered.text == ""


async def test_a_delegation_running_at_close_is_answered_silently_before_the_close(
    server: LocalRealtimeServer,
) -> None:
    server.live_delegations["order"] = ("lookup", "{}")
    started = anyio.Event()

    async def slow(task: DelegatedTask) -> str:
        started.set()
        await anyio.sleep_forever()
        return "never"

    async with _session(Agent("shop"), server, client_delegate=slow) as session:
        await session.send_audio(spoken("Any news on my parcel, order A-2004?"))
        with anyio.fail_after(10):
            await started.wait()
    [connection] = server.live_connections
    [(channel, content)] = connection.service.results.values()
    assert (channel, "session closed" in content) == ("thinking", True)
    kinds = [frame["type"] for frame in connection.received]
    assert kinds.index("session.thinking.append") < kinds.index("session.close")


async def test_an_expired_service_session_is_continued_in_a_new_one(server: LocalRealtimeServer) -> None:
    agent = Agent("shop", tools=[lookup_order], reconnect=ReconnectPolicy(initial_delay=0.01))
    async with _session(agent, server) as session, session.events() as events:
        await session.send_audio(spoken("Please look up order A-1001"))
        await _turn(events)
        await server.live_connections[0].end("expired")
        with anyio.fail_after(10):
            async for event in events:
                if isinstance(event, Reconnected):
                    break
    assert len(server.live_connections) == 2
    assert server.live_connections[1].received[0]["session"]["input"][0]["role"] == "user"


async def test_a_service_hang_up_ends_the_session_with_its_reason(server: LocalRealtimeServer) -> None:
    from agentkit.session import SessionClosed

    async with _session(Agent("shop"), server) as session:
        events = session.events()
        await server.live_connections[0].end("remote_hangup")
        with anyio.fail_after(10), pytest.raises(SessionClosed, match="remote_hangup"):
            async for _ in events:
                pass
        assert session.closed
        assert isinstance(session.failure, SessionClosed)
    assert len(server.live_connections) == 1
