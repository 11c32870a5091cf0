"""The WebSocket upgrade request as the relay sees it, whichever server received it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs


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
