"""The opening handshake of the local server: which URL forms exist, which dialect each one means,
and who may connect. Mirrors what the real services do before the WebSocket upgrade."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from agentkit.protocol import Dialect

Flavor = Literal["openai", "azure", "voicelive", "gptlive"]

LIVE_PATHS = ("/v1/live/sessions", "/openai/v1/live/sessions")
"""GPT-Live's WebSocket paths (OpenAI, Azure Foundry): not Realtime, so the route's dialect is unused."""

_KEY_SUBPROTOCOL = "openai-insecure-api-key."


@dataclass(frozen=True)
class Route:
    """What a request path asks for: the dialect, the service it imitates, and the model/deployment."""

    dialect: Dialect
    flavor: Flavor
    model: str
    beta_header_rejected: bool = False
    """OpenAI GA with an `OpenAI-Beta: realtime=v1` header: upgrade, then refuse (as OpenAI does)."""
    call_id: str | None = None
    """A sideband: attach to this existing call (`?call_id=`) instead of starting a session."""


@dataclass(frozen=True)
class Rejection:
    """An HTTP error answered instead of the upgrade, with the services' JSON error body."""

    status: int
    code: str
    message: str

    def body(self) -> str:
        return json.dumps({"error": {"code": self.code, "message": self.message}})


def _query(raw: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def route(target: str, headers: Mapping[str, str]) -> Route | Rejection:
    """Map a request target (`/path?query`) to a `Route`, or to the HTTP error the service would give."""
    parts = urlsplit(target)
    path = parts.path.rstrip("/")
    query = _query(parts.query)
    beta = "realtime=v1" in headers.get("openai-beta", "").replace(" ", "")
    if path == "/openai/realtime":
        if not query.get("api-version"):
            return Rejection(400, "missing_api_version", "The api-version query parameter is required.")
        deployment = query.get("deployment", "")
        if not deployment:
            return Rejection(400, "missing_deployment", "The deployment query parameter is required.")
        return Route(Dialect.PREVIEW, "azure", deployment)
    if path in ("/openai/v1/realtime", "/v1/realtime") and "call_id" in query:
        if not query["call_id"]:
            return Rejection(400, "missing_call_id", "The call_id query parameter is empty.")
        flavor: Flavor = "azure" if path.startswith("/openai") else "openai"
        return Route(
            Dialect.GA, flavor, query.get("model", ""), beta_header_rejected=beta, call_id=query["call_id"]
        )
    if path == "/openai/v1/realtime":
        if "api-version" in query:
            return Rejection(401, "invalid_api_version", "api-version is not supported on /openai/v1 paths.")
        model = query.get("model", "")
        if not model:
            return Rejection(400, "missing_model", "The model query parameter is required.")
        return Route(Dialect.GA, "azure", model)
    if path == "/v1/realtime":
        model = query.get("model", "")
        if not model:
            return Rejection(400, "missing_model", "The model query parameter is required.")
        return Route(Dialect.GA, "openai", model, beta_header_rejected=beta)
    if path == "/voice-live/realtime":
        return _voice_live(query)
    if path in LIVE_PATHS:
        if "model" in query:
            return Rejection(
                400, "unknown_parameter", "GPT-Live takes its model in session.start, not the URL."
            )
        return Route(Dialect.GA, "gptlive", "")
    return Rejection(404, "not_found", f"No Realtime endpoint at {path or '/'}.")


def _voice_live(query: Mapping[str, str]) -> Route | Rejection:
    """Voice Live: an api-version, and a model or a Foundry agent (name and project)."""
    if not query.get("api-version"):
        return Rejection(400, "missing_api_version", "The api-version query parameter is required.")
    model = query.get("model", "")
    agent = query.get("agent-name", "")
    if agent and not query.get("agent-project-name"):
        return Rejection(400, "missing_agent_project", "agent-name needs agent-project-name.")
    if not model and not agent:
        return Rejection(400, "missing_model", "The model (or agent-name) query parameter is required.")
    return Route(Dialect.VOICE_LIVE, "voicelive", model or f"agent:{agent}")


TokenCheck = Collection[str] | Callable[[str], bool]


class Authenticator:
    """Checks credentials the ways the services accept them: `api-key` header, `Authorization: Bearer`,
    the `api-key` query parameter, or the browser subprotocol `openai-insecure-api-key.KEY`."""

    def __init__(self, api_key: str | None, accepted_tokens: TokenCheck = ()) -> None:
        self._api_key = api_key
        self._accepted = accepted_tokens

    @property
    def enabled(self) -> bool:
        return self._api_key is not None

    def __repr__(self) -> str:
        return f"Authenticator(enabled={self.enabled})"

    def _is_key(self, value: str) -> bool:
        return self._api_key is not None and hmac.compare_digest(value.encode(), self._api_key.encode())

    def _is_token(self, value: str) -> bool:
        if self._is_key(value):
            return True
        if callable(self._accepted):
            return bool(self._accepted(value))
        return any(hmac.compare_digest(value.encode(), token.encode()) for token in self._accepted)

    def check(self, target: str, headers: Mapping[str, str]) -> Rejection | None:
        if not self.enabled:
            return None
        if self._is_key(headers.get("api-key", "")):
            return None
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token and self._is_token(token.strip()):
            return None
        query_key = _query(urlsplit(target).query).get("api-key")
        if query_key is not None and self._is_key(query_key):
            return None
        subprotocol_keys = [
            offered.strip()[len(_KEY_SUBPROTOCOL) :]
            for offered in headers.get("sec-websocket-protocol", "").split(",")
            if offered.strip().startswith(_KEY_SUBPROTOCOL)
        ]
        if any(self._is_token(key) for key in subprotocol_keys):
            return None
        offered_any = headers.get("api-key") or headers.get("authorization") or query_key or subprotocol_keys
        if not offered_any:
            return Rejection(401, "missing_credentials", "No api-key header or bearer token was provided.")
        return Rejection(401, "invalid_api_key", "Access denied due to an invalid key or token.")
