"""What the service heard of the user (live partial transcripts, failures, the end of speech), and
the service's own warnings.

Separate from the turn rules because none of it changes what the engine asks of the server; it
only tells the application (captions, "listening..." indicators, a fallback when transcription
fails). Partial transcripts are kept per item until the final one arrives, and at most a few items
at once, so a server that never finishes a transcript cannot grow memory.
"""

from __future__ import annotations

from agentkit.engine.app_events import (
    AppEvent,
    InputTranscriptFailed,
    InputTranscriptPartial,
    ServiceWarning,
    SpeechStopped,
)
from agentkit.protocol import (
    InputAudioBufferSpeechStopped,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    InputAudioTranscriptionUpdated,
    WarningEvent,
)

MAX_PENDING_ITEMS = 8
"""Items whose transcript is still streaming; the oldest is forgotten past this."""


class Hearing:
    """Turns the service's input-audio events into application events."""

    def __init__(self) -> None:
        self._partials: dict[str, str] = {}

    def delta(self, event: InputAudioTranscriptionDelta, now: float) -> AppEvent | None:
        if not event.delta:
            return None
        return self._partial(event.item_id, self._partials.get(event.item_id, "") + event.delta, now)

    def updated(self, event: InputAudioTranscriptionUpdated, now: float) -> AppEvent | None:
        if event.transcript == self._partials.get(event.item_id):
            return None
        return self._partial(event.item_id, event.transcript, now)

    def completed(self, event: InputAudioTranscriptionCompleted) -> None:
        self._partials.pop(event.item_id, None)

    def failed(self, event: InputAudioTranscriptionFailed, now: float) -> AppEvent:
        self._partials.pop(event.item_id, None)
        return InputTranscriptFailed(time=now, item_id=event.item_id, error=event.error)

    @staticmethod
    def speech_stopped(event: InputAudioBufferSpeechStopped, now: float) -> AppEvent:
        return SpeechStopped(time=now, item_id=event.item_id, audio_end_ms=event.audio_end_ms)

    @staticmethod
    def warning(event: WarningEvent, now: float) -> AppEvent:
        detail = event.warning
        return ServiceWarning(time=now, message=detail.message, code=detail.code, param=detail.param)

    def _partial(self, item_id: str, transcript: str, now: float) -> AppEvent:
        self._partials.pop(item_id, None)
        self._partials[item_id] = transcript
        while len(self._partials) > MAX_PENDING_ITEMS:
            del self._partials[next(iter(self._partials))]
        return InputTranscriptPartial(time=now, item_id=item_id, transcript=transcript)
