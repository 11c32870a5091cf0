"""Where an OpenAI GPT-Live session is (OpenAI or Azure Foundry) and how to authenticate to it.

GPT-Live is not a Realtime dialect (see `agentkit.protocol.live`), so it has an endpoint type of its
own rather than a `Dialect`: the URL carries no model (the model goes in `session.start`), and the
first frame must be `session.start`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from agentkit.connection import urls
from agentkit.connection.auth import Auth, KeyAuth, TokenAuth, TokenCredentialLike
from agentkit.connection.errors import EndpointError
from agentkit.connection.failures import Caller, Service
from agentkit.connection.transport import RealtimeConnection, TransportOptions, open_connection
from agentkit.connection.voice_live import VOICE_LIVE_SCOPE
from agentkit.protocol import Codec, Dialect
from agentkit.protocol.live import session_start

DEFAULT_GPT_LIVE_MODEL = "gpt-live-1"
_SERVICES: dict[str, Service] = {"openai": "openai", "azure": "azure"}


class GptLiveEndpoint:
    """A GPT-Live service to connect to; immutable, never shows its secrets."""

    def __init__(self, *, url: str, model: str, auth: Auth, provider: str) -> None:
        if not model.strip():
            raise EndpointError("the GPT-Live model is empty; use for example 'gpt-live-1'")
        self.url = url
        self.model = model.strip()
        self.auth = auth
        self.provider = provider

    @classmethod
    def openai(
        cls, api_key: str, model: str = DEFAULT_GPT_LIVE_MODEL, base_url: str = "https://api.openai.com/v1"
    ) -> GptLiveEndpoint:
        """OpenAI's `v1/live/sessions`, with the key as a bearer token."""
        return cls(
            url=urls.gpt_live_url(base_url), model=model, auth=KeyAuth(api_key, "bearer"), provider="openai"
        )

    @classmethod
    def azure(
        cls,
        endpoint: str,
        model: str = DEFAULT_GPT_LIVE_MODEL,
        *,
        api_key: str | None = None,
        credential: TokenCredentialLike | None = None,
        token_scope: str = VOICE_LIVE_SCOPE,
    ) -> GptLiveEndpoint:
        """Azure Foundry's `<resource>/openai/v1/live/sessions`: an `api-key` header, or Entra ID tokens."""
        if api_key and credential is not None:
            raise EndpointError("pass either api_key or credential, not both")
        auth: Auth = KeyAuth(api_key, "api-key") if api_key else TokenAuth(credential, scope=token_scope)
        return cls(url=urls.azure_gpt_live_url(endpoint), model=model, auth=auth, provider="azure")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GptLiveEndpoint | None:
        """From the environment: Azure Foundry's `AZURE_GPTLIVE_ENDPOINT` (with `AZURE_GPTLIVE_API_KEY`,
        or Entra ID without it), else OpenAI's `OPENAI_API_KEY`; `GPT_LIVE_MODEL` names the model
        (default gpt-live-1). None when neither is set."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        model = get("GPT_LIVE_MODEL") or DEFAULT_GPT_LIVE_MODEL
        azure = get("AZURE_GPTLIVE_ENDPOINT")
        if azure:
            return cls.azure(azure, model, api_key=get("AZURE_GPTLIVE_API_KEY"))
        key = get("OPENAI_API_KEY")
        if key:
            return cls.openai(key, model, base_url=get("OPENAI_BASE_URL") or "https://api.openai.com/v1")
        return None

    async def connect(self, options: TransportOptions | None = None) -> RealtimeConnection:
        """Open the WebSocket (fresh credentials each time). Send and read raw frames on it
        (`send_text`, `recv_frame`): GPT-Live's events are `agentkit.protocol.live`'s, not a dialect's."""
        credentials = await self.auth.credentials()
        return await open_connection(
            urls.with_query(self.url, credentials.query),
            shown_url=self.url,
            codec=Codec(Dialect.GA),  # unused: GPT-Live frames go through send_text / recv_frame
            headers=credentials.headers,
            subprotocols=credentials.subprotocols,
            secrets=credentials.secrets,
            options=options,
            caller=Caller(_SERVICES.get(self.provider, "other"), self.auth.kind),
        )

    async def aclose(self) -> None:
        """Release the default Entra credential this endpoint may have created."""
        await self.auth.aclose()

    def start_frame(self, session: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `session.start` frame for this endpoint's model (a model in `session` must agree)."""
        config = dict(session or {})
        if config.setdefault("model", self.model) != self.model:
            raise EndpointError(
                f"session model {config['model']!r} differs from the endpoint's {self.model!r}"
            )
        return session_start(config)

    def __repr__(self) -> str:
        return f"GptLiveEndpoint(url={self.url!r}, model={self.model!r}, auth={self.auth!r})"
