"""Every fault the local server can inject, and what the session makes of it."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.engine import ErrorReported, Reconnected, ResponseFinished, ToolCallFinished, TurnDone
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    ErrorDetail,
    FunctionCallItem,
    FunctionCallOutputItem,
    MessageItem,
    ProtocolError,
    SessionUpdate,
    UnknownEvent,
)
from agentkit.session import ReconnectPolicy
from agentkit.testing import Call, Faults, Say, ScriptedModel, Timing
from tests.session.helpers import (
    DIALECTS,
    FAST_RECONNECT,
    call_ids,
    endpoint_for,
    kinds,
    local_server,
    next_of,
    outputs,
)

pytestmark = pytest.mark.anyio


def replayed(connection_received: list[object]) -> list[str]:
    """What a new connection was given back: item kinds with their text or call id."""
    out: list[str] = []
    for event in connection_received:
        if isinstance(event, ConversationItemCreate):
            item = event.item
            if isinstance(item, MessageItem):
                out.append(f"{item.role}:{item.text}")
            elif isinstance(item, FunctionCallItem):
                out.append(f"call:{item.call_id}")
            elif isinstance(item, FunctionCallOutputItem):
                out.append(f"output:{item.call_id}")
    return out


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_malformed_and_unknown_frames_are_skipped(dialect: Dialect) -> None:
    faults = Faults(malformed_frame=True, unknown_event=True)
    async with local_server(ScriptedModel([[Say("Fine.")]]), faults=faults) as server:
        with anyio.fail_after(10):
            async with Agent("a").connect(endpoint_for(server, dialect)) as session:
                raw = session.server_events()
                turn = await session.ask("hi")
                seen = []
                async with raw:
                    async for event in raw:
                        seen.append(event)
                        if len(seen) > 1 and isinstance(seen[-2], UnknownEvent):
                            break
        assert turn.text == "Fine."
        assert any(isinstance(e, ProtocolError) for e in seen)
        assert any(isinstance(e, UnknownEvent) and e.type == "response.unexpected_event" for e in seen)
        assert len(server.connections) == 1


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_an_error_event_is_reported_and_not_sticky(dialect: Dialect) -> None:
    faults = Faults(error=ErrorDetail(type="server_error", code="server_error", message="try again"))
    model = ScriptedModel([[Say("One.")], [Say("Two.")]])
    async with local_server(model, faults=faults) as server:
        with anyio.fail_after(10):
            async with Agent("a").connect(endpoint_for(server, dialect)) as session:
                events = session.events()
                first = await session.ask("1")
                second = await session.ask("2")
                error = await next_of(events, ErrorReported)
        assert (error.error.code, error.fatal) == ("server_error", False)
        assert (first.text, second.text) == ("One.", "Two.")
        assert len(server.connections) == 1


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_interleaved_items_still_get_one_follow_up(dialect: Dialect) -> None:
    @tool
    async def echo(word: str) -> str:
        return word.upper()

    model = ScriptedModel(
        [[Call("echo", {"word": "a"}), Say("and"), Call("echo", {"word": "b"})], [Say("Done.")]]
    )
    async with local_server(model, faults=Faults(interleave_items=True)) as server:
        with anyio.fail_after(10):
            async with Agent("a", tools=[echo]).connect(endpoint_for(server, dialect)) as session:
                turn = await session.ask("go")
        [conn] = server.connections
        first, second = call_ids(conn)
        assert outputs(conn) == {first: "A", second: "B"}
        assert kinds(conn).count("create") == 2
        assert turn.text.endswith("Done.")


async def test_a_tool_starts_before_a_slow_response_done() -> None:
    @tool
    async def fast() -> str:
        return "ready"

    faults = Faults(delays={"response.done": 0.3})
    model = ScriptedModel([[Call("fast", {}), Say("Checking.")], [Say("Done.")]])
    async with local_server(model, faults=faults) as server:
        with anyio.fail_after(10):
            async with Agent("a", tools=[fast]).connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                await session.ask("go")
                finished = await next_of(events, ToolCallFinished)
                response_done = await next_of(events, ResponseFinished)
        assert finished.time < response_done.time, "the call ran while the response was still streaming"
        labels = kinds(server.connections[0])
        assert labels.count("create") == 2


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_drop_mid_response_reconnects_replays_and_continues_the_answer(dialect: Dialect) -> None:
    cut = "This answer is cut off somewhere in the middle."
    model = ScriptedModel([[Say(cut)], [Say("And that is the end.")], [Say("Back again.")]])
    agent = Agent("a", instructions="Be brief.", reconnect=FAST_RECONNECT)
    async with local_server(model, timing=Timing(delta_delay=0.001)) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                server.connections[0].faults = Faults(drop_after_events=8)  # this connection only
                events = session.events()
                first = await session.ask("first question")
                reconnected = await next_of(events, Reconnected)
                second = await session.ask("second question")
        assert len(server.connections) == 2
        _, new = server.connections
        assert isinstance(new.received[0], SessionUpdate)
        assert new.received[0].session.instructions == "Be brief."
        user, partial = replayed(new.received)[:2]
        assert user == "user:first question"
        assert partial.startswith("assistant:")
        assert cut.startswith(partial.removeprefix("assistant:"))
        assert reconnected.replayed_items == 2
        labels = kinds(new)
        assert labels[1:4] == ["conversation.item.create", "conversation.item.create", "create"]
        assert len(first.response_ids) == 2, "the cut answer and its continuation, in one turn"
        assert first.text.endswith("And that is the end.")
        continued = model.contexts[1].items
        assert [m.role for m in continued if isinstance(m, MessageItem)] == ["user", "assistant"]
        assert second.text == "Back again."
        assert labels.count("create") == 2


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_session_expired_reconnects_and_replays_the_conversation(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("Hello Ada.")], [Say("You are Ada.")]])
    agent = Agent("a", instructions="Remember names.", reconnect=FAST_RECONNECT)
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                events = session.events()
                await session.ask("I am Ada.")
                await server.connections[0].expire()
                error = await next_of(events, ErrorReported)
                reconnected = await next_of(events, Reconnected)
                turn = await session.ask("Who am I?")
        assert (error.error.code, error.fatal) == ("session_expired", True)
        assert reconnected.replayed_items == 2
        new = server.connections[1]
        assert isinstance(new.received[0], SessionUpdate)
        assert new.received[0].session.instructions == "Remember names."
        assert replayed(new.received)[:2] == ["user:I am Ada.", "assistant:Hello Ada."]
        assert turn.text == "You are Ada."
        assert [m.text for m in model.contexts[1].items if isinstance(m, MessageItem)][:2] == [
            "I am Ada.",
            "Hello Ada.",
        ]


async def test_expire_after_reconnects_with_a_running_call_answered_after_replay() -> None:
    release = anyio.Event()

    @tool
    async def slow() -> str:
        await release.wait()
        return "finished late"

    faults = Faults(expire_after=0.5)
    model = ScriptedModel([[Call("slow", {})], [Say("All done.")]])
    agent = Agent("a", tools=[slow], reconnect=ReconnectPolicy(initial_delay=0.2, jitter=0.0))
    async with local_server(model, faults=faults) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                await session.send_text("go")
                error = await next_of(events, ErrorReported)
                faults.expire_after = None  # the next connection lives on
                assert error.error.code == "session_expired"
                await next_of(events, Reconnected)
                release.set()
                done = await next_of(events, TurnDone)
        old, new = server.connections
        [call_id] = call_ids(old)
        assert f"output:{call_id}" not in kinds(old)
        assert replayed(new.received) == ["user:go", f"call:{call_id}", f"output:{call_id}"]
        labels = kinds(new)
        assert labels.index(f"output:{call_id}") < labels.index("create")
        assert labels.count("create") == 1
        assert done.turn.text == "All done."
        assert outputs(new) == {call_id: "finished late"}
