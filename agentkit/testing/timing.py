"""How fast the local server talks: everything defaults to "as fast as possible"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Timing:
    """Delays (seconds) that model a slow or fast service; change them at any time, even mid-session."""

    event_delay: float = 0.0
    """Before every server event."""
    first_delta_delay: float = 0.0
    """Between `response.created` and the response's first delta (the model's "thinking" time)."""
    delta_delay: float = 0.0
    """Before every later delta (text, transcript, audio or function arguments)."""
    audio_chunk_ms: int = 200
    """Audio length carried by one `output_audio.delta`."""

    def __post_init__(self) -> None:
        for name in ("event_delay", "first_delta_delay", "delta_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"Timing.{name} must be >= 0")
        if self.audio_chunk_ms <= 0:
            raise ValueError("Timing.audio_chunk_ms must be > 0")
