"""Turning a refused HTTP request into an error a person can act on: status, the service's own words,
the request id for support, and advice for the usual causes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from agentkit.connection.errors import ServiceError
from agentkit.connection.secrets import redact

_REQUEST_ID_HEADERS = ("x-request-id", "apim-request-id", "x-ms-request-id", "x-ms-client-request-id")
_MAX_SERVICE_TEXT = 500
_NOT_REALTIME = {"operationnotsupported", "opperationnotsupported"}

Service = Literal["azure", "openai", "other"]
AuthKind = Literal["key", "token", "none"]


@dataclass(frozen=True)
class Caller:
    """Who was refused: which service, and how it signed in; advice names only what applies to it."""

    service: Service = "other"
    auth: AuthKind = "key"


_RATE_LIMITED = "Rate limited or out of quota: back off, or raise the quota."
_AZURE_URL_FORMS = (
    "Check the deployment name (AZURE_OPENAI_DEPLOYMENT_NAME) and the URL form: GA is "
    "/openai/v1/realtime?model=DEPLOYMENT with no api-version; preview is "
    "/openai/realtime?api-version=...-preview&deployment=DEPLOYMENT."
)
_NOT_REALTIME_ADVICE = (
    "This deployment is not a realtime model: deploy gpt-realtime (or another realtime model) and use "
    "that deployment's name."
)


def _azure_shaped(caller: Caller, url: str) -> bool:
    return caller.service == "azure" or (caller.service == "other" and "/openai/" in url)


def _unauthorized(caller: Caller, url: str) -> str | None:
    if "/openai/v1/" in url and "api-version=" in url:
        return "On Azure GA (/openai/v1/realtime) an api-version in the URL gives 401: leave it out."
    if caller.service == "openai":
        return "Check OPENAI_API_KEY: the key is wrong, revoked, or from another organization."
    if caller.auth == "token":
        return (
            "The Entra ID token was refused: the signed-in identity needs the 'Cognitive Services OpenAI "
            "User' role on this resource (and must be in the resource's tenant)."
        )
    if caller.auth == "none":
        return "The server wants credentials: pass api_key=... (or set the key's environment variable)."
    if caller.service == "azure":
        return "Check AZURE_OPENAI_API_KEY: it must be one of this resource's two keys."
    return "Check the key: the server did not accept it."


def _forbidden(caller: Caller) -> str | None:
    if caller.service == "openai":
        return "The key is valid but may not use this model: check the project's model access."
    if caller.service != "azure":
        return "Authenticated but not allowed: check what the key may use, and the server's network rules."
    if caller.auth == "token":
        return (
            "Signed in but not allowed: assign the 'Cognitive Services OpenAI User' role, or check the "
            "resource's network rules (firewall, private endpoint)."
        )
    return "The key was accepted but the request is not allowed: check the resource's network rules."


def _not_found(caller: Caller, url: str) -> str:
    if _azure_shaped(caller, url):
        return _AZURE_URL_FORMS
    return "Check the model name (OPENAI_REALTIME_MODEL) and the base URL (OPENAI_BASE_URL)."


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


def advice_for(status: int, code: str | None, url: str = "", caller: Caller | None = None) -> str | None:
    """The one piece of advice that fits this refusal from this service, or None."""
    caller = caller or Caller()
    if status == 400 and code and code.lower() in _NOT_REALTIME:
        return _NOT_REALTIME_ADVICE
    if status == 401:
        return _unauthorized(caller, url)
    if status == 403:
        return _forbidden(caller)
    if status == 404:
        return _not_found(caller, url)
    if status == 429:
        return _RATE_LIMITED
    return None


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
    caller: Caller | None = None,
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
    advice = advice_for(status, code, url, caller)
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
        advice=advice,
    )
