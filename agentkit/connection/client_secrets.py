"""Ephemeral client secrets: a service mints a short-lived key (GA `POST .../realtime/client_secrets`)
and hands it to a browser or phone, which then never sees the real key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from agentkit.connection.errors import ClientSecretError
from agentkit.connection.failures import Caller
from agentkit.connection.service_posts import post_to_service
from agentkit.protocol import Dialect, SessionConfig
from agentkit.protocol.dialects import session_to_wire

MIN_TTL_S = 10
MAX_TTL_S = 7200


@dataclass(frozen=True)
class ClientSecret:
    """A minted secret (`ek_...`); its value stays out of reprs."""

    value: str = field(repr=False)
    expires_at: int | None
    """Unix seconds; None when the service did not say."""
    session: dict[str, Any] = field(default_factory=dict, repr=False)
    """The session configuration the secret is bound to, as the service returned it."""


def _request_body(model: str | None, session: SessionConfig | None, expires_after_s: int | None) -> Any:
    wire = session_to_wire(session.set_fields() if session else {}, Dialect.GA)
    if model and "model" not in wire:
        wire["model"] = model
    body: dict[str, Any] = {"session": wire}
    if expires_after_s is not None:
        if not MIN_TTL_S <= expires_after_s <= MAX_TTL_S:
            raise ValueError(f"expires_after_s must be between {MIN_TTL_S} and {MAX_TTL_S} seconds")
        body["expires_after"] = {"anchor": "created_at", "seconds": expires_after_s}
    return body


def _parse(data: Any) -> ClientSecret:
    """GA answers `{value, expires_at, session}`; the preview shape nests `client_secret{value, ...}`."""
    if isinstance(data, dict) and isinstance(data.get("client_secret"), dict):
        data = {**data["client_secret"], "session": data}
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise ClientSecretError("the client_secrets answer has no secret value")
    expires_at = data.get("expires_at")
    session = data.get("session")
    return ClientSecret(
        value=value,
        expires_at=expires_at if isinstance(expires_at, int) else None,
        session=session if isinstance(session, dict) else {},
    )


async def mint_client_secret(
    url: str,
    *,
    headers: dict[str, str],
    model: str | None = None,
    session: SessionConfig | None = None,
    expires_after_s: int | None = None,
    timeout_s: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    caller: Caller | None = None,
) -> ClientSecret:
    """POST to a `client_secrets` URL with the service's own credentials in `headers`."""
    body = _request_body(model, session, expires_after_s)
    response = await post_to_service(
        url,
        headers=headers,
        error=ClientSecretError,
        action="minting a client secret",
        timeout_s=timeout_s,
        transport=transport,
        caller=caller,
        json=body,
    )
    try:
        data = response.json()
    except ValueError:
        raise ClientSecretError(f"the client_secrets answer from {url} is not JSON", url=url) from None
    return _parse(data)
