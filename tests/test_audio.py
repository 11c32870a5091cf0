"""Audio helpers against known G.711 table values, round trips, and exact resampling vectors."""

from __future__ import annotations

import base64
import io
import math
import warnings
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentkit import audio


def pcm(*samples: int) -> bytes:
    return audio.pcm16_bytes(samples)


def samples_of(data: bytes) -> list[int]:
    return list(audio.pcm16_samples(data))


# --- PCM16 <-> float ----------------------------------------------------------------------------


def test_pcm16_is_little_endian() -> None:
    assert pcm(1, -2, 0x1234) == b"\x01\x00\xfe\xff\x34\x12"


def test_pcm16_to_float_known_values() -> None:
    assert audio.pcm16_to_float(pcm(0, 16384, -32768, 32767)) == [0.0, 0.5, -1.0, 32767 / 32768]


def test_float_to_pcm16_rounds_and_saturates() -> None:
    assert samples_of(audio.float_to_pcm16([0.0, 0.5, -1.0, 1.0, 2.5, -7.0, 1e-5])) == [
        0,
        16384,
        -32768,
        32767,
        32767,
        -32768,
        0,
    ]


def test_float_round_trip_is_exact_for_every_pcm16_value() -> None:
    every = pcm(*range(-32768, 32768))
    assert audio.float_to_pcm16(audio.pcm16_to_float(every)) == every


def test_infinities_saturate_and_nan_is_a_clear_error() -> None:
    inf = float("inf")
    assert samples_of(audio.float_to_pcm16([inf, -inf])) == [32767, -32768]
    with pytest.raises(ValueError, match="NaN"):
        audio.float_to_pcm16([0.0, float("nan")])


def test_odd_byte_count_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        audio.pcm16_to_float(b"\x00\x01\x02")


# --- G.711 --------------------------------------------------------------------------------------

# (code, linear) pairs from the ITU-T G.711 / Sun reference decode tables.
ULAW_DECODE = [(0x00, -32124), (0x80, 32124), (0x7F, 0), (0xFF, 0), (0xFE, 8), (0x7E, -8), (0xEF, 132)]
ALAW_DECODE = [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0x80, 5504)]
ULAW_ENCODE = [(0, 0xFF), (32767, 0x80), (-32768, 0x00), (-1, 0x7E), (8, 0xFE), (132, 0xEF)]
ALAW_ENCODE = [(0, 0xD5), (-1, 0x55), (32767, 0xAA), (-32768, 0x2A), (24, 0xD4)]


@pytest.mark.parametrize(("code", "linear"), ULAW_DECODE)
def test_ulaw_decode_table(code: int, linear: int) -> None:
    assert samples_of(audio.ulaw_to_pcm16(bytes([code]))) == [linear]


@pytest.mark.parametrize(("code", "linear"), ALAW_DECODE)
def test_alaw_decode_table(code: int, linear: int) -> None:
    assert samples_of(audio.alaw_to_pcm16(bytes([code]))) == [linear]


@pytest.mark.parametrize(("linear", "code"), ULAW_ENCODE)
def test_ulaw_encode_table(linear: int, code: int) -> None:
    assert audio.pcm16_to_ulaw(pcm(linear)) == bytes([code])


@pytest.mark.parametrize(("linear", "code"), ALAW_ENCODE)
def test_alaw_encode_table(linear: int, code: int) -> None:
    assert audio.pcm16_to_alaw(pcm(linear)) == bytes([code])


def test_g711_codes_survive_a_round_trip() -> None:
    codes = bytes(range(256))
    assert audio.pcm16_to_alaw(audio.alaw_to_pcm16(codes)) == codes
    # mu-law has two zeros (0x7F is "negative zero"); it comes back as the positive one.
    expected = codes.replace(b"\x7f", b"\xff")
    assert audio.pcm16_to_ulaw(audio.ulaw_to_pcm16(codes)) == expected


def test_g711_tables_are_monotonic_and_symmetric() -> None:
    ulaw = samples_of(audio.ulaw_to_pcm16(bytes(range(256))))
    alaw = samples_of(audio.alaw_to_pcm16(bytes(range(256))))
    assert sorted(set(ulaw)) == sorted({-v for v in ulaw})
    assert sorted(set(alaw)) == sorted({-v for v in alaw})
    # Encoding every 16-bit value picks a code whose value is among the nearest two table entries.
    values = sorted(set(ulaw))
    for linear in range(-32768, 32768, 97):
        decoded = samples_of(audio.ulaw_to_pcm16(audio.pcm16_to_ulaw(pcm(linear))))[0]
        below = max((v for v in values if v <= linear), default=values[0])
        above = min((v for v in values if v >= linear), default=values[-1])
        assert decoded in (below, above)


def _audioop() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop")


def test_g711_matches_audioop_for_every_value_where_available() -> None:
    audioop = _audioop()
    every = pcm(*range(-32768, 32768))
    codes = bytes(range(256))
    assert audio.pcm16_to_ulaw(every) == audioop.lin2ulaw(every, 2)
    assert audio.pcm16_to_alaw(every) == audioop.lin2alaw(every, 2)
    assert audio.ulaw_to_pcm16(codes) == audioop.ulaw2lin(codes, 2)
    assert audio.alaw_to_pcm16(codes) == audioop.alaw2lin(codes, 2)


# --- resampling ---------------------------------------------------------------------------------


def test_upsampling_interpolates_linearly() -> None:
    assert samples_of(audio.resample(pcm(0, 300, 600), 8000, 24000)) == [
        0,
        100,
        200,
        300,
        400,
        500,
        600,
        600,
        600,
    ]


def test_downsampling_picks_every_nth_sample_for_integer_ratios() -> None:
    assert samples_of(audio.resample(pcm(*range(0, 1200, 100)), 24000, 8000)) == [0, 300, 600, 900]


def test_resampled_length_is_ceiling_of_ratio() -> None:
    for n in (1, 2, 7, 480, 481):
        for src, dst in ((24000, 16000), (16000, 24000), (44100, 24000), (24000, 48000)):
            out = audio.resample(pcm(*([1000] * n)), src, dst)
            assert len(out) // 2 == math.ceil(n * dst / src)
            assert set(samples_of(out)) == {1000}


def test_streaming_matches_whole_clip() -> None:
    clip = pcm(*(int(8000 * math.sin(i / 7)) for i in range(1000)))
    whole = audio.resample(clip, 44100, 24000)
    resampler = audio.Resampler(44100, 24000)
    pieces = [resampler.process(clip[start : start + 34]) for start in range(0, len(clip), 34)]
    assert b"".join(pieces) + resampler.flush() == whole


def test_sine_survives_to_and_from_24k() -> None:
    tone = [int(10000 * math.sin(2 * math.pi * 440 * i / 16000)) for i in range(1600)]
    back = samples_of(audio.resample(audio.to_24k(pcm(*tone), 16000), 24000, 16000))
    assert len(back) == len(tone)
    # Every second sample lines up with an original one exactly; the rest are close interpolations.
    assert back[::2] == tone[::2]
    assert max(abs(a - b) for a, b in zip(tone, back, strict=True)) < 0.04 * 10000
    assert len(audio.from_24k(pcm(*range(240)), 8000)) == 80 * 2


def test_same_rate_is_identity_and_bad_rates_are_errors() -> None:
    assert audio.resample(pcm(1, 2, 3), 24000, 24000) == pcm(1, 2, 3)
    with pytest.raises(ValueError, match="positive"):
        audio.Resampler(0, 24000)


def test_to_mono_averages_channels() -> None:
    assert samples_of(audio.to_mono(pcm(100, 300, -10, -20), 2)) == [200, -15]
    with pytest.raises(ValueError, match="channels"):
        audio.to_mono(pcm(1, 2, 3), 2)


# --- sizes, durations, chunks -------------------------------------------------------------------


def test_durations_per_format() -> None:
    assert audio.duration_ms(48_000) == 1000.0
    assert audio.duration_ms(8_000, "g711_ulaw") == 1000.0
    assert audio.duration_ms(160, "g711_alaw") == 20.0
    assert audio.duration_ms(3_200, "pcm16", rate=16_000) == 100.0
    assert audio.bytes_for_ms(100) == 4_800
    assert audio.bytes_for_ms(20, "g711_ulaw") == 160
    with pytest.raises(ValueError, match="unknown audio format 'mp3'"):
        audio.duration_ms(10, "mp3")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: audio.duration_ms(-2), "byte count must not be negative"),
        (lambda: audio.duration_ms(48, rate=0), "sample rate must be positive; got 0"),
        (lambda: audio.bytes_for_ms(-5), "non-negative"),
        (lambda: audio.bytes_for_ms(float("nan")), "non-negative"),
        (lambda: audio.bytes_for_ms(10, rate=-8000), "sample rate must be positive"),
    ],
)
def test_impossible_sizes_and_rates_are_clear_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_default_chunks_stay_under_the_15_mib_event_limit() -> None:
    limit = 15 * 1024 * 1024
    assert len(base64.b64encode(b"\x00" * audio.MAX_APPEND_BYTES)) <= limit
    big = bytes(audio.MAX_APPEND_BYTES * 2 + 10)
    pieces = list(audio.chunks(big))
    assert [len(p) for p in pieces] == [audio.MAX_APPEND_BYTES, audio.MAX_APPEND_BYTES, 10]
    assert b"".join(pieces) == big


def test_chunks_never_split_a_sample() -> None:
    data = pcm(*range(10))
    pieces = list(audio.chunks(data, max_bytes=7))
    assert [len(p) for p in pieces] == [6, 6, 6, 2]
    assert b"".join(pieces) == data
    assert list(audio.chunks(b"abc", max_bytes=2, audio_format="g711_ulaw")) == [b"ab", b"c"]
    with pytest.raises(ValueError, match="at least one sample"):
        list(audio.chunks(data, max_bytes=1))


# --- WAV ----------------------------------------------------------------------------------------


def test_wav_round_trip_through_a_file(tmp_path: Path) -> None:
    data = pcm(*range(-500, 500))
    path = tmp_path / "clip.wav"
    audio.write_wav(path, data, sample_rate=16_000)
    clip = audio.read_wav(path)
    assert (clip.pcm, clip.sample_rate, clip.channels) == (data, 16_000, 1)
    assert clip.duration_ms == 62.5
    assert len(clip.mono_24k()) == 1500 * 2


def test_wav_stereo_in_memory_becomes_mono_24k() -> None:
    buffer = io.BytesIO()
    audio.write_wav(buffer, pcm(*([1000, 3000] * 240)), sample_rate=24_000, channels=2)
    buffer.seek(0)
    clip = audio.read_wav(buffer)
    assert clip.channels == 2
    assert samples_of(clip.mono_24k()) == [2000] * 240


def test_wav_rejects_other_sample_widths_and_garbage() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(8000)
        writer.writeframes(b"\x80" * 10)
    buffer.seek(0)
    with pytest.raises(ValueError, match="only 16-bit PCM"):
        audio.read_wav(buffer)
    with pytest.raises(ValueError, match="not a readable PCM WAV"):
        audio.read_wav(io.BytesIO(b"not a wav file at all"))
    with pytest.raises(ValueError, match="whole number"):
        audio.write_wav(io.BytesIO(), b"\x00\x01\x02")
