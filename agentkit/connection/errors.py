"""What can go wrong while getting connected, each with enough context to act on (and no secrets)."""

from __future__ import annotations


class EndpointError(ValueError):
    """The endpoint configuration cannot be right; the message says what to set."""


class ServiceError(Exception):
    """A request to the service failed before any WebSocket traffic.

    Carries the HTTP status (None when there was no HTTP answer), the service's own error text and
    code, the request id to quote to support, and (in the message) advice for the common causes.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        service_error: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        url: str | None = None,
        advice: str | None = None,
    ) -> None:
        self.status = status
        self.service_error = service_error
        self.code = code
        self.request_id = request_id
        self.url = url
        self.advice = advice
        """The one suggestion (also in the message) that fits this refusal, this service and this sign-in."""
        super().__init__(message)


class HandshakeError(ServiceError):
    """The server refused the WebSocket upgrade, or could not be reached or authenticated against."""


class ClientSecretError(ServiceError):
    """Minting an ephemeral client secret failed."""


class CallError(ServiceError):
    """Creating a WebRTC call (`POST .../realtime/calls`) failed."""


class ConnectionClosed(Exception):
    """The WebSocket closed; `code` and `reason` come from the close frame (1006 when there was none)."""

    def __init__(self, code: int, reason: str = "", *, clean: bool = False) -> None:
        self.code = code
        self.reason = reason
        self.clean = clean
        super().__init__(f"connection closed: {code}" + (f" ({reason})" if reason else ""))
