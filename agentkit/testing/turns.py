"""Server-side turn detection: adapts the energy VAD to what the connection needs (start / stop
positions in ms of the input audio stream)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentkit.protocol import TurnDetection


@dataclass(frozen=True)
class Boundary:
    started: bool
    """True: speech started; False: speech stopped."""
    at_ms: int


class TurnDetector:
    """Feeds PCM16 to `agentkit.testing.vad.EnergyVAD` and reports speech boundaries."""

    def __init__(self, config: TurnDetection) -> None:
        threshold = config.threshold if config.threshold is not None else 0.5
        padding = config.prefix_padding_ms if config.prefix_padding_ms is not None else 300
        silence = config.silence_duration_ms if config.silence_duration_ms is not None else 200
        try:
            from agentkit.testing.vad import EnergyVAD
        except ImportError:
            self._vad: Any = _RmsVad(threshold, padding, silence)
        else:
            self._vad = EnergyVAD(threshold=threshold, prefix_padding_ms=padding, silence_duration_ms=silence)

    def feed(self, pcm16: bytes) -> list[Boundary]:
        return [_boundary(event) for event in self._vad.feed(pcm16)]


def _boundary(event: Any) -> Boundary:
    kind = str(getattr(event, "kind", getattr(event, "type", ""))).lower()
    started = getattr(event, "started", None)
    if started is None:
        started = "start" in kind
    at_ms = getattr(event, "at_ms", None)
    if at_ms is None:
        at_ms = getattr(event, "audio_start_ms", None) if started else getattr(event, "audio_end_ms", None)
    return Boundary(bool(started), int(at_ms or 0))


class _RmsVad:
    """Stand-in used only when `agentkit.testing.vad` is unavailable: RMS energy over 10 ms frames."""

    _FRAME = 480  # 10 ms of PCM16 at 24 kHz

    def __init__(self, threshold: float, prefix_padding_ms: int, silence_duration_ms: int) -> None:
        self._level = 32768 * 0.04 * threshold
        self._padding = prefix_padding_ms
        self._silence = silence_duration_ms
        self._pending = b""
        self._ms = 0
        self._speaking = False
        self._last_voiced_ms = 0

    def feed(self, pcm16: bytes) -> list[Boundary]:
        data = self._pending + pcm16
        cut = len(data) - len(data) % self._FRAME
        self._pending = data[cut:]
        found: list[Boundary] = []
        for start in range(0, cut, self._FRAME):
            frame = memoryview(data[start : start + self._FRAME]).cast("h")
            rms = (sum(s * s for s in frame) / len(frame)) ** 0.5
            self._ms += 10
            if rms >= self._level:
                if not self._speaking:
                    self._speaking = True
                    found.append(Boundary(True, max(0, self._ms - 10 - self._padding)))
                self._last_voiced_ms = self._ms
            elif self._speaking and self._ms - self._last_voiced_ms >= self._silence:
                self._speaking = False
                found.append(Boundary(False, self._last_voiced_ms))
        return found
