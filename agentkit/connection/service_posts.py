"""One POST to the service with its own credentials, failing the way every such request fails:
a network error or an HTTP refusal becomes the caller's `ServiceError` kind, scrubbed of the keys sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from agentkit.connection.failures import Caller, E, http_failure
from agentkit.connection.secrets import redact

_SECRET_HEADERS = ("api-key", "authorization")


def sent_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials in request headers, for scrubbing (a bearer token without its scheme)."""
    return [v.removeprefix("Bearer ") for k, v in headers.items() if k.lower() in _SECRET_HEADERS]


async def post_to_service(
    url: str,
    *,
    headers: dict[str, str],
    error: type[E],
    action: str,
    timeout_s: float,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    caller: Caller | None = None,
    **request: Any,
) -> httpx.Response:
    """POST `request` (json=, files=, ...) and return the answer; `error` for anything below 400 not met.

    `client` reuses a caller's connection pool; without one a client is made for this request."""
    secrets = sent_secrets(headers)
    try:
        if client is not None:
            response = await client.post(url, headers=headers, timeout=timeout_s, **request)
        else:
            async with httpx.AsyncClient(timeout=timeout_s, transport=transport) as own:
                response = await own.post(url, headers=headers, **request)
    except httpx.HTTPError as exc:
        detail = redact(f"{type(exc).__name__}: {exc}", secrets)
        raise error(f"could not reach {url} ({detail})", url=url) from None
    if response.status_code >= 400:
        raise http_failure(
            error,
            action,
            status=response.status_code,
            body=response.content,
            headers=response.headers,
            sent_request_id=None,
            url=url,
            secrets=secrets,
            caller=caller,
        )
    return response
