"""Audio helpers of the local server: durations per format, G.711 conversion, and speech to send.

Speech comes from `agentkit.testing.speech.synthesize` (espeak-ng where installed, otherwise a
clearly synthetic signal of a plausible length). `spoken()` makes speech the server will "hear" as
exactly its text (no recognition, so a test is certain of what was heard); other audio goes to the
server's speech recogniser (`agentkit.testing.hearing`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from agentkit.testing.speech import synthesize

_BYTES_PER_MS = {"pcm16": 48, "g711_ulaw": 8, "g711_alaw": 8}


def bytes_per_ms(audio_format: str) -> int:
    return _BYTES_PER_MS.get(audio_format, 48)


def duration_ms(nbytes: int, audio_format: str) -> int:
    return nbytes // bytes_per_ms(audio_format)


def default_synthesizer() -> Callable[[str, str | None], bytes]:
    """Speech by `agentkit.testing.speech` (espeak-ng where installed, else a synthetic signal)."""
    return lambda text, voice: synthesize(text, voice=voice)


def _ulaw(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw(sample: int) -> int:
    sign = 0x00 if sample < 0 else 0x80
    magnitude = min(abs(sample), 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def _ulaw_to_linear(code: int) -> int:
    code = ~code & 0xFF
    magnitude = ((((code & 0x0F) << 3) + 0x84) << ((code >> 4) & 0x07)) - 0x84
    return -magnitude if code & 0x80 else magnitude


def _alaw_to_linear(code: int) -> int:
    code ^= 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if code & 0x80 else -magnitude


def encode(pcm16: bytes, audio_format: str) -> bytes:
    """PCM16 at 24 kHz -> the session's output format (G.711 is 8 kHz: every third sample)."""
    if audio_format not in ("g711_ulaw", "g711_alaw"):
        return pcm16
    samples = struct.unpack(f"<{len(pcm16) // 2}h", pcm16[: len(pcm16) // 2 * 2])[::3]
    encoder = _ulaw if audio_format == "g711_ulaw" else _alaw
    return bytes(encoder(s) for s in samples)


def decode(data: bytes, audio_format: str) -> bytes:
    """The session's input format -> PCM16 at 24 kHz (G.711 samples are repeated three times)."""
    if audio_format not in ("g711_ulaw", "g711_alaw"):
        return data
    decoder = _ulaw_to_linear if audio_format == "g711_ulaw" else _alaw_to_linear
    samples = [decoder(code) for code in data for _ in range(3)]
    return struct.pack(f"<{len(samples)}h", *samples)


_FINGERPRINT_BYTES = 4800  # 50 ms of PCM16
_remembered: dict[bytes, tuple[str, int, bytes]] = {}
"""Middle window of remembered speech -> (its text, where its check window starts relative to the
middle one, the check window from three quarters in)."""


def remember(text: str, pcm16: bytes) -> bytes:
    """Note that `pcm16` says `text`, so the server can "hear" it later (transcripts, the model's input).

    Speech is known by 50 ms from its middle, checked against 50 ms from three quarters in: two
    sentences that begin alike ("Please look up order A-1001" and "... A-1003") share samples at the
    start, and the check tells them apart.
    """
    if len(pcm16) >= _FINGERPRINT_BYTES:
        middle = (len(pcm16) // 2) & ~1
        later = (len(pcm16) * 3 // 4) & ~1
        check = b""
        if later >= middle + _FINGERPRINT_BYTES and later + _FINGERPRINT_BYTES <= len(pcm16):
            check = bytes(pcm16[later : later + _FINGERPRINT_BYTES])
        _remembered[bytes(pcm16[middle : middle + _FINGERPRINT_BYTES])] = (text, later - middle, check)
    return pcm16


def recall(pcm16: bytes, *, complete: bool = False) -> str | None:
    """The text of remembered speech inside `pcm16` (padding and silence around it do not matter, nor
    audio cut short after its middle, as voice detection may cut it). `complete`: only speech heard
    up to its check window, three quarters in (a listener still receiving it waits for that)."""
    found: list[tuple[int, str]] = []
    for mark, (text, offset, check) in _remembered.items():
        at = pcm16.find(mark)
        while at >= 0:
            checked = at + offset
            if (
                not check
                or (checked + len(check) > len(pcm16) and not complete)
                or pcm16[checked : checked + len(check)] == check
            ):
                found.append((at, text))
                break
            at = pcm16.find(mark, at + 2)
    return " ".join(text for _, text in sorted(found)) or None


def spoken(text: str, voice: str | None = None) -> bytes:
    """PCM16 24 kHz speech of `text` that the local server understands as `text` when it hears it."""
    return remember(text, default_synthesizer()(text, voice))
