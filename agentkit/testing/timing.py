"""How fast the local server talks: by default as fast as it can, or `Timing.realistic()`.

The fast default keeps unit tests quick, but it hides what a real service makes a client live with:
the model thinks before it answers, an answer streams for as long as it takes to say, and the
response stays active all that while, so a second `response.create` is refused with
`conversation_already_has_active_response`. `realistic()` models exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentkit.protocol import ResponseAudioDelta, ResponseAudioTranscriptDelta, ResponseTextDelta, ServerEvent

TimingName = Literal["fast", "realistic"]
TIMING_NAMES: tuple[TimingName, ...] = ("fast", "realistic")


@dataclass
class Timing:
    """Delays (seconds) that model a slow or fast service; change them at any time, even mid-session."""

    event_delay: float = 0.0
    """Before every server event."""
    first_delta_delay: float = 0.0
    """Between `response.created` and the response's first delta (the model's "thinking" time)."""
    delta_delay: float = 0.0
    """Before every later delta (text, transcript, audio or function arguments), unless paced below."""
    audio_chunk_ms: int = 200
    """Audio length carried by one `output_audio.delta`."""
    audio_pace: float = 0.0
    """When > 0, each later audio delta waits its own length times this (1.0: as fast as it is spoken),
    and the transcript deltas that go with it wait nothing more."""
    words_per_minute: float = 0.0
    """When > 0, each later text delta (text-only answers) waits as long as saying its words takes."""

    def __post_init__(self) -> None:
        for name in ("event_delay", "first_delta_delay", "delta_delay", "audio_pace", "words_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"Timing.{name} must be >= 0")
        if self.audio_chunk_ms <= 0:
            raise ValueError("Timing.audio_chunk_ms must be > 0")

    @classmethod
    def realistic(cls) -> Timing:
        """A service as a caller meets it: 0.6 s to think, audio at speaking rate, text at 180 words a
        minute, function arguments in quick pieces. A response stays active until its last delta."""
        return cls(first_delta_delay=0.6, delta_delay=0.02, audio_pace=1.0, words_per_minute=180.0)

    @classmethod
    def named(cls, name: str) -> Timing:
        """`fast` (the default: no delays) or `realistic`."""
        if name == "fast":
            return cls()
        if name == "realistic":
            return cls.realistic()
        raise ValueError(f"unknown timing {name!r}; choose one of {', '.join(TIMING_NAMES)}")

    def delay_before(self, delta: ServerEvent, *, first: bool) -> float:
        """How long to wait before sending this delta of a response (`first`: its first delta)."""
        if first:
            return self.first_delta_delay
        if self.audio_pace > 0 and isinstance(delta, ResponseAudioDelta):
            return max(self.delta_delay, self.audio_chunk_ms / 1000 * self.audio_pace)
        if self.audio_pace > 0 and isinstance(delta, ResponseAudioTranscriptDelta):
            return 0.0  # carried along with its audio
        if self.words_per_minute > 0 and isinstance(delta, ResponseTextDelta):
            return max(self.delta_delay, len(delta.delta.split()) * 60 / self.words_per_minute)
        return self.delta_delay
