"""Just enough SDP to refuse a bad offer before it costs a call: the offer must be an SDP session
description with an audio section the caller sends (a microphone), and it stays bounded in size.

The service does the real negotiation; this is the early, clear error for what it would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_OFFER_BYTES = 64 * 1024
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class SdpError(ValueError):
    """The offer is not a usable WebRTC offer; the message says why (never echoes the whole SDP)."""


@dataclass(frozen=True)
class MediaSection:
    kind: str
    """`audio`, `video` or `application` (the data channel)."""
    port: int
    direction: str
    mid: str | None


@dataclass(frozen=True)
class Offer:
    text: str
    media: tuple[MediaSection, ...]

    @property
    def has_microphone(self) -> bool:
        return any(
            m.kind == "audio" and m.port != 0 and m.direction in ("sendrecv", "sendonly") for m in self.media
        )

    @property
    def has_data_channel(self) -> bool:
        return any(m.kind == "application" and m.port != 0 for m in self.media)


def parse_offer(text: object) -> Offer:
    """Check a browser's offer; `SdpError` when it is not SDP, too big, or has no audio to send."""
    if not isinstance(text, str) or not text.strip():
        raise SdpError("the offer is empty: send the browser's RTCSessionDescription.sdp")
    if len(text.encode("utf-8", "replace")) > MAX_OFFER_BYTES:
        raise SdpError(f"the offer is larger than {MAX_OFFER_BYTES // 1024} KiB")
    lines = [line.rstrip("\r") for line in text.strip().split("\n")]
    if lines[0] != "v=0":
        raise SdpError("the offer is not SDP (it must start with 'v=0')")
    for number, line in enumerate(lines, 1):
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise SdpError(f"the offer is not SDP: line {number} is not 'x=value'")
    if not any(line.startswith("o=") for line in lines) or not any(line.startswith("s=") for line in lines):
        raise SdpError("the offer is not SDP: it has no 'o=' or 's=' line")
    media = _media_sections(lines)
    offer = Offer(text=text, media=tuple(media))
    if not offer.has_microphone:
        raise SdpError("the offer has no audio to send: add a microphone track before creating the offer")
    return offer


def _media_sections(lines: list[str]) -> list[MediaSection]:
    sections: list[MediaSection] = []
    current: dict[str, object] | None = None
    session_direction = "sendrecv"

    def close() -> None:
        if current is not None:
            sections.append(MediaSection(**current))  # type: ignore[arg-type]

    for line in lines:
        if line.startswith("m="):
            close()
            fields = line[2:].split()
            if len(fields) < 3 or not fields[1].split("/")[0].isdigit():
                raise SdpError(f"the offer has a malformed media line: {line[:60]!r}")
            current = {
                "kind": fields[0],
                "port": int(fields[1].split("/")[0]),
                "direction": session_direction,
                "mid": None,
            }
        elif line[2:] in _DIRECTIONS and line.startswith("a="):
            if current is None:
                session_direction = line[2:]
            else:
                current["direction"] = line[2:]
        elif line.startswith("a=mid:") and current is not None:
            current["mid"] = line[len("a=mid:") :]
    close()
    return sections
