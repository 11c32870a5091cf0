"""The local server hears real speech: unmarked audio goes to the recogniser, `spoken()` stays exact."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit import TurnDone
from agentkit.protocol import SessionConfig
from agentkit.testing import Faults, LocalRealtimeServer, Timing, audio, spoken
from agentkit.testing.connection import Services
from agentkit.testing.hearing import SphinxRecogniser, Vocabulary, vocabulary_of
from agentkit.testing.models import ScriptedModel
from agentkit.testing.speech import espeak_speech, silence
from examples.customer_service.bot import build_agent
from examples.customer_service.db import ShopDatabase

pytestmark = pytest.mark.anyio

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)


class Recording:
    """A recogniser that says what it was asked to hear."""

    def __init__(self, words: str | None) -> None:
        self.words = words
        self.heard: list[tuple[int, Vocabulary]] = []

    def transcribe(self, pcm16: bytes, vocabulary: Vocabulary) -> str | None:
        self.heard.append((len(pcm16), vocabulary))
        return self.words


async def ask_aloud(server: LocalRealtimeServer, db_path: Path, speech: bytes) -> Any:
    agent = build_agent(ShopDatabase(db_path), listen=True)
    async with agent.connect(server.endpoint()) as session:
        events = session.events()
        await session.send_audio(silence(300) + speech + silence(1200))
        with anyio.fail_after(60):
            async for event in events:
                if isinstance(event, TurnDone):
                    return event.turn
    raise AssertionError("no turn")


@needs_espeak
async def test_an_espeak_question_makes_the_model_call_the_right_tool(tmp_path: Path) -> None:
    # No exact path: even if another test made this sentence with spoken(), the recogniser hears it here.
    async with LocalRealtimeServer(hearing=SphinxRecogniser(), transcribe=lambda pcm: None) as server:
        turn = await ask_aloud(server, tmp_path / "shop.sqlite3", espeak_speech("Where is my order A-1003?"))
    assert "A-1003" in turn.user_input, turn.user_input
    assert [(call.name, call.arguments, call.status) for call in turn.tool_calls] == [
        ("lookup_order", '{"order_id": "A-1003"}', "ok")
    ]


async def test_marked_speech_skips_the_recogniser_and_other_audio_reaches_it(tmp_path: Path) -> None:
    recogniser = Recording("track shipment for A-1002")
    async with LocalRealtimeServer(hearing=recogniser) as server:
        marked = await ask_aloud(server, tmp_path / "a.sqlite3", spoken("Please look up order A-1001"))
        assert recogniser.heard == [], "spoken() speech is heard exactly, without recognition"
        assert [call.name for call in marked.tool_calls] == ["lookup_order"]

        unmarked = await ask_aloud(server, tmp_path / "b.sqlite3", espeak_speech("any words at all"))
    [(samples, vocabulary)] = recogniser.heard
    assert samples > 0
    assert {"track", "shipment", "refund"} <= vocabulary.words, "biased toward the session's tools"
    assert [shape.example for shape in vocabulary.ids] == ["A-1001"]
    assert unmarked.user_input == "track shipment for A-1002"
    assert [call.name for call in unmarked.tool_calls] == ["track_shipment"]


async def test_without_a_recogniser_unmarked_audio_is_not_understood(tmp_path: Path) -> None:
    async with LocalRealtimeServer(hearing=None) as server:
        turn = await ask_aloud(server, tmp_path / "shop.sqlite3", espeak_speech("Where is my order A-1003?"))
    assert turn.tool_calls == ()
    assert "could not make out any words" in turn.text


async def test_a_missing_speech_package_is_said_once_with_how_to_install_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = Services(
        model=lambda: ScriptedModel([]),
        timing=Timing,
        faults=Faults,
        synthesize=lambda text, voice: b"",
        transcribe=lambda pcm: None,
        hearing=None,
        warn_deaf=True,
    )
    with caplog.at_level(logging.WARNING, logger="agentkit.testing.server"):
        assert await services.hear(b"\x01\x00" * 4800, SessionConfig()) is None
        assert await services.hear(b"\x01\x00" * 4800, SessionConfig()) is None
    [record] = caplog.records
    assert "pip install 'agentkit[speech]'" in record.getMessage()


@needs_espeak
def test_recognition_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the recogniser tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    speech = espeak_speech("yes please go ahead")
    assert SphinxRecogniser(bias=False).transcribe(speech, Vocabulary()) is not None
    biased = SphinxRecogniser().transcribe(speech, vocabulary_of("Refunds need a yes.", None))
    assert biased is not None, "building the biased model reads only what the wheel holds"


class Broken:
    def transcribe(self, pcm16: bytes, vocabulary: Vocabulary) -> str | None:
        raise RuntimeError("decoder crashed")


async def test_a_failing_recogniser_costs_one_turn_not_the_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with LocalRealtimeServer(hearing=Broken()) as server:
        turn = await ask_aloud(server, tmp_path / "shop.sqlite3", espeak_speech("Where is my order A-1003?"))
        assert "could not make out any words" in turn.text
        again = await ask_aloud(server, tmp_path / "shop.sqlite3", spoken("Where is my order A-1003?"))
    assert [call.name for call in again.tool_calls] == ["lookup_order"]
    assert "the speech recogniser failed" in caplog.text


def test_marked_sentences_that_begin_alike_are_told_apart() -> None:
    first = spoken("Please look up order A-1003.")
    second = spoken("Please look up order A-1001")
    assert audio.recall(silence(300) + second + silence(600)) == "Please look up order A-1001"
    assert audio.recall(first) == "Please look up order A-1003."
    assert audio.recall(second[: len(second) * 5 // 8 // 2 * 2]) is not None, "cut short after its middle"
    assert audio.recall(silence(2000)) is None
