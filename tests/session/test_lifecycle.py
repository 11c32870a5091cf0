"""Opening, closing and losing a session; barge-in; the event buffers."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from agentkit import Agent, tool
from agentkit.connection import EndpointError
from agentkit.engine import (
    AppEvent,
    AudioChunk,
    Interrupted,
    ResponseFinished,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnDone,
)
from agentkit.protocol import ConversationItemTruncate, Dialect, ResponseCancel
from agentkit.session import EventsDropped, ReconnectPolicy, SessionClosed
from agentkit.testing import Call, Say, ScriptedModel, Timing
from agentkit.testing.audio import spoken
from tests.reliability.leaks import wait_until
from tests.session.helpers import DIALECTS, call_ids, endpoint_for, local_server, next_of, of_type, outputs

pytestmark = pytest.mark.anyio


def test_connect_without_an_endpoint_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_OPENAI_ENDPOINT", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(EndpointError, match=r"AZURE_OPENAI_ENDPOINT.*OPENAI_API_KEY"):
        Agent("a").connect()


def test_agent_builds_only_the_settings_it_was_given() -> None:
    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    agent = Agent(
        "a", "Be kind.", tools=[ping], voice="alloy", turn_detection="manual", input_transcription="whisper-1"
    )
    config = agent.session_config()
    assert config.model_fields_set == {
        "instructions",
        "voice",
        "tools",
        "turn_detection",
        "input_audio_transcription",
    }
    assert config.turn_detection is None
    assert [t["name"] for t in config.tools or []] == ["ping"]
    assert Agent("b").session_config().model_fields_set == set()
    with pytest.raises(ValueError, match="max_concurrent_tools"):
        Agent("c", max_concurrent_tools=0)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_closing_cancels_running_calls_and_answers_them(dialect: Dialect) -> None:
    running, cancelled = anyio.Event(), anyio.Event()

    @tool
    async def forever() -> str:
        running.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        return "never"

    model = ScriptedModel([[Call("forever", {})]])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with Agent("a", tools=[forever]).connect(endpoint_for(server, dialect)) as session:
                events = session.events()
                await session.send_text("go")
                await next_of(events, ToolCallStarted)
                await running.wait()
                assert len(session.running_calls) == 1
            finished = await next_of(events, ToolCallFinished)
            await server.connections[0].closed.wait()
        assert cancelled.is_set()
        [call_id] = call_ids(server.connections[0])
        assert finished.status == "cancelled"
        [(answered, output)] = outputs(server.connections[0]).items()
        assert answered == call_id
        assert "cancelled (session closed)" in output
        assert session.closed
        with pytest.raises(SessionClosed):
            await session.send_text("too late")
        assert [e async for e in session.events()] == []


async def test_giving_up_on_reconnecting_answers_calls_and_fails_waiters() -> None:
    @tool
    async def forever() -> str:
        await anyio.sleep_forever()
        return "never"

    model = ScriptedModel([[Call("forever", {})]])
    agent = Agent("a", tools=[forever], reconnect=ReconnectPolicy(max_attempts=2, initial_delay=0.01))
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()

                async def stop_when_running() -> None:
                    await next_of(session.events(), ToolCallStarted)
                    await server.stop()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(stop_when_running)
                    with pytest.raises(
                        SessionClosed, match="could not be restored after 2 attempt"
                    ) as caught:
                        await session.ask("go")
                assert caught.value.__cause__ is not None
                seen: list[AppEvent] = []

                async def drain() -> None:
                    async for event in events:
                        seen.append(event)

                with pytest.raises(SessionClosed):
                    await drain()
                assert session.failure is not None
                with pytest.raises(SessionClosed):
                    await session.send_text("anyone?")
        [finished] = [e for e in seen if isinstance(e, ToolCallFinished)]
        assert finished.status == "cancelled"
        assert "secret" not in str(caught.value).lower()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_interrupt_cancels_the_response_and_truncates_the_audio(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("A long story " * 20)]])
    timing = Timing(delta_delay=0.02, audio_chunk_ms=100)
    async with local_server(model, timing=timing) as server:
        agent = Agent("a", output_modalities=["audio"])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                events = session.events()
                await session.send_text("tell me")
                chunk = await next_of(events, AudioChunk)
                session.report_playback(chunk.item_id, 10)  # not real time: the player says where it is
                await session.interrupt(played_ms=40)
                interrupted = await next_of(events, Interrupted)
                finished = await next_of(events, ResponseFinished)
                done = await next_of(events, TurnDone)
        received = server.connections[0].received
        assert (interrupted.item_id, interrupted.played_ms) == (chunk.item_id, 40)
        assert len(of_type(received, ResponseCancel)) == 1
        [truncate] = of_type(received, ConversationItemTruncate)
        assert (truncate.item_id, truncate.audio_end_ms) == (chunk.item_id, 40)
        assert finished.status == "cancelled"
        assert done.turn.interrupted


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.VOICE_LIVE])
async def test_speech_barges_in_on_server_vad(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("A long story " * 30)], [Say("Yes?")]])
    timing = Timing(delta_delay=0.02, audio_chunk_ms=100)
    async with local_server(model, timing=timing) as server:
        agent = Agent("a", output_modalities=["audio"], turn_detection="server_vad")
        with anyio.fail_after(15):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                events = session.events()
                await session.send_text("tell me")
                chunk = await next_of(events, AudioChunk)
                session.report_playback(chunk.item_id, 50)  # the player is 50 ms in
                await session.send_audio(spoken("stop please") + bytes(48_000))
                interrupted = await next_of(events, Interrupted)
                finished = await next_of(events, ResponseFinished)
                # the server handles frames in order and stops at the close: let it reach the truncate
                await wait_until(
                    lambda: bool(of_type(server.connections[0].received, ConversationItemTruncate))
                )
        assert (interrupted.item_id, interrupted.played_ms) == (chunk.item_id, 50)
        assert finished.status == "cancelled"
        received = server.connections[0].received
        assert of_type(received, ResponseCancel) == [], "server VAD cancels by itself"
        [truncate] = of_type(received, ConversationItemTruncate)
        assert (truncate.item_id, truncate.audio_end_ms) == (chunk.item_id, 50)


async def test_a_slow_consumer_loses_the_oldest_events_and_is_told() -> None:
    model = ScriptedModel([[Say("one two three four five six seven eight")]])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with Agent("a", output_modalities=["text"]).connect(
                endpoint_for(server, Dialect.GA)
            ) as session:
                small = session.events(maxsize=2)
                await session.ask("count")
                seen = [await small.__anext__(), await small.__anext__(), await small.__anext__()]
                small.close()
        assert isinstance(seen[0], EventsDropped)
        assert seen[0].count > 0
        assert [type(e) for e in seen[1:]] == [ResponseFinished, TurnDone]


async def test_iterating_the_session_yields_typed_events_and_ends_on_close() -> None:
    model = ScriptedModel([[Say("Hi there.")]])
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with Agent("a", output_modalities=["text"]).connect(
                endpoint_for(server, Dialect.GA)
            ) as session:
                text: list[str] = []
                async with anyio.create_task_group() as tg:

                    async def consume() -> None:
                        async for event in session:
                            if isinstance(event, TextDelta):
                                text.append(event.delta)
                            if isinstance(event, TurnDone):
                                await session.aclose()

                    tg.start_soon(consume)
                    await anyio.lowlevel.checkpoint()  # let the consumer subscribe
                    await session.send_text("hello")
        assert "".join(text) == "Hi there."


async def test_send_audio_waiting_on_a_stalled_socket_ends_when_the_session_closes() -> None:
    """Back-pressure must not outlive the session: the waiter gets `SessionClosed`, not a hang."""
    from agentkit.observer import NullObserver
    from agentkit.session import Session

    async with local_server(ScriptedModel([])) as server:
        agent = Agent("talker", "Talk.", turn_detection="manual")
        session = Session(
            agent, endpoint_for(server, Dialect.GA), deps=None, observer=NullObserver(), close_timeout=0.1
        )
        stalled = anyio.Event()
        with anyio.fail_after(10):
            async with session:
                connection = session._connection
                assert connection is not None

                async def never_sends(event: object) -> None:
                    stalled.set()
                    await anyio.sleep_forever()

                connection.send = never_sends  # type: ignore[method-assign]
                outcome: list[BaseException] = []

                async def talk() -> None:
                    try:
                        await session.send_audio(spoken("hello there") * 40)
                    except SessionClosed as exc:
                        outcome.append(exc)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(talk)
                    await stalled.wait()
                    while not session._outbox or len(session._outbox) < 64:
                        await anyio.lowlevel.checkpoint()
                    await session.aclose()
        assert len(outcome) == 1, "send_audio ended with SessionClosed"
