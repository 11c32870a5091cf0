"""Audio helpers for the Realtime formats, in pure Python (no numpy; `audioop` is gone in 3.13).

The API speaks `pcm16` (signed 16-bit little-endian mono, 24 kHz) and G.711 `g711_ulaw` /
`g711_alaw` (8 kHz, one byte per sample). Here: PCM16 <-> float, G.711 <-> PCM16, resampling (to and
from 24 kHz), chunking appends under the 15 MiB event limit, durations, and WAV files.
"""

from __future__ import annotations

import sys
import wave
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

PCM16_RATE = 24_000
G711_RATE = 8_000
MAX_APPEND_BYTES = (15 * 1024 * 1024) // 4 * 3
"""Raw bytes per `input_audio_buffer.append` so that its base64 stays within the 15 MiB limit."""

_BYTES_PER_SAMPLE = {"pcm16": 2, "g711_ulaw": 1, "g711_alaw": 1}
_DEFAULT_RATE = {"pcm16": PCM16_RATE, "g711_ulaw": G711_RATE, "g711_alaw": G711_RATE}
_BIG_ENDIAN = sys.byteorder == "big"


# --- PCM16 <-> samples ----------------------------------------------------------------------------


def pcm16_samples(pcm: bytes) -> array[int]:
    """Little-endian PCM16 bytes -> signed samples (an odd trailing byte is an error)."""
    if len(pcm) % 2:
        raise ValueError(f"PCM16 audio must have an even number of bytes; got {len(pcm)}")
    samples = array("h")
    samples.frombytes(pcm)
    if _BIG_ENDIAN:
        samples.byteswap()
    return samples


def pcm16_bytes(samples: Iterable[int]) -> bytes:
    """Signed 16-bit samples -> little-endian PCM16 bytes."""
    out = array("h", samples)
    if _BIG_ENDIAN:
        out.byteswap()
    return out.tobytes()


def pcm16_to_float(pcm: bytes) -> list[float]:
    """PCM16 -> floats in [-1.0, 1.0)."""
    return [s / 32768.0 for s in pcm16_samples(pcm)]


def float_to_pcm16(samples: Iterable[float]) -> bytes:
    """Floats in [-1.0, 1.0] -> PCM16, rounded and clipped (values outside the range, infinities
    included, saturate; NaN has no loudness and is refused)."""
    return pcm16_bytes(_float_sample(x) for x in samples)


def _float_sample(x: float) -> int:
    if x != x:
        raise ValueError("float audio contains NaN; it has no PCM16 value")
    return min(32767, round(max(-1.0, min(1.0, x)) * 32768.0))


# --- G.711 (ITU-T G.711, the classic segment tables) ----------------------------------------------

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159
_ULAW_BIAS_14 = 0x21
_ALAW_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _ulaw_encode_sample(sample: int) -> int:
    value = sample >> 2  # 14-bit; the arithmetic shift is what the reference tables expect
    if value < 0:
        value, mask = -value, 0x7F
    else:
        mask = 0xFF
    value = min(value, _ULAW_CLIP) + _ULAW_BIAS_14
    segment = max(0, value.bit_length() - 6)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def _ulaw_decode_byte(code: int) -> int:
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = ((((code & 0x0F) << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return -magnitude if code & 0x80 else magnitude


def _alaw_encode_sample(sample: int) -> int:
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = next((i for i, end in enumerate(_ALAW_SEGMENT_ENDS) if value <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def _alaw_decode_byte(code: int) -> int:
    code ^= 0x55
    magnitude = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude


@cache
def _decode_table(law: str) -> tuple[int, ...]:
    decode = _ulaw_decode_byte if law == "ulaw" else _alaw_decode_byte
    return tuple(decode(code) for code in range(256))


@cache
def _encode_table(law: str) -> bytes:
    """Code for every 16-bit sample, indexed by the sample as unsigned (`sample & 0xFFFF`)."""
    encode = _ulaw_encode_sample if law == "ulaw" else _alaw_encode_sample
    return bytes(encode(i - 65536 if i >= 32768 else i) for i in range(65536))


def _encode(pcm: bytes, law: str) -> bytes:
    unsigned = array("H")
    unsigned.frombytes(pcm16_samples(pcm).tobytes())
    return bytes(map(_encode_table(law).__getitem__, unsigned))


def pcm16_to_ulaw(pcm: bytes) -> bytes:
    return _encode(pcm, "ulaw")


def ulaw_to_pcm16(data: bytes) -> bytes:
    return pcm16_bytes(map(_decode_table("ulaw").__getitem__, data))


def pcm16_to_alaw(pcm: bytes) -> bytes:
    return _encode(pcm, "alaw")


def alaw_to_pcm16(data: bytes) -> bytes:
    return pcm16_bytes(map(_decode_table("alaw").__getitem__, data))


# --- resampling -----------------------------------------------------------------------------------


class Resampler:
    """Streaming linear-interpolation resampler for mono PCM16.

    Feed chunks in order; the output is the same as resampling the whole stream at once, with no
    clicks at chunk edges. Call `flush()` at the end for the last few samples. Linear interpolation
    is adequate for speech between the API's rates; it applies no anti-aliasing filter.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        if from_rate <= 0 or to_rate <= 0:
            raise ValueError(f"sample rates must be positive; got {from_rate} -> {to_rate}")
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._reset()

    def _reset(self) -> None:
        self._produced = 0
        """Output samples emitted so far; output n sits at input position n * from / to."""
        self._consumed = 0
        """Input samples before `_last` (the index of `_last` in the whole stream)."""
        self._last: int | None = None

    def process(self, pcm: bytes) -> bytes:
        samples = pcm16_samples(pcm)
        if not samples:
            return b""
        if self.from_rate == self.to_rate:
            return pcm
        window = samples if self._last is None else array("h", [self._last]) + samples
        base = self._consumed
        end = base + len(window)
        out = array("h")
        step_num, step_den = self.from_rate, self.to_rate
        n = self._produced
        while True:
            position = n * step_num
            index, remainder = divmod(position, step_den)
            if index + 1 >= end:
                break
            a = window[index - base]
            b = window[index + 1 - base]
            out.append(a + ((b - a) * remainder * 2 + step_den) // (2 * step_den))
            n += 1
        self._produced = n
        self._consumed = end - 1
        self._last = window[-1]
        if _BIG_ENDIAN:
            out.byteswap()
        return out.tobytes()

    def flush(self) -> bytes:
        """Samples that fall after the last input sample (held at its value), then reset."""
        if self._last is None or self.from_rate == self.to_rate:
            self._reset()
            return b""
        total_in = self._consumed + 1
        wanted = -(-total_in * self.to_rate // self.from_rate)
        tail = pcm16_bytes([self._last] * max(0, wanted - self._produced))
        self._reset()
        return tail


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole mono PCM16 clip; the result has ceil(len * to / from) samples."""
    resampler = Resampler(from_rate, to_rate)
    return resampler.process(pcm) + resampler.flush()


def to_24k(pcm: bytes, rate: int) -> bytes:
    """Mono PCM16 at `rate` -> the API's 24 kHz."""
    return resample(pcm, rate, PCM16_RATE)


def from_24k(pcm: bytes, rate: int) -> bytes:
    """The API's 24 kHz mono PCM16 -> `rate` (e.g. 8000 for telephony, 48000 for a sound card)."""
    return resample(pcm, PCM16_RATE, rate)


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Interleaved PCM16 with `channels` channels -> mono (the average of the channels)."""
    if channels == 1:
        return pcm
    if channels < 1:
        raise ValueError(f"channels must be at least 1; got {channels}")
    samples = pcm16_samples(pcm)
    if len(samples) % channels:
        raise ValueError(f"{len(samples)} samples do not divide into {channels} channels")
    frames = zip(*(samples[c::channels] for c in range(channels)), strict=True)
    return pcm16_bytes(sum(frame) // channels for frame in frames)


# --- sizes, durations, chunking -------------------------------------------------------------------


def _format(audio_format: str) -> int:
    try:
        return _BYTES_PER_SAMPLE[audio_format]
    except KeyError:
        known = ", ".join(_BYTES_PER_SAMPLE)
        raise ValueError(f"unknown audio format {audio_format!r}; expected one of {known}") from None


def _rate(audio_format: str, rate: int | None) -> int:
    if rate is None:
        return _DEFAULT_RATE[audio_format]
    if rate <= 0:
        raise ValueError(f"sample rate must be positive; got {rate}")
    return rate


def duration_ms(byte_count: int, audio_format: str = "pcm16", rate: int | None = None) -> float:
    """How long `byte_count` bytes of mono audio play (default rates: 24 kHz PCM16, 8 kHz G.711)."""
    width = _format(audio_format)
    if byte_count < 0:
        raise ValueError(f"byte count must not be negative; got {byte_count}")
    return byte_count / width / _rate(audio_format, rate) * 1000.0


def bytes_for_ms(ms: float, audio_format: str = "pcm16", rate: int | None = None) -> int:
    """Whole samples' worth of bytes for `ms` milliseconds of mono audio (rounded down)."""
    width = _format(audio_format)
    if not ms >= 0:  # also catches NaN
        raise ValueError(f"duration must be a non-negative number of ms; got {ms}")
    return int(ms * _rate(audio_format, rate) / 1000.0) * width


def chunks(audio: bytes, max_bytes: int = MAX_APPEND_BYTES, audio_format: str = "pcm16") -> Iterator[bytes]:
    """Split audio into pieces of at most `max_bytes`, never splitting a sample."""
    width = _format(audio_format)
    size = max_bytes - max_bytes % width
    if size <= 0:
        raise ValueError(f"max_bytes must hold at least one sample ({width} bytes); got {max_bytes}")
    view = memoryview(audio)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


# --- WAV files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WavAudio:
    """PCM16 audio read from a WAV file (interleaved when `channels` > 1)."""

    pcm: bytes
    sample_rate: int
    channels: int = 1

    @property
    def duration_ms(self) -> float:
        return len(self.pcm) / (2 * self.channels) / self.sample_rate * 1000.0

    def mono_24k(self) -> bytes:
        """Ready for the API: mono, 24 kHz PCM16."""
        return to_24k(to_mono(self.pcm, self.channels), self.sample_rate)


def read_wav(source: str | Path | BinaryIO) -> WavAudio:
    """Read a 16-bit PCM WAV file (other sample widths and compressed WAVs are rejected clearly)."""
    try:
        with wave.open(source if not isinstance(source, Path) else str(source), "rb") as reader:
            width = reader.getsampwidth()
            if width != 2:
                raise ValueError(f"only 16-bit PCM WAV is supported; this file has {8 * width}-bit samples")
            frames = reader.readframes(reader.getnframes())
            return WavAudio(frames, reader.getframerate(), reader.getnchannels())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a readable PCM WAV file: {exc}") from exc


def write_wav(
    target: str | Path | BinaryIO, pcm: bytes, sample_rate: int = PCM16_RATE, channels: int = 1
) -> None:
    """Write PCM16 audio as a WAV file."""
    if len(pcm) % (2 * channels):
        raise ValueError(f"{len(pcm)} bytes is not a whole number of {channels}-channel PCM16 frames")
    with wave.open(target if not isinstance(target, Path) else str(target), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
