"""GPT-Live endpoints: URL forms (OpenAI, Azure Foundry), auth placement, start frame, no secrets."""

from __future__ import annotations

import asyncio

import pytest

from agentkit.connection.errors import EndpointError
from agentkit.connection.gpt_live import GptLiveEndpoint

KEY = "sk-test-secret-123"


@pytest.mark.parametrize(
    "base_url",
    ["https://api.openai.com/v1", "https://api.openai.com/v1/", "https://api.openai.com/v1/live/sessions"],
)
def test_openai_url_form(base_url: str) -> None:
    endpoint = GptLiveEndpoint.openai(KEY, base_url=base_url)
    assert endpoint.url == "wss://api.openai.com/v1/live/sessions"
    assert endpoint.model == "gpt-live-1"


@pytest.mark.parametrize(
    "resource",
    [
        "https://res.openai.azure.com",
        "https://res.openai.azure.com/openai/v1",
        "https://res.openai.azure.com/openai/v1/live/sessions/",
    ],
)
def test_azure_foundry_url_form(resource: str) -> None:
    endpoint = GptLiveEndpoint.azure(resource, api_key=KEY)
    assert endpoint.url == "wss://res.openai.azure.com/openai/v1/live/sessions"


def test_local_server_url_keeps_plain_ws() -> None:
    assert (
        GptLiveEndpoint.openai(KEY, base_url="http://127.0.0.1:9/v1").url
        == "ws://127.0.0.1:9/v1/live/sessions"
    )


def test_key_placement_per_provider() -> None:
    openai = asyncio.run(GptLiveEndpoint.openai(KEY).auth.credentials())
    azure = asyncio.run(GptLiveEndpoint.azure("https://res.openai.azure.com", api_key=KEY).auth.credentials())
    assert openai.headers == {"Authorization": f"Bearer {KEY}"}
    assert azure.headers == {"api-key": KEY}


def test_secrets_never_shown() -> None:
    assert KEY not in repr(GptLiveEndpoint.openai(KEY))
    with pytest.raises(EndpointError) as caught:
        GptLiveEndpoint.openai(KEY, base_url=f"https://u:{KEY}@api.openai.com/v1")
    assert KEY not in str(caught.value)


def test_start_frame_carries_the_model_and_refuses_a_different_one() -> None:
    endpoint = GptLiveEndpoint.openai(KEY, model="gpt-live-1")
    frame = endpoint.start_frame({"instructions": "be brief", "delegation": {"type": "client"}})
    assert frame["type"] == "session.start"
    assert frame["session"]["model"] == "gpt-live-1"
    assert frame["session"]["delegation"] == {"type": "client"}
    with pytest.raises(EndpointError, match="differs"):
        endpoint.start_frame({"model": "gpt-live-2"})


def test_both_key_and_credential_is_an_error() -> None:
    class Cred:
        def get_token(self, *scopes: str) -> object:
            raise AssertionError("not called")

    with pytest.raises(EndpointError, match="either"):
        GptLiveEndpoint.azure("https://res.openai.azure.com", api_key=KEY, credential=Cred())  # type: ignore[arg-type]


def test_from_env_reads_azure_first_then_openai_and_the_model() -> None:
    azure = {"AZURE_GPTLIVE_ENDPOINT": "https://res.services.ai.azure.com", "AZURE_GPTLIVE_API_KEY": "k1"}
    endpoint = GptLiveEndpoint.from_env({**azure, "OPENAI_API_KEY": "k2", "GPT_LIVE_MODEL": "gpt-live-1.1"})
    assert endpoint is not None
    assert (endpoint.provider, endpoint.model) == ("azure", "gpt-live-1.1")
    assert endpoint.url == "wss://res.services.ai.azure.com/openai/v1/live/sessions"
    assert "k1" not in repr(endpoint)
    openai = GptLiveEndpoint.from_env({"OPENAI_API_KEY": "k2"})
    assert openai is not None
    assert (openai.provider, openai.model, openai.url) == (
        "openai",
        "gpt-live-1",
        "wss://api.openai.com/v1/live/sessions",
    )
    assert GptLiveEndpoint.from_env({"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"}) is None
