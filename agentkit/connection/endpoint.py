"""`Endpoint`: where to connect, in which dialect, and with which credentials, in one object.

Build one with `Endpoint.azure`, `Endpoint.openai`, `Endpoint.custom` or `Endpoint.from_env`, then
`conn = await endpoint.connect()` or `async with endpoint.connect() as conn:`. Each connect asks the
auth strategy for fresh credentials, so reconnecting after a token expired just works.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from agentkit.connection import urls
from agentkit.connection.auth import AZURE_SCOPE, Auth, KeyAuth, KeyPlacement, TokenAuth, TokenCredentialLike
from agentkit.connection.errors import EndpointError
from agentkit.connection.failures import Caller, Service
from agentkit.connection.transport import RealtimeConnection, TransportOptions, open_connection
from agentkit.connection.voice_live import VOICE_LIVE_SCOPE, VoiceLiveAgent, voice_live_query
from agentkit.protocol import Codec, Dialect

if TYPE_CHECKING:
    from agentkit.connection.client_secrets import ClientSecret
    from agentkit.protocol import SessionConfig

Provider = Literal["azure.ai.openai", "azure.ai.voicelive", "openai", "custom"]
"""The service, named as OpenTelemetry's GenAI conventions name it (`gen_ai.system`)."""

DEFAULT_OPENAI_MODEL = "gpt-realtime"
OPENAI_BASE_URL = "https://api.openai.com/v1"
_RESERVED_HEADERS = {"api-key", "authorization", "openai-beta", "sec-websocket-protocol"}


class Endpoint:
    """A Realtime service to connect to; immutable, safe to share, never shows its secrets."""

    def __init__(
        self,
        *,
        url: str,
        dialect: Dialect,
        provider: Provider,
        model: str | None,
        auth: Auth,
        client_secrets_url: str,
        headers: Mapping[str, str] | None = None,
        send_client_request_id: bool = True,
    ) -> None:
        self.url = url
        """The WebSocket URL, without secrets (a query key is added only when connecting)."""
        self.dialect = dialect
        self.provider: Provider = provider
        self.model = model
        """The model (OpenAI) or deployment (Azure) name; None when a custom URL does not say."""
        self.auth = auth
        self.client_secrets_url = client_secrets_url
        self.calls_url = urls.sibling(client_secrets_url, "calls")
        """Where WebRTC calls are created (`POST .../realtime/calls`), beside `client_secrets`."""
        self.call_id: str | None = None
        """The call this endpoint is attached to (`for_call`); None for a session of its own."""
        self._headers = _checked_headers(headers)
        self._send_client_request_id = send_client_request_id

    # -- constructors ------------------------------------------------------------------------------

    @classmethod
    def azure(
        cls,
        endpoint: str,
        deployment: str,
        *,
        api_key: str | None = None,
        credential: TokenCredentialLike | None = None,
        api_version: str | None = None,
        token_scope: str = AZURE_SCOPE,
        key_placement: KeyPlacement = "api-key",
        headers: Mapping[str, str] | None = None,
    ) -> Endpoint:
        """Azure OpenAI: GA (`/openai/v1/realtime?model=`) unless a `...-preview` api_version asks for
        the preview form. An API key goes in the `api-key` header; without one, Entra ID tokens come
        from `credential` (default: azure-identity's `DefaultAzureCredential`, called in a worker thread)."""
        if api_key and credential is not None:
            raise EndpointError("pass either api_key or credential, not both")
        url, dialect = urls.azure_realtime_url(endpoint, deployment, api_version)
        auth: Auth = KeyAuth(api_key, key_placement) if api_key else TokenAuth(credential, scope=token_scope)
        return cls(
            url=url,
            dialect=dialect,
            provider="azure.ai.openai",
            model=deployment.strip(),
            auth=auth,
            client_secrets_url=urls.azure_http_base(endpoint) + "/openai/v1/realtime/client_secrets",
            headers=headers,
        )

    @classmethod
    def openai(
        cls,
        api_key: str,
        model: str = DEFAULT_OPENAI_MODEL,
        *,
        base_url: str | None = None,
        key_placement: KeyPlacement = "bearer",
        headers: Mapping[str, str] | None = None,
    ) -> Endpoint:
        """OpenAI's GA Realtime API (`/v1/realtime?model=`), or a compatible service at `base_url`."""
        if not api_key:
            raise EndpointError("the OpenAI API key is empty; set OPENAI_API_KEY or pass api_key")
        base = urls.openai_base(base_url or OPENAI_BASE_URL)
        return cls(
            url=urls.openai_realtime_url(base, model),
            dialect=Dialect.GA,
            provider="openai",
            model=model.strip(),
            auth=KeyAuth(api_key, key_placement),
            client_secrets_url=base + "/realtime/client_secrets",
            headers=headers,
            send_client_request_id=False,
        )

    @classmethod
    def voice_live(
        cls,
        endpoint: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        credential: TokenCredentialLike | None = None,
        agent: VoiceLiveAgent | None = None,
        api_version: str = urls.VOICE_LIVE_API_VERSION,
        token_scope: str = VOICE_LIVE_SCOPE,
        headers: Mapping[str, str] | None = None,
    ) -> Endpoint:
        """Azure Voice Live (`<resource>/voice-live/realtime`) for a model, or for a Foundry `agent`.

        An API key goes in the `api-key` header; without one, Entra ID tokens for the AI Foundry
        scope come from `credential` (default: azure-identity's `DefaultAzureCredential`)."""
        if api_key and credential is not None:
            raise EndpointError("pass either api_key or credential, not both")
        url = urls.voice_live_url(endpoint, voice_live_query(model, agent, api_version))
        auth: Auth = KeyAuth(api_key, "api-key") if api_key else TokenAuth(credential, scope=token_scope)
        return cls(
            url=url,
            dialect=Dialect.VOICE_LIVE,
            provider="azure.ai.voicelive",
            model=(model or "").strip() or None,
            auth=auth,
            client_secrets_url="",
            headers=headers,
        )

    @classmethod
    def custom(
        cls,
        url: str,
        *,
        dialect: Dialect | str = Dialect.GA,
        api_key: str | None = None,
        key_placement: KeyPlacement = "bearer",
        credential: TokenCredentialLike | None = None,
        token_scope: str = AZURE_SCOPE,
        headers: Mapping[str, str] | None = None,
        client_secrets_url: str | None = None,
    ) -> Endpoint:
        """Any Realtime WebSocket URL used as given (agentkit's local server, a proxy, a relay)."""
        ws_url, model = urls.custom_url(url)
        if api_key and credential is not None:
            raise EndpointError("pass either api_key or credential, not both")
        auth: Auth = Auth()
        if api_key:
            auth = KeyAuth(api_key, key_placement)
        elif credential is not None:
            auth = TokenAuth(credential, scope=token_scope)
        path = urlsplit(ws_url).path.rstrip("/")
        return cls(
            url=ws_url,
            dialect=Dialect(dialect),
            provider="custom",
            model=model,
            auth=auth,
            client_secrets_url=client_secrets_url or urls.http_url(ws_url, path + "/client_secrets"),
            headers=headers,
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, provider: EnvProvider | None = None
    ) -> Endpoint | None:
        """From the environment: Azure OpenAI's variables, else Voice Live's, else OpenAI's; None when
        none is configured. `provider` picks one of them (and then its variables must be set).

        Azure: AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME, AZURE_OPENAI_API_KEY (optional:
        without it, Entra ID), OPENAI_API_VERSION (a preview date selects the preview dialect).
        Voice Live: AZURE_VOICELIVE_ENDPOINT, AZURE_VOICELIVE_MODEL, AZURE_VOICELIVE_API_KEY
        (optional: without it, Entra ID), AZURE_VOICELIVE_API_VERSION (optional).
        OpenAI: OPENAI_API_KEY, OPENAI_REALTIME_MODEL, OPENAI_BASE_URL.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        if provider is not None:
            chosen = _FROM_ENV[provider](get)
            if chosen is None:
                names = ", ".join(_REQUIRED_ENV[provider])
                raise EndpointError(f"the {provider} provider was asked for, but {names} is not set")
            return chosen
        for read in _FROM_ENV.values():
            found = read(get)
            if found is not None:
                return found
        return None

    @staticmethod
    def _azure_from_env(get: Callable[[str], str | None]) -> Endpoint | None:
        azure_endpoint = get("AZURE_OPENAI_ENDPOINT")
        if azure_endpoint:
            deployment = get("AZURE_OPENAI_DEPLOYMENT_NAME")
            if not deployment:
                raise EndpointError(
                    "AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_DEPLOYMENT_NAME is not: "
                    "set it to the name of your realtime deployment"
                )
            return Endpoint.azure(
                azure_endpoint,
                deployment,
                api_key=get("AZURE_OPENAI_API_KEY"),
                api_version=get("OPENAI_API_VERSION"),
            )
        return None

    @staticmethod
    def _voice_live_from_env(get: Callable[[str], str | None]) -> Endpoint | None:
        endpoint = get("AZURE_VOICELIVE_ENDPOINT")
        if not endpoint:
            return None
        model = get("AZURE_VOICELIVE_MODEL")
        if not model:
            raise EndpointError(
                "AZURE_VOICELIVE_ENDPOINT is set but AZURE_VOICELIVE_MODEL is not: set it to the model "
                "to talk to, such as gpt-realtime"
            )
        return Endpoint.voice_live(
            endpoint,
            model,
            api_key=get("AZURE_VOICELIVE_API_KEY"),
            api_version=get("AZURE_VOICELIVE_API_VERSION") or urls.VOICE_LIVE_API_VERSION,
        )

    @staticmethod
    def _openai_from_env(get: Callable[[str], str | None]) -> Endpoint | None:
        api_key = get("OPENAI_API_KEY")
        if api_key:
            return Endpoint.openai(
                api_key, get("OPENAI_REALTIME_MODEL") or DEFAULT_OPENAI_MODEL, base_url=get("OPENAI_BASE_URL")
            )
        return None

    @property
    def extra_headers(self) -> dict[str, str]:
        """The caller's own headers (no credentials), for HTTP requests to the service."""
        return dict(self._headers)

    def for_call(self, call_id: str) -> Endpoint:
        """The same service and credentials, attached to an existing call (WebRTC or SIP) by its id:
        the sideband WebSocket (`...realtime?call_id=`). Only the GA dialect has calls."""
        if self.dialect is not Dialect.GA:
            raise EndpointError(
                "attaching to a call needs the GA Realtime API (a preview api_version has no calls): "
                "leave OPENAI_API_VERSION unset"
            )
        attached = copy.copy(self)
        attached.url = urls.call_url(self.url, call_id)
        attached.call_id = urls.checked_call_id(call_id)
        return attached

    # -- use ---------------------------------------------------------------------------------------

    def connect(self, options: TransportOptions | None = None) -> Connecting:
        """Open a connection: `conn = await endpoint.connect()` or `async with endpoint.connect() as conn`."""
        return Connecting(lambda: self._open(options))

    async def _open(self, options: TransportOptions | None) -> RealtimeConnection:
        credentials = await self.auth.credentials()
        request_id = str(uuid.uuid4()) if self._send_client_request_id else None
        headers = {**self._headers, **credentials.headers}
        if request_id:
            headers["x-ms-client-request-id"] = request_id
        return await open_connection(
            urls.with_query(self.url, credentials.query),
            shown_url=self.url,
            codec=Codec(self.dialect),
            headers=headers,
            subprotocols=credentials.subprotocols,
            secrets=credentials.secrets,
            request_id=request_id,
            options=options,
            caller=self._caller(),
        )

    async def create_client_secret(
        self,
        session: SessionConfig | None = None,
        *,
        expires_after_s: int | None = None,
        timeout_s: float = 30.0,
    ) -> ClientSecret:
        """Mint a short-lived client secret (GA `client_secrets`) to hand to a browser or phone."""
        from agentkit.connection.client_secrets import mint_client_secret

        if not self.client_secrets_url:
            raise EndpointError(f"{self.provider} has no client secrets: keep the session on your server")

        return await mint_client_secret(
            self.client_secrets_url,
            headers={**self._headers, **await self.auth.http_headers()},
            model=self.model,
            session=session,
            expires_after_s=expires_after_s,
            timeout_s=timeout_s,
            caller=self._caller(),
        )

    def _caller(self) -> Caller:
        """Which service and sign-in a refusal is explained for."""
        services: dict[str, Service] = {"azure.ai.openai": "azure", "openai": "openai"}
        return Caller(services.get(self.provider, "other"), self.auth.kind)

    async def aclose(self) -> None:
        """Release the default Entra credential this endpoint may have created."""
        await self.auth.aclose()

    def __repr__(self) -> str:
        return (
            f"Endpoint(provider={self.provider!r}, url={self.url!r}, dialect={self.dialect.value!r}, "
            f"auth={self.auth.description!r})"
        )

    __str__ = __repr__


EnvProvider = Literal["azure", "voicelive", "openai"]
"""The services `Endpoint.from_env` can read from the environment, in the order it tries them."""

_FROM_ENV: dict[EnvProvider, Callable[[Callable[[str], str | None]], Endpoint | None]] = {
    "azure": Endpoint._azure_from_env,
    "voicelive": Endpoint._voice_live_from_env,
    "openai": Endpoint._openai_from_env,
}
_REQUIRED_ENV: dict[EnvProvider, tuple[str, ...]] = {
    "azure": ("AZURE_OPENAI_ENDPOINT",),
    "voicelive": ("AZURE_VOICELIVE_ENDPOINT",),
    "openai": ("OPENAI_API_KEY",),
}


class Connecting:
    """What `Endpoint.connect()` returns: await it, or use it as an async context manager."""

    def __init__(self, opener: Callable[[], Awaitable[RealtimeConnection]]) -> None:
        self._opener = opener
        self._connection: RealtimeConnection | None = None

    def __await__(self) -> Generator[Any, None, RealtimeConnection]:
        return self._opener().__await__()

    async def __aenter__(self) -> RealtimeConnection:
        self._connection = await self._opener()
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()


def _checked_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(headers or {})
    for name in out:
        if name.lower() in _RESERVED_HEADERS:
            raise EndpointError(f"header {name!r} is managed by agentkit; pass keys as api_key")
    return out
