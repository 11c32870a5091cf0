"""Audio in and out for the bot: each assistant turn saved as a WAV file, a WAV file sent as speech."""

from __future__ import annotations

from pathlib import Path

from agentkit import AppEvent, AudioChunk, Session, TurnDone
from agentkit import audio as pcm

TRAILING_SILENCE_MS = 1200
"""Silence sent after a recorded question, so server voice-activity detection hears it end."""


class TurnRecorder:
    """Collects the assistant's audio (PCM16, 24 kHz) and writes each turn's as `turn-NN.wav`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.written: list[Path] = []
        self._pending = bytearray()
        self._turns = 0

    def feed(self, event: AppEvent) -> None:
        if isinstance(event, AudioChunk):
            self._pending += event.data
        elif isinstance(event, TurnDone):
            self._turns += 1
            if self._pending:
                path = self.folder / f"turn-{self._turns:02d}.wav"
                pcm.write_wav(path, bytes(self._pending))
                self.written.append(path)
                self._pending.clear()


def load_question(path: Path) -> bytes:
    """A WAV file as the API wants it (mono PCM16 at 24 kHz); ValueError says what is wrong with it."""
    try:
        wav = pcm.read_wav(path)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not wav.pcm:
        raise ValueError(f"{path} holds no audio")
    return wav.mono_24k()


async def ask_aloud(session: Session, speech: bytes) -> None:
    """Stream `speech` as input audio, then enough silence for server VAD to end the turn."""
    await session.send_audio(speech + bytes(pcm.bytes_for_ms(TRAILING_SILENCE_MS)))
