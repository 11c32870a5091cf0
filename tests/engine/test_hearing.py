"""What the service heard of the user reaches the application: partial captions, failures, silence."""

from __future__ import annotations

from agentkit.engine import (
    InputTranscript,
    InputTranscriptFailed,
    InputTranscriptPartial,
    Send,
    ServiceWarning,
    SpeechStopped,
)
from agentkit.engine.hearing import MAX_PENDING_ITEMS
from agentkit.protocol import (
    ErrorDetail,
    InputAudioBufferSpeechStopped,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    InputAudioTranscriptionUpdated,
    WarningDetail,
    WarningEvent,
)
from tests.engine.script import Harness


def test_ga_deltas_build_the_caption_so_far_and_the_final_transcript_ends_it() -> None:
    h = Harness()
    h.feed(
        InputAudioTranscriptionDelta(item_id="u1", delta="Where is "),
        InputAudioTranscriptionDelta(item_id="u1", delta="my order?"),
        InputAudioTranscriptionCompleted(item_id="u1", transcript="Where is my order?"),
    )
    assert [e.transcript for e in h.emitted(InputTranscriptPartial)] == ["Where is ", "Where is my order?"]
    assert [e.transcript for e in h.emitted(InputTranscript)] == ["Where is my order?"]
    # A new transcript for the same item starts from nothing: the finished one was forgotten.
    h.feed(InputAudioTranscriptionDelta(item_id="u1", delta="Again"))
    assert h.emitted(InputTranscriptPartial)[-1].transcript == "Again"


def test_xai_cumulative_updates_replace_the_caption_and_repeats_are_not_news() -> None:
    h = Harness()
    h.feed(
        InputAudioTranscriptionUpdated(item_id="u1", transcript="Tell me"),
        InputAudioTranscriptionUpdated(item_id="u1", transcript="Tell me"),
        InputAudioTranscriptionUpdated(item_id="u1", transcript="Tell me about A-1001"),
    )
    assert [e.transcript for e in h.emitted(InputTranscriptPartial)] == ["Tell me", "Tell me about A-1001"]


def test_a_failed_transcription_is_reported_with_the_services_reason() -> None:
    h = Harness()
    error = ErrorDetail(type="transcription_error", code="audio_unintelligible", message="No speech.")
    h.feed(
        InputAudioTranscriptionDelta(item_id="u1", delta="mmm"),
        InputAudioTranscriptionFailed(item_id="u1", error=error),
    )
    [failed] = h.emitted(InputTranscriptFailed)
    assert (failed.item_id, failed.error.code) == ("u1", "audio_unintelligible")


def test_the_end_of_speech_is_reported_and_asks_nothing_of_the_server() -> None:
    h = Harness()
    actions = h.feed(InputAudioBufferSpeechStopped(item_id="u1", audio_end_ms=3360))
    assert h.emitted(SpeechStopped, actions) == [SpeechStopped(time=0.0, item_id="u1", audio_end_ms=3360)]
    assert not [a for a in actions if isinstance(a, Send)]


def test_transcripts_that_never_finish_do_not_grow_memory() -> None:
    h = Harness()
    for n in range(MAX_PENDING_ITEMS * 3):
        h.feed(InputAudioTranscriptionDelta(item_id=f"u{n}", delta="x"))
    # The oldest were forgotten: a late delta for one of them starts a fresh caption.
    h.feed(InputAudioTranscriptionDelta(item_id="u0", delta="y"))
    assert h.emitted(InputTranscriptPartial)[-1].transcript == "y"
    # The newest are remembered.
    last = f"u{MAX_PENDING_ITEMS * 3 - 1}"
    h.feed(InputAudioTranscriptionDelta(item_id=last, delta="z"))
    assert h.emitted(InputTranscriptPartial)[-1].transcript == "xz"


def test_a_service_warning_reaches_the_application() -> None:
    h = Harness()
    warning = WarningDetail(
        code="voice_fallback", message="That voice is not available.", param="session.voice"
    )
    actions = h.feed(WarningEvent(warning=warning))
    [told] = h.emitted(ServiceWarning, actions)
    assert (told.code, told.message, told.param) == ("voice_fallback", warning.message, "session.voice")
    assert not [a for a in actions if isinstance(a, Send)]
