"""Azure Voice Live as an endpoint kind: URL forms, a model or a Foundry agent, keys and Entra ID,
the environment contract (AZURE_VOICELIVE_*), and what it cannot do (no client secrets)."""

from __future__ import annotations

import pytest

from agentkit.connection import (
    VOICE_LIVE_API_VERSION,
    VOICE_LIVE_SCOPE,
    Endpoint,
    EndpointError,
    KeyAuth,
    TokenAuth,
    VoiceLiveAgent,
)
from agentkit.protocol import Dialect

KEY = "vl-test-SECRET-0123456789"
RESOURCE = "https://my-foundry.services.ai.azure.com"


@pytest.mark.parametrize(
    "pasted",
    [
        RESOURCE,
        RESOURCE + "/",
        RESOURCE + "/voice-live/realtime",
        "wss://my-foundry.services.ai.azure.com/voice-live",
    ],
)
def test_voice_live_url_for_a_model_tolerates_pasted_forms(pasted: str) -> None:
    endpoint = Endpoint.voice_live(pasted, "gpt-realtime", api_key=KEY)
    assert endpoint.url == (
        "wss://my-foundry.services.ai.azure.com/voice-live/realtime"
        f"?api-version={VOICE_LIVE_API_VERSION}&model=gpt-realtime"
    )
    assert endpoint.dialect is Dialect.VOICE_LIVE
    assert endpoint.provider == "azure.ai.voicelive"
    assert isinstance(endpoint.auth, KeyAuth)
    assert endpoint.auth.placement == "api-key"
    assert KEY not in repr(endpoint)


def test_voice_live_for_a_foundry_agent() -> None:
    agent = VoiceLiveAgent("support-agent", "shop-project", version="3", conversation_id="conv_1")
    endpoint = Endpoint.voice_live(RESOURCE, agent=agent, api_key=KEY, api_version="2025-10-01")
    assert endpoint.url.endswith(
        "?api-version=2025-10-01&agent-name=support-agent&agent-project-name=shop-project"
        "&agent-version=3&conversation-id=conv_1"
    )
    assert endpoint.model is None


@pytest.mark.parametrize(
    ("model", "agent", "message"),
    [
        (None, None, "needs a model"),
        ("gpt-realtime", VoiceLiveAgent("a", "p"), "not both"),
        (None, VoiceLiveAgent("a", " "), "project name"),
    ],
)
def test_voice_live_needs_exactly_a_model_or_an_agent(
    model: str | None, agent: VoiceLiveAgent | None, message: str
) -> None:
    with pytest.raises(EndpointError, match=message):
        Endpoint.voice_live(RESOURCE, model, agent=agent, api_key=KEY)


def test_voice_live_without_a_key_uses_entra_id_for_the_ai_foundry_scope() -> None:
    endpoint = Endpoint.voice_live(RESOURCE, "gpt-realtime")
    assert isinstance(endpoint.auth, TokenAuth)
    assert VOICE_LIVE_SCOPE in endpoint.auth.description
    assert VOICE_LIVE_SCOPE == "https://ai.azure.com/.default"


@pytest.mark.anyio
async def test_voice_live_has_no_client_secrets() -> None:
    endpoint = Endpoint.voice_live(RESOURCE, "gpt-realtime", api_key=KEY)
    with pytest.raises(EndpointError, match="no client secrets"):
        await endpoint.create_client_secret()


def test_from_env_selects_voice_live_from_its_variables() -> None:
    env = {
        "AZURE_VOICELIVE_ENDPOINT": RESOURCE,
        "AZURE_VOICELIVE_API_KEY": KEY,
        "AZURE_VOICELIVE_MODEL": "gpt-realtime-mini",
    }
    endpoint = Endpoint.from_env(env)
    assert endpoint is not None
    assert endpoint.provider == "azure.ai.voicelive"
    assert endpoint.model == "gpt-realtime-mini"
    assert isinstance(endpoint.auth, KeyAuth)
    keyless = Endpoint.from_env(
        {**env, "AZURE_VOICELIVE_API_KEY": "", "AZURE_VOICELIVE_API_VERSION": "2025-10-01"}
    )
    assert keyless is not None
    assert isinstance(keyless.auth, TokenAuth)
    assert "api-version=2025-10-01" in keyless.url


def test_from_env_voice_live_without_a_model_says_what_is_missing() -> None:
    with pytest.raises(EndpointError, match="AZURE_VOICELIVE_MODEL"):
        Endpoint.from_env({"AZURE_VOICELIVE_ENDPOINT": RESOURCE})


def test_from_env_order_and_an_explicit_provider() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://my-res.openai.azure.com",
        "AZURE_OPENAI_DEPLOYMENT_NAME": "rt",
        "AZURE_OPENAI_API_KEY": KEY,
        "AZURE_VOICELIVE_ENDPOINT": RESOURCE,
        "AZURE_VOICELIVE_MODEL": "gpt-realtime",
        "AZURE_VOICELIVE_API_KEY": KEY,
    }
    first = Endpoint.from_env(env)
    assert first is not None
    assert first.provider == "azure.ai.openai"  # Azure OpenAI's variables keep their precedence
    chosen = Endpoint.from_env(env, provider="voicelive")
    assert chosen is not None
    assert chosen.provider == "azure.ai.voicelive"
    with pytest.raises(EndpointError, match="AZURE_VOICELIVE_ENDPOINT is not set"):
        Endpoint.from_env({"OPENAI_API_KEY": KEY}, provider="voicelive")
