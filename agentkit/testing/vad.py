"""`EnergyVAD`: the local server's voice activity detection, by loudness over 10 ms frames.

Realtime's `server_vad` takes a `threshold` from 0 to 1 ("higher needs louder audio"). Here it maps
linearly onto the RMS level of a 10 ms frame in dBFS (decibels relative to PCM16 full scale):
0.0 is -60 dBFS (a quiet room's noise floor), 0.5 is -35 dBFS (about 580 in PCM16 units: soft speech
into a headset), 1.0 is -10 dBFS (shouting). A frame at or above that level is voiced. Speech starts
after 30 ms of voiced frames in a row (so clicks don't count) and stops after `silence_duration_ms`
in which no frame reached half that level (-6 dB: the hysteresis that keeps soft syllable endings
inside the turn).

Positions are in ms of all audio fed since the detector was made (plus `start_ms`), like Realtime's
`audio_start_ms` / `audio_end_ms`: a start is reported `prefix_padding_ms` before the first voiced
frame (never below 0), a stop at the end of the last voiced frame.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass
from typing import Literal

from agentkit.protocol.session_config import TurnDetection

_FRAME_MS = 10
_MIN_SPEECH_MS = 30
_QUIETEST_DBFS = -60.0
_LOUDEST_DBFS = -10.0
_FULL_SCALE = 32768.0
_HYSTERESIS = 0.5

VadKind = Literal["speech_started", "speech_stopped"]


@dataclass(frozen=True)
class VadEvent:
    kind: VadKind
    audio_ms: int
    """Where in the audio stream it happened, in ms."""


def threshold_rms(threshold: float) -> float:
    """The frame RMS (in PCM16 units) that counts as speech for a Realtime `threshold` (0..1)."""
    clamped = min(1.0, max(0.0, threshold))
    dbfs = _QUIETEST_DBFS + (_LOUDEST_DBFS - _QUIETEST_DBFS) * clamped
    return _FULL_SCALE * 10 ** (dbfs / 20)


def _rms(frame: bytes) -> float:
    samples = array("h")
    samples.frombytes(frame)
    if sys.byteorder == "big":  # PCM16 on the wire is little-endian
        samples.byteswap()
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


class EnergyVAD:
    """Streaming speech start/stop detection over PCM16 (little-endian, mono) chunks of any size."""

    def __init__(
        self,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 500,
        sample_rate: int = 24000,
        *,
        start_ms: int = 0,
    ) -> None:
        if sample_rate < 1000:
            raise ValueError(f"sample_rate must be at least 1000 Hz, got {sample_rate}")
        if prefix_padding_ms < 0 or silence_duration_ms < 0 or start_ms < 0:
            raise ValueError("prefix_padding_ms, silence_duration_ms and start_ms must not be negative")
        self.threshold = threshold
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self.sample_rate = sample_rate
        self._start_level = threshold_rms(threshold)
        self._frame_bytes = 2 * sample_rate * _FRAME_MS // 1000
        self._samples = 0
        """Complete samples seen, the clock."""
        self._start_ms = start_ms
        self._pending = b""
        self._reset_state()

    @classmethod
    def from_turn_detection(
        cls, config: TurnDetection, *, sample_rate: int = 24000, start_ms: int = 0
    ) -> EnergyVAD:
        """A detector for a session's `turn_detection`, with Realtime's defaults for unset fields."""
        return cls(
            threshold=0.5 if config.threshold is None else config.threshold,
            prefix_padding_ms=300 if config.prefix_padding_ms is None else config.prefix_padding_ms,
            silence_duration_ms=500 if config.silence_duration_ms is None else config.silence_duration_ms,
            sample_rate=sample_rate,
            start_ms=start_ms,
        )

    @property
    def audio_ms(self) -> int:
        """Audio fed so far, in ms (plus `start_ms`)."""
        return self._start_ms + self._samples * 1000 // self.sample_rate

    @property
    def speaking(self) -> bool:
        return self._speaking

    def reset(self) -> None:
        """Back to silence, dropping any partial frame (after `input_audio_buffer.clear`, say).
        The clock keeps running: positions stay relative to the start of the stream."""
        self._pending = b""
        self._reset_state()

    def feed(self, pcm16: bytes) -> list[VadEvent]:
        """Take the next chunk; return the starts and stops it completed, in order."""
        data = self._pending + bytes(pcm16)
        whole = len(data) - len(data) % self._frame_bytes
        self._pending = data[whole:]
        events: list[VadEvent] = []
        for offset in range(0, whole, self._frame_bytes):
            event = self._frame(data[offset : offset + self._frame_bytes])
            if event is not None:
                events.append(event)
        return events

    def _reset_state(self) -> None:
        self._speaking = False
        self._run_start: int | None = None
        """Sample where the current run of voiced frames began (while silent)."""
        self._last_voiced_end = 0
        """Sample just after the last voiced frame (while speaking)."""

    def _ms(self, sample: int) -> int:
        return self._start_ms + sample * 1000 // self.sample_rate

    def _frame(self, frame: bytes) -> VadEvent | None:
        begin = self._samples
        self._samples += len(frame) // 2
        level = _rms(frame)
        if not self._speaking:
            if level < self._start_level:
                self._run_start = None
                return None
            if self._run_start is None:
                self._run_start = begin
            if (self._samples - self._run_start) * 1000 < _MIN_SPEECH_MS * self.sample_rate:
                return None
            self._speaking, self._last_voiced_end = True, self._samples
            return VadEvent("speech_started", max(0, self._ms(self._run_start) - self.prefix_padding_ms))
        if level >= self._start_level * _HYSTERESIS:
            self._last_voiced_end = self._samples
            return None
        if (self._samples - self._last_voiced_end) * 1000 < self.silence_duration_ms * self.sample_rate:
            return None
        self._speaking, self._run_start = False, None
        return VadEvent("speech_stopped", self._ms(self._last_voiced_end))
