"""What a web server adapter needs from a relay, so adapters depend on this and never on `Relay` itself.

`RelayServer` (websockets), `RelayApp` (ASGI) and any later channel beside them carry requests to a
`Gateway`: the page, the upgrade check, and serving an accepted client. `Relay` is the one
implementation; keeping the adapters on this protocol keeps the imports running one way.
"""

from __future__ import annotations

from typing import Protocol

from agentkit.relay.channel import ClientChannel
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.limits import RelayLimits
from agentkit.relay.webrtc import OfferReply


class Gateway(Protocol):
    """A relay as its web server sees it."""

    path: str
    """The client WebSocket's path, below the mount point."""
    serve_page: bool
    limits: RelayLimits
    offer_path: str | None
    """Where browsers post WebRTC offers, below the mount point (None: WebRTC mode is off)."""

    @property
    def active(self) -> int:
        """Clients connected now."""
        ...

    def check_host(self, host: str | None) -> Rejection | None:
        """Whether to answer a request with this `Host` header at all; None answers."""
        ...

    def page(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type of a page file at `path`, or None when there is none."""
        ...

    def probe(self, path: str) -> tuple[int, bytes] | None:
        """The status and body of a health or readiness probe at `path`, or None when it is none."""
        ...

    async def drain(self, grace_seconds: float) -> None:
        """Stop taking clients and close the connections between turns (see `Relay.drain`)."""
        ...

    async def check_handshake(self, handshake: Handshake) -> Rejection | None:
        """Whether to accept an upgrade request; None accepts."""
        ...

    async def serve(self, channel: ClientChannel, handshake: Handshake) -> None:
        """Relay one accepted client until either side ends."""
        ...

    async def answer_offer(self, handshake: Handshake, body: bytes) -> OfferReply:
        """A WebRTC offer posted to `offer_path`: the SDP answer, or a refusal."""
        ...

    async def start_calls(self) -> None:
        """Begin serving WebRTC calls (before the first request)."""
        ...

    async def stop_calls(self) -> None:
        """End every WebRTC call's session (at shutdown)."""
        ...
