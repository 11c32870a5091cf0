"""Recorded sessions with the real services, replayed to a Session: does it answer the right calls,
and only ask for a response when none is in progress?"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.connection import Endpoint
from agentkit.engine import AppEvent, TurnDone
from agentkit.protocol import ConversationItemCreate, Dialect, assistant_text, user_text
from agentkit.session import EventStream, Session
from agentkit.testing.kit.replay import Replay, replay_server

pytestmark = pytest.mark.anyio

WEATHER = "It is foggy and 12 degrees in London."
DIALECT_OF = {
    "openai": Dialect.GA,
    "azure": Dialect.GA,
    "xai": Dialect.GA,
    "azure_voice_live": Dialect.VOICE_LIVE,
}


@tool
async def get_weather(city: str) -> str:
    """Weather for a city."""
    return WEATHER if city == "London" else "unknown"


@tool
async def remember_name(name: str) -> str:
    """Remember the user's name."""
    return f"Stored {name}."


AGENT = Agent("recorded", tools=[get_weather, remember_name])


async def turn_done(events: EventStream[AppEvent]) -> TurnDone:
    async for event in events:
        if isinstance(event, TurnDone):
            return event
    raise AssertionError("no turn finished")


def endpoint(url: str, service: str) -> Endpoint:
    return Endpoint.custom(url, dialect=DIALECT_OF[service], api_key="recorded-key")


def check_calls_answered(replay: Replay) -> None:
    called = {d["call_id"]: d["name"] for d in replay.recorded("response.function_call_arguments.done")}
    answered = [
        d["item"]
        for d in replay.client_frames("conversation.item.create")
        if d["item"]["type"] == "function_call_output"
    ]
    assert sorted(a["call_id"] for a in answered) == sorted(called), "one output per recorded call id"
    for answer in answered:
        expected = WEATHER if called[answer["call_id"]] == "get_weather" else "Stored Marcelo."
        assert answer["output"] == expected
    assert replay.response_creates_while_idle()
    assert not replay.problems


async def run(replay: Replay, service: str, body: Callable[[Session], Awaitable[None]]) -> None:
    async with replay_server(replay) as url:
        with anyio.fail_after(15):
            async with AGENT.connect(endpoint(url, service)) as session:
                await body(session)
                await replay.finished.wait()


@pytest.mark.parametrize("service", ["openai", "azure", "xai", "azure_voice_live"])
async def test_tool_call_round(recorded_dir: Path, service: str) -> None:
    replay = Replay.load(recorded_dir / service / "tool_call_round.yaml")
    turns = []

    async def body(session: Session) -> None:
        turns.append(await session.ask("What is the weather in London?"))

    await run(replay, service, body)
    check_calls_answered(replay)
    assert len(replay.client_frames("response.create")) == 2
    [turn] = turns
    assert [c.output for c in turn.tool_calls] == [WEATHER]
    assert len(turn.response_ids) == 2
    assert turn.text.strip()


@pytest.mark.parametrize("service", ["openai", "azure", "azure_voice_live"])
async def test_text_in_audio_out(recorded_dir: Path, service: str) -> None:
    replay = Replay.load(recorded_dir / service / "text_in_audio_out_turn.yaml")
    turns = []

    async def body(session: Session) -> None:
        turns.append(await session.ask("Say a short greeting."))

    await run(replay, service, body)
    [done] = replay.recorded("response.done")
    [turn] = turns
    transcripts = [
        part.get("transcript") for item in done["response"]["output"] for part in item.get("content", [])
    ]
    assert turn.text == "".join(t for t in transcripts if t)
    assert len(replay.client_frames("response.create")) == 1
    assert not replay.problems


@pytest.mark.parametrize(
    ("service", "name", "tool_round"),
    [
        ("azure", "spoken_turn_transcribed_drives_a_tool_and_answers_in_audio", True),
        ("openai", "audio_in_server_vad_turn", False),
        ("azure", "audio_in_server_vad_transcription_requires_deployment", False),
    ],
)
async def test_spoken_turns_with_server_vad(
    recorded_dir: Path, service: str, name: str, tool_round: bool
) -> None:
    replay = Replay.load(recorded_dir / service / f"{name}.yaml")
    seen: list[AppEvent] = []

    async def body(session: Session) -> None:
        events = session.events()
        await session.send_audio(bytes(9600))
        done = await turn_done(events)
        seen.append(done)

    await run(replay, service, body)
    check_calls_answered(replay)
    creates = replay.client_frames("response.create")
    assert len(creates) == (1 if tool_round else 0), "server VAD starts the first response itself"
    [done] = seen
    assert isinstance(done, TurnDone)
    recorded_transcripts = replay.recorded("conversation.item.input_audio_transcription.completed")
    if recorded_transcripts:
        assert done.turn.user_input == recorded_transcripts[0]["transcript"]


async def test_message_history_seeding(recorded_dir: Path) -> None:
    replay = Replay.load(recorded_dir / "openai" / "message_history_seeding.yaml")
    turns = []

    async def body(session: Session) -> None:
        await session.send_client_event(
            ConversationItemCreate(item=user_text("My name is Alice and my favorite color is teal."))
        )
        await session.send_client_event(
            ConversationItemCreate(item=assistant_text("Nice to meet you, Alice!"))
        )
        turns.append(await session.ask("What is my name and favorite color?"))

    await run(replay, "openai", body)
    [turn] = turns
    assert "Alice" in turn.text
    assert len(replay.client_frames("conversation.item.create")) == 3
    assert len(replay.client_frames("response.create")) == 1
    assert not replay.problems
