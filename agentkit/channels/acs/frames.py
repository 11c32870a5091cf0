"""Azure Communication Services bidirectional media streaming frames (JSON over WebSocket).

From ACS: `AudioMetadata` (first: encoding, sample rate, channels), `AudioData` (base64 PCM 16-bit
mono, with `silent` and the participant), `DtmfData`. To ACS: `AudioData` to play, `StopAudio` to
stop what is playing (barge-in). ACS has no marks: playback is taken as real time.
"""

from __future__ import annotations

import json
from typing import Any

from agentkit.channels.media import CLOSE_BAD_DATA, StreamError

PCM = "PCM"
SAMPLE_RATE = 24_000


def metadata(message: dict[str, Any]) -> tuple[str, int, int]:
    """(encoding, sample rate, channels) of an `AudioMetadata` frame."""
    meta = message.get("audioMetadata")
    if not isinstance(meta, dict):
        raise StreamError(CLOSE_BAD_DATA, "the AudioMetadata frame has no audioMetadata object")
    try:
        return str(meta.get("encoding", "")), int(meta.get("sampleRate", 0)), int(meta.get("channels", 0))
    except (TypeError, ValueError):
        raise StreamError(CLOSE_BAD_DATA, "AudioMetadata is not numeric") from None


def audio(data_b64: str) -> str:
    return json.dumps({"kind": "AudioData", "audioData": {"data": data_b64}, "stopAudio": None})


def stop_audio() -> str:
    return json.dumps({"kind": "StopAudio", "audioData": None, "stopAudio": {}})
