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


class Gateway(Protocol):
    """A relay as its web server sees it."""

    path: str
    """The client WebSocket's path, below the mount point."""
    serve_page: bool
    limits: RelayLimits

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
