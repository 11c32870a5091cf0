"""Where an OpenAI GPT-Live session is (OpenAI or Azure Foundry) and how to authenticate to it.

GPT-Live is not a Realtime dialect (see `agentkit.protocol.live`), so it has an endpoint type of its
own rather than a `Dialect`: the URL carries no model (the model goes in `session.start`), and the
first frame must be `session.start`.
"""

from __future__ import annotations

from typing import Any

from agentkit.connection import urls
from agentkit.connection.auth import Auth, KeyAuth, TokenAuth, TokenCredentialLike
from agentkit.connection.errors import EndpointError
from agentkit.connection.voice_live import VOICE_LIVE_SCOPE
from agentkit.protocol.live import session_start

DEFAULT_GPT_LIVE_MODEL = "gpt-live-1"


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
