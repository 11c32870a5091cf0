"""Caller speech for the simulated phones: text to audio the local server will "hear", in 20 ms packets.

Speech comes from `agentkit.testing.speech` (espeak-ng where installed, a synthetic signal otherwise)
and is marked the way `spoken()` marks it, after the carrier's own coding: the local server then
understands it as its text, even after mu-law.
"""

from __future__ import annotations

from agentkit.testing import audio as server_audio
from agentkit.testing.speech import synthesize

PACKET_MS = 20


def caller_speech(text: str, audio_format: str, voice: str | None = None) -> bytes:
    """`text` spoken in `audio_format` (`g711_ulaw` or `pcm16`), remembered for the local server."""
    pcm = synthesize(text, voice=voice)
    coded = server_audio.encode(pcm, audio_format)
    server_audio.remember(text, server_audio.decode(coded, audio_format))
    return coded


def silence(ms: int, audio_format: str) -> bytes:
    size = ms * server_audio.bytes_per_ms(audio_format)
    return (b"\xff" if audio_format == "g711_ulaw" else b"\x00") * size


def packets(data: bytes, audio_format: str, ms: int = PACKET_MS) -> list[bytes]:
    """`data` cut into packets of `ms` each, as a carrier sends it."""
    size = ms * server_audio.bytes_per_ms(audio_format)
    return [data[i : i + size] for i in range(0, len(data), size)]
