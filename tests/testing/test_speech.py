"""Speech synthesis: format, plausible duration, determinism, the espeak-ng path and its fallback."""

from __future__ import annotations

import itertools
import math
import shutil
import struct
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from agentkit.testing import speech
from agentkit.testing.vad import EnergyVAD

SENTENCE = "Your order A-1001 has shipped, and it should arrive on Tuesday."
HAS_ESPEAK = shutil.which("espeak-ng") is not None


@pytest.fixture
def no_espeak(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    speech._synthesize_cached.cache_clear()
    yield
    speech._synthesize_cached.cache_clear()


def peak(pcm: bytes) -> int:
    return max(abs(s) for s in struct.unpack(f"<{len(pcm) // 2}h", pcm))


def assert_speech_like(pcm: bytes, text: str) -> None:
    assert len(pcm) % 2 == 0
    seconds = len(pcm) / 48_000
    # Ordinary speech runs at 10-20 characters a second.
    assert len(text) / 20 <= seconds <= len(text) / 8
    assert 1000 < peak(pcm) < 32767
    vad = EnergyVAD(prefix_padding_ms=0, silence_duration_ms=600)
    events = vad.feed(speech.silence(500) + pcm + speech.silence(700))
    assert [e.kind for e in events] == ["speech_started", "speech_stopped"]


def test_synthetic_speech_has_speech_like_length_level_and_rhythm() -> None:
    pcm = speech.synthetic_speech(SENTENCE)
    assert_speech_like(pcm, SENTENCE)
    # 50 letters x 65 ms, 12 word gaps of 40 ms, a comma (150 ms) and a full stop (300 ms)
    assert speech.duration_ms(pcm) == 4180
    assert speech.synthetic_speech("Hi") == speech.synthetic_speech("Hi")
    assert speech.synthetic_speech("Hi", voice="ash") != speech.synthetic_speech("Hi", voice="coral")
    assert speech.synthetic_speech("") == b""
    assert speech.synthetic_speech("...") == bytes(2 * 900 * 24)


@pytest.mark.usefixtures("no_espeak")
def test_synthesize_falls_back_to_synthetic_speech_without_espeak() -> None:
    assert speech.synthesize(SENTENCE, voice="alloy") == speech.synthetic_speech(SENTENCE, voice="alloy")
    assert speech.synthesize("   ") == b""


@pytest.mark.usefixtures("no_espeak")
def test_synthesize_never_crashes_on_odd_text(monkeypatch: pytest.MonkeyPatch) -> None:
    for text in ("-v --help", "🙂🙂", "\x00\x01", "1 2 3", "_"):
        pcm = speech.synthesize(text, voice="not-a-voice")
        assert len(pcm) % 2 == 0
    monkeypatch.setattr(speech, "_MAX_TEXT_CHARS", 10)
    assert speech.synthesize("abcd " * 1000) == speech.synthetic_speech("abcd abcd ")


def test_a_failing_espeak_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        raise subprocess.TimeoutExpired(cmd="espeak-ng", timeout=10)

    monkeypatch.setattr(speech.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(speech.subprocess, "run", broken)
    speech._synthesize_cached.cache_clear()
    try:
        assert speech.synthesize("fallback please") == speech.synthetic_speech("fallback please")
    finally:
        speech._synthesize_cached.cache_clear()


def test_garbage_from_espeak_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def garbage(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(args, 0, stdout=b"RIFF\x00\x00\x00\x00WAVEjunk", stderr=b"")

    monkeypatch.setattr(speech.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(speech.subprocess, "run", garbage)
    assert speech.espeak_speech("hello") is None


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng is not installed")
def test_espeak_speech_is_real_speech_at_24_khz() -> None:
    pcm = speech.espeak_speech(SENTENCE, voice="alloy")
    assert pcm is not None
    assert_speech_like(pcm, SENTENCE)
    assert speech.synthesize(SENTENCE, voice="alloy") == pcm
    assert speech.espeak_speech("-v xx --help") is not None  # text is never read as options


def test_espeak_voice_names() -> None:
    assert speech.espeak_voice(None) == "en-us"
    assert speech.espeak_voice("alloy") == "en-us+f3"
    assert speech.espeak_voice("Custom") == speech.espeak_voice("Custom")
    assert speech.espeak_voice("Custom").startswith("en-")


def test_resample_keeps_duration_and_pitch() -> None:
    count = 22_050
    source = struct.pack(
        f"<{count}h", *(int(8000 * math.sin(2 * math.pi * 441 * n / 22_050)) for n in range(count))
    )
    out = speech.resample(source, 22_050, 24_000)
    samples = struct.unpack(f"<{len(out) // 2}h", out)
    assert len(samples) == 24_000
    crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert 439 <= crossings <= 442
    assert speech.resample(b"", 22_050, 24_000) == b""
    assert speech.resample(b"\x01\x00\x02", 24_000, 24_000) == b"\x01\x00"
    with pytest.raises(ValueError):
        speech.resample(source, 0, 24_000)


def test_chunk_audio_splits_into_deltas_of_n_ms() -> None:
    audio = bytes(range(256)) * 100  # 25,600 bytes: 533 ms and a bit
    chunks = list(speech.chunk_audio(audio, 100))
    assert [len(c) for c in chunks] == [4800] * 5 + [1600]
    assert b"".join(chunks) == audio
    assert list(speech.chunk_audio(b"", 40)) == []
    with pytest.raises(ValueError):
        list(speech.chunk_audio(audio, 0))


def test_duration_and_silence() -> None:
    assert speech.duration_ms(speech.silence(250)) == 250
    assert speech.silence(-5) == b""
