"""The WebSocket upgrade request as the relay sees it, whichever server received it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

RELAY_SUBPROTOCOL = "agentkit.relay"
"""The subprotocol the relay selects when a client offers it (with a ticket beside it)."""
TICKET_SUBPROTOCOL_PREFIX = "agentkit.ticket."
"""A client may offer `agentkit.ticket.<ticket>` as a second subprotocol: browsers cannot set headers
on a WebSocket, and unlike `?ticket=` this header is not written to access logs. It is never
selected, so the ticket is never sent back."""


@dataclass(frozen=True)
class Handshake:
    """One client's upgrade request. Header names are lower case; repeated query keys keep the first.

    Its repr shows the path only: headers and query strings carry credentials.
    """

    path: str
    query: Mapping[str, str] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    client: str | None = None
    """The peer's address (host:port), for logs."""

    @classmethod
    def from_parts(
        cls, path: str, query_string: str, headers: Mapping[str, str], client: str | None = None
    ) -> Handshake:
        query = {key: values[0] for key, values in parse_qs(query_string, keep_blank_values=True).items()}
        return cls(path=path, query=query, headers={k.lower(): v for k, v in headers.items()}, client=client)

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")

    @property
    def subprotocols(self) -> tuple[str, ...]:
        """The subprotocols the client offers, in order."""
        offered = self.headers.get("sec-websocket-protocol", "")
        return tuple(name.strip() for name in offered.split(",") if name.strip())

    @property
    def ticket(self) -> str | None:
        """A ticket offered as a subprotocol (preferred), else one in `?ticket=`."""
        for name in self.subprotocols:
            if name.startswith(TICKET_SUBPROTOCOL_PREFIX) and len(name) > len(TICKET_SUBPROTOCOL_PREFIX):
                return name[len(TICKET_SUBPROTOCOL_PREFIX) :]
        return self.query.get("ticket") or None

    @property
    def selected_subprotocol(self) -> str | None:
        """What the relay answers in `Sec-WebSocket-Protocol`: its own name when offered, else none."""
        return RELAY_SUBPROTOCOL if RELAY_SUBPROTOCOL in self.subprotocols else None

    @property
    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer ...` header, if any."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Rejection:
    """Why the relay refuses an upgrade: an HTTP status (401, 403, 503...) and a short message."""

    status: int
    message: str

    def body(self) -> bytes:
        return self.message.encode("utf-8") + b"\n"
