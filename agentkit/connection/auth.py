"""How a connection proves who it is: an API key (header, bearer, query or subprotocol), an Entra ID
token from an azure-identity credential, or nothing (a local server).

Each strategy turns into `Credentials` right before a handshake, so a reconnect always gets a fresh
token. Tokens are fetched without blocking the event loop and cached until shortly before expiry.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import anyio
import anyio.to_thread

from agentkit.connection.entra import quiet_credential_chain, sign_in_failure
from agentkit.connection.errors import EndpointError, HandshakeError
from agentkit.connection.failures import AuthKind
from agentkit.connection.secrets import Secret

KeyPlacement = Literal["api-key", "bearer", "query", "subprotocol"]
"""Where a key goes: the `api-key` header (Azure), `Authorization: Bearer` (OpenAI, proxies), the
`api-key` query parameter (Azure, browser style) or the `openai-insecure-api-key.` subprotocol
(OpenAI, browser style). The browser styles exist for callers that ask; headers are the default."""

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
_KEY_SUBPROTOCOL = "openai-insecure-api-key."
_PLACEMENTS = ("api-key", "bearer", "query", "subprotocol")
_KEY_CHARACTERS = re.compile(r"[!-~]+")
"""Printable ASCII without spaces: every real key; anything else would be refused (or, in a
subprotocol, echoed with the key by websockets' own error) only once connecting."""


class AccessTokenLike(Protocol):
    token: str
    expires_on: int


class TokenCredentialLike(Protocol):
    """azure-identity's `AsyncTokenCredential` (or the sync `TokenCredential`, run in a thread)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Credentials:
    """What one handshake sends; `secrets` lists the values to scrub from anything logged."""

    headers: dict[str, str] = field(default_factory=dict, repr=False)
    query: dict[str, str] = field(default_factory=dict, repr=False)
    subprotocols: tuple[str, ...] = field(default=(), repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


class Auth:
    """No authentication (a local server without a key); the base of the other strategies."""

    description = "none"
    kind: AuthKind = "none"
    """How it signs in ("none", "key", "token"): refusals are explained in these terms."""

    async def credentials(self) -> Credentials:
        """What to send with the WebSocket handshake."""
        return Credentials()

    async def http_headers(self) -> dict[str, str]:
        """Headers for plain HTTPS calls (client-secret minting), where only headers make sense."""
        return {}

    async def aclose(self) -> None:
        """Release what this strategy created (a default credential's HTTP session)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description})"


class KeyAuth(Auth):
    """A static API key, sent where `placement` says."""

    kind: AuthKind = "key"

    def __init__(self, key: str, placement: KeyPlacement = "api-key") -> None:
        if placement not in _PLACEMENTS:
            raise ValueError(f"key placement must be one of {', '.join(_PLACEMENTS)}; got {placement!r}")
        self._key = Secret(key)
        if not _KEY_CHARACTERS.fullmatch(self._key.reveal()):
            raise EndpointError(
                "the API key contains spaces, line breaks or non-ASCII characters; "
                "check it for a stray quote or space picked up while pasting"
            )
        self.placement: KeyPlacement = placement
        self.description = f"key in {placement}"

    async def credentials(self) -> Credentials:
        key = self._key.reveal()
        if self.placement == "api-key":
            return Credentials(headers={"api-key": key}, secrets=(key,))
        if self.placement == "bearer":
            return Credentials(headers={"Authorization": f"Bearer {key}"}, secrets=(key,))
        if self.placement == "query":
            return Credentials(query={"api-key": key}, secrets=(key,))
        return Credentials(subprotocols=("realtime", _KEY_SUBPROTOCOL + key), secrets=(key,))

    async def http_headers(self) -> dict[str, str]:
        key = self._key.reveal()
        # The browser styles are Azure's (query) and OpenAI's (subprotocol) ways to carry the same key.
        if self.placement in ("api-key", "query"):
            return {"api-key": key}
        return {"Authorization": f"Bearer {key}"}


class TokenAuth(Auth):
    """Entra ID bearer tokens from an azure-identity credential, cached and refreshed before expiry.

    With no credential, azure-identity's `DefaultAzureCredential` is created on first use (and closed
    by `aclose`). It is the sync one, called in a worker thread: the async variants need aiohttp, which
    agentkit does not depend on. An async credential passed in is awaited directly.
    """

    kind: AuthKind = "token"

    def __init__(
        self,
        credential: TokenCredentialLike | None = None,
        *,
        scope: str = AZURE_SCOPE,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not scope or not isinstance(scope, str):
            raise ValueError("the token scope must be a non-empty string")
        self._credential = credential
        self._owns_credential = credential is None
        self.scope = scope
        self._refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._token: Secret | None = None
        self._expires_on = 0.0
        self._lock = anyio.Lock()
        self.description = f"Entra ID token for {scope}"

    async def token(self) -> str:
        """A token valid for at least the refresh margin (fetched only when the cached one is not)."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_on - self._refresh_margin_s:
                access = await self._fetch()
                self._token = Secret(access.token)
                self._expires_on = float(access.expires_on)
            return self._token.reveal()

    async def _fetch(self) -> AccessTokenLike:
        credential = self._credential
        if credential is None:
            credential = self._credential = _default_credential()
        try:
            with quiet_credential_chain():
                if inspect.iscoroutinefunction(credential.get_token):
                    access = await credential.get_token(self.scope)
                else:
                    access = await anyio.to_thread.run_sync(credential.get_token, self.scope)
                    if inspect.isawaitable(access):
                        access = await access
        except Exception as exc:
            raise HandshakeError(sign_in_failure(self.scope, exc)) from None
        if not isinstance(getattr(access, "token", None), str) or not access.token:
            raise HandshakeError(f"the credential returned no token for {self.scope}")
        if not isinstance(getattr(access, "expires_on", None), (int, float)):
            raise HandshakeError("the credential's token has no numeric `expires_on`")
        result: AccessTokenLike = access
        return result

    async def credentials(self) -> Credentials:
        token = await self.token()
        return Credentials(headers={"Authorization": f"Bearer {token}"}, secrets=(token,))

    async def http_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}

    async def aclose(self) -> None:
        if not self._owns_credential or self._credential is None:
            return
        credential, self._credential = self._credential, None
        close = getattr(credential, "close", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result


def _default_credential() -> TokenCredentialLike:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:  # pragma: no cover - azure-identity is a dependency
        raise HandshakeError("keyless Azure auth needs the azure-identity package") from exc
    credential: TokenCredentialLike = DefaultAzureCredential()
    return credential
