"""Where the listener is in the assistant's audio, so a barge-in truncates at what was heard.

The application may report playback (`item_id`, milliseconds played). Without a report, audio is
assumed to play in real time, clips one after another, each from its first delta's time, and never
past the audio received. Only durations are kept: the audio itself is never decoded here.
"""

from __future__ import annotations

from dataclasses import dataclass

_BYTES_PER_MS = {"pcm16": 48.0, "g711_ulaw": 8.0, "g711_alaw": 8.0}
"""pcm16 is 24 kHz 16-bit mono; G.711 is 8 kHz, one byte a sample."""


def audio_ms(b64: str, audio_format: str | None) -> float:
    """Duration of a base64 chunk, from its length alone."""
    size = len(b64) // 4 * 3 - b64[-2:].count("=")
    return max(size, 0) / _BYTES_PER_MS.get(audio_format or "pcm16", 48.0)


@dataclass(eq=False)
class _Clip:
    item_id: str
    response_id: str
    first_delta_at: float
    received_ms: float = 0.0
    reported_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Heard:
    """An assistant audio item that was not heard to its end: truncate it at `played_ms`."""

    item_id: str
    response_id: str
    played_ms: int
    received_ms: int


class Playback:
    def __init__(self) -> None:
        self._clips: list[_Clip] = []

    def received(self, item_id: str, response_id: str, ms: float, now: float) -> None:
        clips = self._clips
        if clips and clips[-1].item_id == item_id:
            clips[-1].received_ms += ms
            return
        clip = next((c for c in clips if c.item_id == item_id), None)
        if clip is None:
            self._forget_played(now)
            clip = _Clip(item_id, response_id, now)
            clips.append(clip)
        clip.received_ms += ms

    def reported(self, item_id: str, played_ms: float) -> None:
        """The application says how much of this item it has played (earlier items: all of them)."""
        for index, clip in enumerate(self._clips):
            if clip.item_id == item_id:
                clip.reported_ms = min(max(played_ms, 0.0), clip.received_ms)
                del self._clips[:index]
                return

    def stop(self, now: float, played_ms: float | None = None) -> list[Heard]:
        """Playback stops now: the items cut short, with what was heard of each; forgets all clips.

        `played_ms`, when given, is how far the application got into the current (first unfinished) item.
        """
        heard = self._positions(now, played_ms)
        self._clips.clear()
        return [h for h in heard if h.played_ms < h.received_ms]

    def reset(self) -> None:
        self._clips.clear()

    def _positions(self, now: float, played_ms: float | None) -> list[Heard]:
        result: list[Heard] = []
        cursor = float("-inf")
        reported_seen = any(c.reported_ms is not None for c in self._clips)
        current_taken = False
        for clip in self._clips:
            start = max(clip.first_delta_at, cursor)
            cursor = start + clip.received_ms / 1000.0
            if reported_seen:
                played = clip.reported_ms if clip.reported_ms is not None else 0.0
            else:
                played = (now - start) * 1000.0
            if played_ms is not None and not current_taken and played < clip.received_ms:
                played, current_taken = played_ms, True
            played = min(max(played, 0.0), clip.received_ms)
            result.append(Heard(clip.item_id, clip.response_id, int(played), int(clip.received_ms)))
        return result

    def _forget_played(self, now: float) -> None:
        """Drop clips that real-time playback has certainly finished (keeps the list short)."""
        if any(c.reported_ms is not None for c in self._clips):
            return
        heard = self._positions(now, None)
        done = 0
        for h in heard:
            if h.played_ms < h.received_ms:
                break
            done += 1
        del self._clips[:done]
