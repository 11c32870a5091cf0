"""Speech for the local server: PCM16, 24 kHz, mono, from text.

Real speech comes from the `espeak-ng` command where it is installed; otherwise (or if it fails)
`synthetic_speech` makes a clearly artificial but speech-like signal: voiced "syllables" of a buzzy
tone with a rising and falling envelope, short gaps between words and longer pauses at punctuation,
lasting about as long as saying the text would. Both are deterministic and pure stdlib.

`synthesize` blocks (it may run a subprocess): call it from a worker thread in async code.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import shutil
import subprocess
import sys
import zlib
from array import array
from collections.abc import Iterator

SAMPLE_RATE = 24_000
BYTES_PER_MS = 2 * SAMPLE_RATE // 1000

_log = logging.getLogger(__name__)

_ESPEAK_TIMEOUT_S = 10.0
_MAX_TEXT_CHARS = 4_000
"""Longer text is cut: about four minutes of speech, more than a Realtime response holds."""
_CACHED_TEXT_CHARS = 1_000
_ESPEAK_VOICES = {
    "alloy": "en-us+f3",
    "ash": "en-us+m3",
    "ballad": "en-gb+m4",
    "coral": "en-us+f2",
    "echo": "en-us+m1",
    "sage": "en-gb+f4",
    "shimmer": "en-us+f4",
    "verse": "en-us+m2",
    "marin": "en-us+f1",
    "cedar": "en-us+m7",
}
_VARIANTS = tuple(_ESPEAK_VOICES.values())

_MS_PER_LETTER = 65
_WORD_GAP_MS = 40
_PAUSE_MS = {",": 150, ";": 200, ":": 200, ".": 300, "!": 300, "?": 300}
_PEAK = 9000


def synthesize(text: str, *, voice: str | None = None) -> bytes:
    """Speech for `text` as PCM16 24 kHz mono: espeak-ng if installed, else `synthetic_speech`.

    `voice` is a Realtime voice name (alloy, ash, ...) mapped onto an espeak-ng variant; any other
    name picks a variant deterministically. Same text and voice, same bytes.
    """
    text = text[:_MAX_TEXT_CHARS]
    return _synthesize_cached(text, voice) if len(text) <= _CACHED_TEXT_CHARS else _synthesize(text, voice)


def _synthesize(text: str, voice: str | None) -> bytes:
    if not text.strip():
        return b""
    spoken = espeak_speech(text, voice=voice) if shutil.which("espeak-ng") else None
    return spoken if spoken else synthetic_speech(text, voice=voice)


# Tests and benchmarks say the same short sentences again and again.
_synthesize_cached = functools.lru_cache(maxsize=256)(_synthesize)


def espeak_voice(voice: str | None) -> str:
    """The espeak-ng voice for a Realtime voice name."""
    if voice is None:
        return "en-us"
    return _ESPEAK_VOICES.get(voice.lower(), _VARIANTS[zlib.crc32(voice.encode()) % len(_VARIANTS)])


def espeak_speech(text: str, *, voice: str | None = None) -> bytes | None:
    """`text` spoken by espeak-ng, resampled to 24 kHz; None if espeak-ng is missing or fails."""
    command = shutil.which("espeak-ng")
    if command is None:
        return None
    try:
        # The text goes in on stdin, so text that starts with "-" is never read as an option.
        done = subprocess.run(
            [command, "--stdout", "--stdin", "-v", espeak_voice(voice)],
            input=text.encode("utf-8", "replace"),
            capture_output=True,
            timeout=_ESPEAK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _log.warning("espeak-ng failed (%s); using synthetic speech", type(exc).__name__)
        return None
    if done.returncode != 0:
        _log.warning("espeak-ng exited with %d; using synthetic speech", done.returncode)
        return None
    parsed = _parse_wav(done.stdout)
    if parsed is None:
        _log.warning("espeak-ng wrote no usable WAV; using synthetic speech")
        return None
    rate, pcm = parsed
    return resample(pcm, rate, SAMPLE_RATE) or None


def _parse_wav(data: bytes) -> tuple[int, bytes] | None:
    """(sample rate, PCM16 mono samples) of a WAV stream. espeak-ng writes placeholder chunk sizes
    when streaming, so the data chunk is read to the end of what arrived rather than trusted."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset, rate, fmt_ok = 12, 0, False
    while offset + 8 <= len(data):
        chunk, size = data[offset : offset + 4], int.from_bytes(data[offset + 4 : offset + 8], "little")
        body = data[offset + 8 : offset + 8 + size]
        if chunk == b"fmt " and len(body) >= 16:
            encoding, channels = int.from_bytes(body[0:2], "little"), int.from_bytes(body[2:4], "little")
            rate, bits = int.from_bytes(body[4:8], "little"), int.from_bytes(body[14:16], "little")
            fmt_ok = encoding == 1 and channels == 1 and bits == 16 and rate > 0
        elif chunk == b"data":
            return (rate, body[: len(body) - len(body) % 2]) if fmt_ok else None
        offset += 8 + size + (size & 1)
    return None


def _samples(pcm16: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm16[: len(pcm16) - len(pcm16) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _pcm16(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def resample(pcm16: bytes, from_rate: int, to_rate: int) -> bytes:
    """Linear-interpolation resampling of PCM16 mono (fine for speech in tests, not for music)."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} and {to_rate}")
    source = _samples(pcm16)
    if from_rate == to_rate or not source:
        return _pcm16(source)
    count = len(source) * to_rate // from_rate
    last = len(source) - 1
    out = array("h", bytes(2 * count))
    step = from_rate / to_rate
    for i in range(count):
        position = i * step
        left = int(position)
        right = min(left + 1, last)
        fraction = position - left
        out[i] = int(source[left] + (source[right] - source[left]) * fraction)
    return _pcm16(out)


def synthetic_speech(text: str, *, voice: str | None = None) -> bytes:
    """A speech-like signal as long as saying `text` takes: about 65 ms a letter or digit, a short gap
    between words, pauses at punctuation. Clearly not a voice, but it has speech's rhythm and level
    (so a VAD hears it). Deterministic; `voice` shifts the pitch."""
    pitch = 110.0 + (zlib.crc32((voice or "").encode()) % 8) * 15.0
    out = array("h")
    for token in re.findall(r"[^\W_]+|[,;:.!?]", text):
        if token in _PAUSE_MS:
            out.frombytes(bytes(2 * _PAUSE_MS[token] * SAMPLE_RATE // 1000))
            continue
        out.extend(_syllables(token, pitch * (1 + (zlib.crc32(token.lower().encode()) % 5 - 2) * 0.04)))
        out.frombytes(bytes(2 * _WORD_GAP_MS * SAMPLE_RATE // 1000))
    return _pcm16(out)


def _syllables(word: str, pitch: float) -> array[int]:
    """One word: a tone with a few harmonics, one raised-cosine swell per vowel group."""
    syllables = max(1, len(re.findall(r"[aeiouy]+", word.lower())))
    per_syllable = max(1, len(word) * _MS_PER_LETTER * SAMPLE_RATE // 1000 // syllables)
    period = max(2, round(SAMPLE_RATE / pitch))  # a whole number of samples, so one cycle repeats
    cycle = [_PEAK * _buzz(2 * math.pi * n / period) for n in range(period)]
    swell = [math.sin(math.pi * n / per_syllable) ** 2 for n in range(per_syllable)]
    total = per_syllable * syllables
    tone = (cycle * (total // period + 1))[:total]
    return array("h", [int(t * w) for t, w in zip(tone, swell * syllables, strict=True)])


def _buzz(phase: float) -> float:
    return 0.6 * math.sin(phase) + 0.3 * math.sin(2 * phase) + 0.1 * math.sin(3 * phase)


def silence(ms: int) -> bytes:
    """`ms` of PCM16 24 kHz silence."""
    return bytes(max(0, ms) * BYTES_PER_MS)


def duration_ms(pcm16: bytes) -> int:
    """How long PCM16 24 kHz mono audio lasts, in whole ms."""
    return len(pcm16) // BYTES_PER_MS


def chunk_audio(pcm16: bytes, ms: int = 100) -> Iterator[bytes]:
    """`pcm16` in pieces of `ms` each (the last may be shorter), as a server sends audio deltas."""
    if ms <= 0:
        raise ValueError(f"chunk length must be positive, got {ms} ms")
    size = ms * BYTES_PER_MS
    for offset in range(0, len(pcm16), size):
        yield pcm16[offset : offset + size]
