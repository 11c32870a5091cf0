"""Turning a refused HTTP request into an error a person can act on: status, the service's own words,
the request id for support, and advice for the usual causes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TypeVar

from agentkit.connection.errors import ServiceError
from agentkit.connection.secrets import redact

_REQUEST_ID_HEADERS = ("x-request-id", "apim-request-id", "x-ms-request-id", "x-ms-client-request-id")
_MAX_SERVICE_TEXT = 500
_NOT_REALTIME = {"operationnotsupported", "opperationnotsupported"}

_ADVICE = {
    401: "Check the key (AZURE_OPENAI_API_KEY / OPENAI_API_KEY). With Entra ID, the identity needs the "
    "'Cognitive Services OpenAI User' role on the resource and a token for the right scope. On Azure GA "
    "(/openai/v1/realtime) an api-version in the URL also gives 401.",
    403: "The caller is authenticated but not allowed: assign the 'Cognitive Services OpenAI User' role, "
    "or check the resource's network rules (firewall, private endpoint).",
    404: "Check the deployment name (AZURE_OPENAI_DEPLOYMENT_NAME) and the URL form: GA is "
    "/openai/v1/realtime?model=DEPLOYMENT with no api-version; preview is "
    "/openai/realtime?api-version=...-preview&deployment=DEPLOYMENT.",
    429: "Rate limited or out of quota: back off, or raise the deployment's quota.",
}
_NOT_REALTIME_ADVICE = (
    "This deployment is not a realtime model: deploy gpt-realtime (or another realtime model) and use "
    "that deployment's name."
)

E = TypeVar("E", bound=ServiceError)


def service_error_text(body: bytes | str) -> tuple[str | None, str | None]:
    """(code, message) from an `{"error": {"code", "message"}}` body, or the body text itself."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return None, None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, text[:_MAX_SERVICE_TEXT]
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        return (
            str(code) if code is not None else None,
            str(message)[:_MAX_SERVICE_TEXT] if message is not None else None,
        )
    return None, str(error)[:_MAX_SERVICE_TEXT]


def request_id_from(headers: Mapping[str, str], sent: str | None = None) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return sent


def advice_for(status: int, code: str | None) -> str | None:
    if status == 400 and code and code.lower() in _NOT_REALTIME:
        return _NOT_REALTIME_ADVICE
    return _ADVICE.get(status)


def http_failure(
    kind: type[E],
    what: str,
    *,
    status: int,
    body: bytes | str,
    headers: Mapping[str, str],
    sent_request_id: str | None,
    url: str,
    secrets: Iterable[str],
) -> E:
    """The error for an HTTP refusal, its text scrubbed of every secret we sent."""
    # Scrub before `service_error_text` cuts the text short, which could cut a key in half.
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    code, message = service_error_text(redact(text, tuple(secrets)))
    request_id = request_id_from(headers, sent_request_id)
    parts = [f"{what} failed: HTTP {status}"]
    if code or message:
        parts.append(": " + ": ".join(p for p in (code, message) if p))
    parts.append(f" ({url})")
    advice = advice_for(status, code)
    if advice:
        parts.append(f". {advice}")
    if request_id:
        parts.append(f" [request id {request_id}]")
    return kind(
        "".join(parts),
        status=status,
        service_error=message,
        code=code,
        request_id=request_id,
        url=url,
    )
