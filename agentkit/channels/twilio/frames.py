"""Twilio Media Streams frames (bidirectional `<Connect><Stream>`), parsed and built.

From Twilio: `connected`, `start` (call and stream ids, media format, custom parameters), `media`
(base64 mu-law 8 kHz), `mark` (a mark we sent, played), `dtmf`, `stop`. To Twilio: `media`, `mark`
and `clear`, each naming the stream. Parsing checks only what the bridge uses; unknown events are
ignored, as Twilio may add new ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentkit.channels.media import CLOSE_BAD_DATA, StreamError

MULAW = "audio/x-mulaw"
SAMPLE_RATE = 8000


@dataclass(frozen=True)
class StreamStart:
    """The `start` frame: which call this stream carries, and how its audio is encoded."""

    stream_sid: str
    call_sid: str
    account_sid: str = ""
    encoding: str = MULAW
    sample_rate: int = SAMPLE_RATE
    channels: int = 1
    tracks: tuple[str, ...] = ("inbound",)
    custom_parameters: dict[str, str] = field(default_factory=dict, repr=False)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise StreamError(CLOSE_BAD_DATA, f"{what} is missing or not a string")
    return value


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_start(message: dict[str, Any]) -> StreamStart:
    start = message.get("start")
    if not isinstance(start, dict):
        raise StreamError(CLOSE_BAD_DATA, "the start frame has no start object")
    media_format = _object(start.get("mediaFormat"))
    params = _object(start.get("customParameters"))
    tracks: list[Any] = start["tracks"] if isinstance(start.get("tracks"), list) else ["inbound"]
    try:
        rate = int(media_format.get("sampleRate", SAMPLE_RATE))
        channels = int(media_format.get("channels", 1))
    except (TypeError, ValueError):
        raise StreamError(CLOSE_BAD_DATA, "the start frame's mediaFormat is not numeric") from None
    return StreamStart(
        stream_sid=_text(start.get("streamSid") or message.get("streamSid"), "start.streamSid"),
        call_sid=_text(start.get("callSid"), "start.callSid"),
        account_sid=str(start.get("accountSid") or ""),
        encoding=str(media_format.get("encoding", MULAW)),
        sample_rate=rate,
        channels=channels,
        tracks=tuple(str(t) for t in tracks),
        custom_parameters={str(k): str(v) for k, v in params.items()},
    )


def media(stream_sid: str, payload_b64: str) -> str:
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload_b64}})


def mark(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
