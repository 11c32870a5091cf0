"""Who "a client" is for `RelayLimits.max_connections_per_client` and the per-client connection rate."""

from __future__ import annotations

from collections.abc import Callable

from agentkit.relay.handshake import Handshake

ClientKey = Callable[[Handshake], str | None]
"""Names the client behind an upgrade request; connections with the same name share one cap.
None exempts that connection from the per-client cap (it still counts towards `max_connections`)."""


def peer_address(handshake: Handshake) -> str | None:
    """The default `ClientKey`: the peer's IP address, without the port.

    Behind a reverse proxy or load balancer every user shares the proxy's address, so one cap
    would cover them all: key on the authenticated subject or a forwarded header your proxy sets.
    """
    if not handshake.client:
        return None
    host, separator, _port = handshake.client.rpartition(":")
    return host if separator else handshake.client
