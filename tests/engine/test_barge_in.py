"""Barge-in: stop the old audio, truncate at what was heard, cancel only what the server does not."""

from __future__ import annotations

from agentkit.engine import AudioChunk, CallPolicy, Interrupted, ToolCallFinished, TranscriptDelta
from agentkit.protocol import (
    ConversationItemTruncate,
    ResponseAudioTranscriptDelta,
    ResponseCancel,
    SessionConfig,
    SessionUpdated,
    TurnDetection,
)
from tests.engine.script import Harness, audio, call_events, created, done, speech_started


def _speaking(h: Harness, ms: int = 1000) -> None:
    h.feed(created("r1"), audio("r1", "msg1", ms))


def test_truncates_at_real_time_position_and_lets_the_server_cancel() -> None:
    h = Harness()
    _speaking(h)
    h.now = 0.4
    actions = h.feed(speech_started(), audio("r1", "msg1", 100))
    assert [(e.response_id, e.item_id, e.played_ms) for e in h.emitted(Interrupted)] == [("r1", "msg1", 400)]
    assert [(t.item_id, t.audio_end_ms) for t in h.sent(ConversationItemTruncate)] == [("msg1", 400)]
    assert h.sent(ResponseCancel) == [], "interrupt_response defaults to true: the server cancels"
    assert len(h.emitted(AudioChunk, actions)) == 0, "no audio of the old response after barge-in"


def test_real_time_estimate_is_capped_at_the_audio_received() -> None:
    h = Harness()
    _speaking(h, ms=300)
    h.now = 0.25
    h.feed(audio("r1", "msg2", 300))  # the second item plays after the first
    h.now = 0.5
    h.feed(speech_started())
    cuts = [(t.item_id, t.audio_end_ms) for t in h.sent(ConversationItemTruncate)]
    assert cuts == [("msg2", 200)], "msg1 was heard whole; msg2 started at 0.3 s"


def test_fully_played_audio_is_not_truncated() -> None:
    h = Harness()
    _speaking(h, ms=200)
    h.feed(done("r1"))
    h.now = 5.0
    h.feed(speech_started())
    assert h.sent(ConversationItemTruncate) == []
    assert h.emitted(Interrupted) == []


def test_application_reported_playback_wins_over_the_estimate() -> None:
    h = Harness()
    _speaking(h)
    h.now = 0.9
    h.run(h.engine.playback("msg1", 120, h.now))
    h.feed(speech_started())
    assert [t.audio_end_ms for t in h.sent(ConversationItemTruncate)] == [120]


def test_response_cancel_is_sent_when_the_server_does_not_interrupt() -> None:
    h = Harness(SessionConfig(turn_detection=TurnDetection(interrupt_response=False)))
    _speaking(h)
    h.feed(speech_started())
    assert [c.response_id for c in h.sent(ResponseCancel)] == ["r1"]


def test_server_reported_turn_detection_decides() -> None:
    h = Harness()
    h.feed(SessionUpdated(session=SessionConfig(turn_detection=TurnDetection(interrupt_response=False))))
    _speaking(h)
    h.feed(speech_started())
    assert len(h.sent(ResponseCancel)) == 1


def test_no_cancel_when_no_response_is_active() -> None:
    h = Harness(SessionConfig(turn_detection=TurnDetection(interrupt_response=False)))
    _speaking(h)
    h.feed(done("r1"))
    h.feed(speech_started())
    assert h.sent(ResponseCancel) == []
    assert len(h.sent(ConversationItemTruncate)) == 1


def test_interrupt_command_cancels_and_uses_the_played_ms_given() -> None:
    h = Harness()
    _speaking(h)
    h.now = 0.8
    h.run(h.engine.interrupt(h.now, played_ms=250))
    assert len(h.sent(ResponseCancel)) == 1
    assert [t.audio_end_ms for t in h.sent(ConversationItemTruncate)] == [250]


def test_transcript_of_the_interrupted_response_is_not_emitted() -> None:
    h = Harness()
    _speaking(h)
    h.feed(speech_started())
    actions = h.feed(ResponseAudioTranscriptDelta(response_id="r1", item_id="msg1", delta="unheard"))
    assert h.emitted(TranscriptDelta, actions) == []


def test_interruption_cancels_only_calls_whose_policy_says_so() -> None:
    policies = {"lookup": CallPolicy(cancel_on_interrupt=True), "book": CallPolicy()}
    h = Harness(policy=lambda name: policies[name])
    h.feed(
        created("r1"), *call_events("r1", 0, "c1", name="lookup"), *call_events("r1", 1, "c2", name="book")
    )
    h.feed(done("r1"))
    h.feed(speech_started())
    assert h.cancelled() == []  # nothing was playing and no response active: a plain new turn
    h2 = Harness(policy=lambda name: policies[name])
    h2.feed(created("r1"), audio("r1", "msg1", 500))
    h2.feed(*call_events("r1", 1, "c1", name="lookup"), *call_events("r1", 2, "c2", name="book"))
    h2.feed(speech_started(), done("r1", status="cancelled"))
    assert h2.cancelled() == ["c1", "c2"], "c1 on interruption, c2 when its response was cancelled"
    finished = {e.call_id: e.status for e in h2.emitted(ToolCallFinished)}
    assert finished == {"c1": "cancelled", "c2": "cancelled"}


def test_calls_of_an_interrupted_response_do_not_start() -> None:
    h = Harness()
    h.feed(created("r1"), audio("r1", "msg1", 500), speech_started())
    h.feed(*call_events("r1", 1, "c1"), done("r1", status="cancelled"))
    assert h.started() == []
    assert {k: len(v) for k, v in h.outputs().items()} == {"c1": 1}
