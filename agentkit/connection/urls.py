"""The URL forms of the Realtime services, built from what users paste (and rejected early when they
cannot work). No secrets ever go into these URLs; a query key is added only at connect time."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from agentkit.connection.errors import EndpointError
from agentkit.protocol import Dialect

_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_HTTP_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
_AZURE_PASTED_SUFFIXES = ("/realtime", "/v1", "/openai")
GA_API_VERSIONS = ("", "v1")
_CALL_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


def _split(url: str, what: str, *, allow_query: bool = False) -> SplitResult:
    if not isinstance(url, str) or not url.strip():
        raise EndpointError(f"{what} is empty; set it to a URL such as https://my-resource.openai.azure.com")
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # urlsplit checks the port only when it is read: fail here, not at connect time
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        raise EndpointError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in _WS_SCHEMES:
        raise EndpointError(
            f"{what} must start with https:// (or http://, wss://, ws://); got {_shown(parts)!r}"
        )
    if not parts.hostname:
        raise EndpointError(f"{what} has no host name; got {_shown(parts)!r}")
    if parts.username or parts.password:
        raise EndpointError(f"{what} must not contain credentials; pass the key as api_key instead")
    if parts.query and not allow_query:
        raise EndpointError(f"{what} must not have a query string; pass api_version / deployment separately")
    return parts


def _shown(parts: SplitResult) -> str:
    """A URL for an error message: scheme, host and path only (a query could hold a key)."""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _ws(parts: SplitResult, path: str, query: dict[str, str]) -> str:
    return urlunsplit((_WS_SCHEMES[parts.scheme.lower()], parts.netloc, path, urlencode(query), ""))


def _require_name(value: str, what: str, env: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EndpointError(f"{what} is empty; set it (or {env}) to the name of your realtime deployment")
    return value.strip()


def azure_dialect(api_version: str | None) -> Dialect:
    """Unset or `v1` -> GA; a `...-preview` date -> the preview dialect; anything else cannot work."""
    version = (api_version or "").strip()
    if version in GA_API_VERSIONS:
        return Dialect.GA
    if version.endswith("-preview"):
        return Dialect.PREVIEW
    raise EndpointError(
        f"api_version {version!r} does not serve the Realtime API: leave OPENAI_API_VERSION unset (or 'v1') "
        "for GA, or use a preview version such as 2025-04-01-preview"
    )


def azure_realtime_url(endpoint: str, deployment: str, api_version: str | None = None) -> tuple[str, Dialect]:
    """The Azure URL for a resource endpoint and deployment, and the dialect it speaks."""
    parts = _split(endpoint, "the Azure OpenAI endpoint (AZURE_OPENAI_ENDPOINT)")
    deployment = _require_name(deployment, "the deployment", "AZURE_OPENAI_DEPLOYMENT_NAME")
    dialect = azure_dialect(api_version)
    prefix = azure_prefix(parts.path)
    if dialect is Dialect.GA:
        return _ws(parts, f"{prefix}/openai/v1/realtime", {"model": deployment}), dialect
    query = {"api-version": (api_version or "").strip(), "deployment": deployment}
    return _ws(parts, f"{prefix}/openai/realtime", query), dialect


def azure_prefix(path: str) -> str:
    """The path before `/openai` (an API gateway's prefix, usually empty), tolerating pasted suffixes."""
    path = path.rstrip("/")
    for suffix in _AZURE_PASTED_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return path.rstrip("/")


def azure_http_base(endpoint: str) -> str:
    parts = _split(endpoint, "the Azure OpenAI endpoint (AZURE_OPENAI_ENDPOINT)")
    scheme = _HTTP_SCHEMES[parts.scheme.lower()]
    return urlunsplit((scheme, parts.netloc, azure_prefix(parts.path), "", ""))


def openai_base(base_url: str) -> str:
    """An OpenAI(-compatible) base URL (`https://api.openai.com/v1`) without a pasted `/realtime`."""
    parts = _split(base_url, "the OpenAI base URL (OPENAI_BASE_URL)")
    path = parts.path.rstrip("/")
    if path.endswith("/realtime"):
        path = path[: -len("/realtime")]
    return urlunsplit((_HTTP_SCHEMES[parts.scheme.lower()], parts.netloc, path, "", ""))


def openai_realtime_url(base_url: str, model: str) -> str:
    model = _require_name(model, "the model", "OPENAI_REALTIME_MODEL")
    parts = urlsplit(openai_base(base_url))
    return _ws(parts, f"{parts.path}/realtime", {"model": model})


VOICE_LIVE_API_VERSION = "2026-07-15"
_VOICE_LIVE_PATH = "/voice-live/realtime"


def voice_live_url(endpoint: str, query: dict[str, str]) -> str:
    """`wss://<resource>/voice-live/realtime?api-version=...&model=...` (a pasted path is tolerated)."""
    parts = _split(endpoint, "the Voice Live endpoint (AZURE_VOICELIVE_ENDPOINT)")
    prefix = parts.path.rstrip("/")
    for suffix in (_VOICE_LIVE_PATH, "/voice-live"):
        if prefix.endswith(suffix):
            prefix = prefix[: -len(suffix)]
    return _ws(parts, prefix.rstrip("/") + _VOICE_LIVE_PATH, query)


def custom_url(url: str) -> tuple[str, str | None]:
    """A caller's own WebSocket URL (ws form) and the model/deployment named in its query, if any."""
    parts = _split(url, "the endpoint URL", allow_query=True)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "api-key" in query:
        raise EndpointError("put the key in api_key, not in the URL (URLs end up in logs)")
    model = query.get("model") or query.get("deployment") or None
    return _ws(parts, parts.path, query), model


def with_query(url: str, extra: dict[str, str]) -> str:
    if not extra:
        return url
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *extra.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def http_url(ws_url: str, path: str) -> str:
    """The https (or http) URL on the same host as `ws_url`, with `path`."""
    parts = urlsplit(ws_url)
    return urlunsplit((_HTTP_SCHEMES[parts.scheme.lower()], parts.netloc, path, "", ""))


def checked_call_id(call_id: str) -> str:
    """A call id as the services hand them out (`rtc_...`, `call_...`); anything else is refused early."""
    if not isinstance(call_id, str) or not _CALL_ID.fullmatch(call_id.strip()):
        raise EndpointError(
            "the call id must be the id the service gave the call (letters, digits, '_', '-', '.', ':'), "
            f"got {call_id!r:.60}"
        )
    return call_id.strip()


def call_url(realtime_url: str, call_id: str) -> str:
    """The sideband URL of a call: the Realtime URL with `?call_id=` instead of the model or deployment
    (OpenAI `/v1/realtime?call_id=`, Azure GA `/openai/v1/realtime?call_id=`)."""
    parts = urlsplit(realtime_url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("model", "deployment")
    ]
    query.append(("call_id", checked_call_id(call_id)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def sibling(url: str, name: str) -> str:
    """`url` with its last path segment replaced by `name` (`.../client_secrets` -> `.../calls`)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/").rsplit("/", 1)[0] + "/" + name
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def gpt_live_url(base_url: str) -> str:
    """OpenAI GPT-Live: `wss://api.openai.com/v1/live/sessions` (the model goes in `session.start`)."""
    parts = urlsplit(openai_base(base_url))
    path = parts.path.rstrip("/")
    for suffix in ("/live/sessions", "/live"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return _ws(parts, f"{path}/live/sessions", {})


def azure_gpt_live_url(endpoint: str) -> str:
    """Azure Foundry GPT-Live: `wss://<resource>/openai/v1/live/sessions` (a pasted path is tolerated)."""
    parts = _split(endpoint, "the Azure GPT-Live endpoint")
    path = parts.path.rstrip("/")
    for suffix in ("/openai/v1/live/sessions", "/openai/v1/live", "/openai/v1", "/openai"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return _ws(parts, f"{path}/openai/v1/live/sessions", {})
