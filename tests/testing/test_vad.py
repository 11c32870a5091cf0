"""EnergyVAD: start/stop positions on synthetic signals, chunking, noise, thresholds, reset."""

from __future__ import annotations

import math
import random
import struct

import pytest

from agentkit.protocol.session_config import TurnDetection
from agentkit.testing.vad import EnergyVAD, VadEvent, threshold_rms

RATE = 24_000


def tone(ms: int, amplitude: int = 8000, freq: float = 220.0) -> bytes:
    count = ms * RATE // 1000
    return struct.pack(
        f"<{count}h", *(int(amplitude * math.sin(2 * math.pi * freq * n / RATE)) for n in range(count))
    )


def silence(ms: int) -> bytes:
    return bytes(2 * ms * RATE // 1000)


def noise(ms: int, amplitude: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    count = ms * RATE // 1000
    return struct.pack(f"<{count}h", *(rng.randint(-amplitude, amplitude) for _ in range(count)))


def feed_in_chunks(vad: EnergyVAD, audio: bytes, size: int) -> list[VadEvent]:
    events: list[VadEvent] = []
    for offset in range(0, len(audio), size):
        events += vad.feed(audio[offset : offset + size])
    return events


def test_silence_tone_silence_gives_exact_positions() -> None:
    vad = EnergyVAD(threshold=0.5, prefix_padding_ms=300, silence_duration_ms=500)
    events = vad.feed(silence(1000) + tone(1500) + silence(1000))
    assert events == [VadEvent("speech_started", 700), VadEvent("speech_stopped", 2500)]
    assert vad.audio_ms == 3500
    assert not vad.speaking


@pytest.mark.parametrize("size", [1, 3, 479, 480, 4801, 100_000])
def test_chunk_size_and_odd_byte_counts_do_not_matter(size: int) -> None:
    audio = silence(1000) + tone(1500) + silence(1000)
    vad = EnergyVAD(silence_duration_ms=500)
    assert feed_in_chunks(vad, audio, size) == [
        VadEvent("speech_started", 700),
        VadEvent("speech_stopped", 2500),
    ]


def test_start_is_clamped_at_zero_and_stop_waits_for_the_silence_duration() -> None:
    vad = EnergyVAD(prefix_padding_ms=300, silence_duration_ms=800)
    assert vad.feed(silence(100) + tone(500)) == [VadEvent("speech_started", 0)]
    assert vad.speaking
    assert vad.feed(silence(790)) == []
    assert vad.feed(silence(10)) == [VadEvent("speech_stopped", 600)]


def test_two_utterances_with_a_short_pause_are_one_turn() -> None:
    vad = EnergyVAD(prefix_padding_ms=0, silence_duration_ms=500)
    events = vad.feed(tone(400) + silence(300) + tone(400) + silence(600) + tone(200) + silence(500))
    assert events == [
        VadEvent("speech_started", 0),
        VadEvent("speech_stopped", 1100),
        VadEvent("speech_started", 1700),
        VadEvent("speech_stopped", 1900),
    ]


def test_silence_and_a_noise_floor_never_start_speech() -> None:
    vad = EnergyVAD()
    assert vad.feed(silence(2000)) == []
    assert vad.feed(noise(3000, amplitude=300)) == []  # about -44 dBFS RMS, under -35
    assert vad.feed(b"") == []
    assert vad.audio_ms == 5000


def test_a_click_is_not_speech() -> None:
    vad = EnergyVAD(prefix_padding_ms=0)
    assert vad.feed(silence(100) + tone(20, amplitude=20000) + silence(1000)) == []


def test_speech_over_a_noise_floor_is_found() -> None:
    vad = EnergyVAD(prefix_padding_ms=0, silence_duration_ms=500)
    floor = noise(3000, amplitude=200)
    speech = bytearray(floor)
    loud = tone(1000)
    for i in range(0, len(loud), 2):
        mixed = struct.unpack_from("<h", floor, 48_000 + i)[0] + struct.unpack_from("<h", loud, i)[0]
        struct.pack_into("<h", speech, 48_000 + i, mixed)
    assert vad.feed(bytes(speech)) == [VadEvent("speech_started", 1000), VadEvent("speech_stopped", 2000)]


def test_threshold_maps_to_loudness() -> None:
    assert threshold_rms(0.0) == pytest.approx(32.768)
    assert threshold_rms(0.5) == pytest.approx(582.7, rel=1e-3)
    assert threshold_rms(1.0) == pytest.approx(10362.2, rel=1e-3)
    assert threshold_rms(-3) == threshold_rms(0.0)
    assert threshold_rms(7) == threshold_rms(1.0)
    soft = silence(200) + tone(1000, amplitude=2000) + silence(1000)  # about -27 dBFS RMS
    assert EnergyVAD(threshold=0.5).feed(soft) != []
    assert EnergyVAD(threshold=0.9).feed(soft) == []


def test_reset_forgets_speech_but_keeps_the_clock() -> None:
    vad = EnergyVAD(prefix_padding_ms=0)
    assert vad.feed(tone(500) + b"\x01") == [VadEvent("speech_started", 0)]
    vad.reset()
    assert not vad.speaking
    assert vad.feed(silence(2000)) == []
    assert vad.feed(tone(100)) == [VadEvent("speech_started", 2500)]


def test_built_from_a_sessions_turn_detection() -> None:
    vad = EnergyVAD.from_turn_detection(TurnDetection(silence_duration_ms=200), start_ms=1000)
    assert (vad.threshold, vad.prefix_padding_ms, vad.silence_duration_ms) == (0.5, 300, 200)
    assert vad.feed(silence(500) + tone(300) + silence(200)) == [
        VadEvent("speech_started", 1200),
        VadEvent("speech_stopped", 1800),
    ]
    assert vad.audio_ms == 2000


def test_other_sample_rates() -> None:
    vad = EnergyVAD(sample_rate=16_000, prefix_padding_ms=0, silence_duration_ms=300)
    audio = struct.pack("<8000h", *(int(8000 * math.sin(n / 5)) for n in range(8000))) + bytes(16_000)
    assert vad.feed(bytes(16_000) + audio) == [
        VadEvent("speech_started", 500),
        VadEvent("speech_stopped", 1000),
    ]


@pytest.mark.parametrize(
    "kwargs", [{"sample_rate": 0}, {"prefix_padding_ms": -1}, {"silence_duration_ms": -5}, {"start_ms": -1}]
)
def test_rejects_impossible_settings(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        EnergyVAD(**kwargs)  # type: ignore[arg-type]
