"""Endpoint URL forms, dialects and environment parsing (no network)."""

from __future__ import annotations

import pytest

from agentkit.connection import Endpoint, EndpointError, KeyAuth, KeyPlacement, TokenAuth
from agentkit.protocol import Dialect

KEY = "sk-test-SECRET-0123456789"
RESOURCE = "https://my-res.openai.azure.com"


@pytest.mark.parametrize(
    "pasted",
    [
        RESOURCE,
        RESOURCE + "/",
        RESOURCE + "/openai/realtime",
        RESOURCE + "/openai/v1/realtime/",
        RESOURCE + "/openai/v1",
        "wss://my-res.openai.azure.com/openai",
    ],
)
def test_azure_ga_url_tolerates_pasted_forms(pasted: str) -> None:
    endpoint = Endpoint.azure(pasted, "my-realtime", api_key=KEY)
    assert endpoint.url == "wss://my-res.openai.azure.com/openai/v1/realtime?model=my-realtime"
    assert endpoint.dialect is Dialect.GA
    assert endpoint.provider == "azure.ai.openai"
    assert endpoint.model == "my-realtime"
    assert endpoint.client_secrets_url == RESOURCE + "/openai/v1/realtime/client_secrets"


@pytest.mark.parametrize("version", [None, "", "v1"])
def test_azure_without_preview_version_is_ga(version: str | None) -> None:
    endpoint = Endpoint.azure(RESOURCE, "d", api_key=KEY, api_version=version)
    assert endpoint.dialect is Dialect.GA
    assert "api-version" not in endpoint.url


def test_azure_preview_version_selects_the_preview_form() -> None:
    endpoint = Endpoint.azure(
        RESOURCE + "/openai/realtime", "gpt-4o-rt", api_key=KEY, api_version="2024-10-01-preview"
    )
    assert endpoint.url == (
        "wss://my-res.openai.azure.com/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-rt"
    )
    assert endpoint.dialect is Dialect.PREVIEW


def test_azure_keeps_a_gateway_prefix_and_maps_http_to_ws() -> None:
    endpoint = Endpoint.azure("http://127.0.0.1:8080/gw/openai/v1/realtime", "d", api_key=KEY)
    assert endpoint.url == "ws://127.0.0.1:8080/gw/openai/v1/realtime?model=d"
    assert endpoint.client_secrets_url == "http://127.0.0.1:8080/gw/openai/v1/realtime/client_secrets"


@pytest.mark.parametrize(
    ("endpoint", "deployment", "version", "message"),
    [
        ("", "d", None, "AZURE_OPENAI_ENDPOINT"),
        ("my-res.openai.azure.com", "d", None, "must start with https://"),
        ("ftp://my-res", "d", None, "must start with https://"),
        ("https://", "d", None, "no host name"),
        (RESOURCE + "?api-version=2024-10-01-preview", "d", None, "must not have a query string"),
        ("https://user:pw@my-res", "d", None, "must not contain credentials"),
        (RESOURCE, " ", None, "AZURE_OPENAI_DEPLOYMENT_NAME"),
        (RESOURCE, "d", "2024-10-21", "does not serve the Realtime API"),
        ("https://[::1", "d", None, "is not a valid URL: Invalid IPv6 URL"),
        ("https://my-res.openai.azure.com:99999", "d", None, "is not a valid URL: Port out of range"),
    ],
)
def test_azure_endpoints_that_cannot_work_fail_early(
    endpoint: str, deployment: str, version: str | None, message: str
) -> None:
    with pytest.raises(EndpointError, match=message):
        Endpoint.azure(endpoint, deployment, api_key=KEY, api_version=version)


def test_azure_auth_is_key_when_given_else_entra() -> None:
    keyed = Endpoint.azure(RESOURCE, "d", api_key=KEY)
    assert isinstance(keyed.auth, KeyAuth)
    assert keyed.auth.placement == "api-key"
    keyless = Endpoint.azure(RESOURCE, "d", token_scope="https://ai.azure.com/.default")
    assert isinstance(keyless.auth, TokenAuth)
    assert keyless.auth.scope == "https://ai.azure.com/.default"
    with pytest.raises(EndpointError, match="either api_key or credential"):
        Endpoint.azure(RESOURCE, "d", api_key=KEY, credential=object())  # type: ignore[arg-type]


def test_openai_ga_url_and_base_url_forms() -> None:
    default = Endpoint.openai(KEY)
    assert default.url == "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    assert default.dialect is Dialect.GA
    assert default.provider == "openai"
    assert default.client_secrets_url == "https://api.openai.com/v1/realtime/client_secrets"
    proxy = Endpoint.openai(KEY, "gpt-realtime-mini", base_url="http://localhost:9000/proxy/v1/realtime/")
    assert proxy.url == "ws://localhost:9000/proxy/v1/realtime?model=gpt-realtime-mini"
    assert proxy.model == "gpt-realtime-mini"
    with pytest.raises(EndpointError, match="OPENAI_API_KEY"):
        Endpoint.openai("")


def test_custom_url_is_used_as_given() -> None:
    endpoint = Endpoint.custom(
        "http://127.0.0.1:5000/openai/realtime?api-version=x-preview&deployment=dep", dialect="preview"
    )
    assert endpoint.url == "ws://127.0.0.1:5000/openai/realtime?api-version=x-preview&deployment=dep"
    assert endpoint.dialect is Dialect.PREVIEW
    assert endpoint.provider == "custom"
    assert endpoint.model == "dep"
    assert type(endpoint.auth).__name__ == "Auth"
    assert Endpoint.custom("ws://h/relay").model is None
    with pytest.raises(EndpointError, match="not in the URL"):
        Endpoint.custom("ws://h/v1/realtime?model=m&api-key=" + KEY)
    with pytest.raises(EndpointError, match="managed by agentkit"):
        Endpoint.custom("ws://h/x", headers={"Authorization": "Bearer " + KEY})


def test_from_env_prefers_azure_and_reads_the_quickstart_names() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": RESOURCE + "/",
        "AZURE_OPENAI_DEPLOYMENT_NAME": "rt",
        "AZURE_OPENAI_API_KEY": KEY,
        "OPENAI_API_VERSION": "2025-04-01-preview",
        "OPENAI_API_KEY": "sk-other",
    }
    endpoint = Endpoint.from_env(env)
    assert endpoint is not None
    assert endpoint.provider == "azure.ai.openai"
    assert endpoint.dialect is Dialect.PREVIEW
    assert endpoint.url.endswith("/openai/realtime?api-version=2025-04-01-preview&deployment=rt")
    assert isinstance(endpoint.auth, KeyAuth)


def test_from_env_azure_without_key_is_entra_and_v1_is_ga() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": RESOURCE,
        "AZURE_OPENAI_DEPLOYMENT_NAME": "rt",
        "OPENAI_API_VERSION": "v1",
    }
    endpoint = Endpoint.from_env(env)
    assert endpoint is not None
    assert endpoint.dialect is Dialect.GA
    assert isinstance(endpoint.auth, TokenAuth)


def test_from_env_openai() -> None:
    env = {
        "OPENAI_API_KEY": KEY,
        "OPENAI_REALTIME_MODEL": "gpt-realtime-mini",
        "OPENAI_BASE_URL": "https://px/v1",
    }
    endpoint = Endpoint.from_env(env)
    assert endpoint is not None
    assert endpoint.url == "wss://px/v1/realtime?model=gpt-realtime-mini"
    assert endpoint.provider == "openai"


def test_from_env_nothing_set_is_none_and_half_set_azure_says_what_is_missing() -> None:
    assert Endpoint.from_env({}) is None
    assert Endpoint.from_env({"AZURE_OPENAI_API_KEY": KEY, "OPENAI_API_KEY": "  "}) is None
    with pytest.raises(EndpointError, match="AZURE_OPENAI_DEPLOYMENT_NAME"):
        Endpoint.from_env({"AZURE_OPENAI_ENDPOINT": RESOURCE})


def test_repr_and_str_never_show_the_key() -> None:
    for endpoint in (
        Endpoint.azure(RESOURCE, "d", api_key=KEY),
        Endpoint.azure(RESOURCE, "d", api_key=KEY, key_placement="query"),
        Endpoint.openai(KEY),
        Endpoint.openai(KEY, key_placement="subprotocol"),
        Endpoint.custom("ws://h/v1/realtime?model=m", api_key=KEY),
    ):
        shown = " ".join(
            [repr(endpoint), str(endpoint), repr(endpoint.auth), repr(vars(endpoint)), endpoint.url]
        )
        assert KEY not in shown
        assert "Endpoint(" in repr(endpoint)


@pytest.mark.parametrize("placement", ["api-key", "bearer", "query", "subprotocol"])
@pytest.mark.parametrize(
    "bad_key", [f"{KEY}\u201d", f"{KEY[:5]} {KEY[5:]}", f"{KEY}\nX-Other: 1", f"{KEY}\u200b"]
)
def test_a_key_with_impossible_characters_fails_early_without_showing_it(
    placement: KeyPlacement, bad_key: str
) -> None:
    with pytest.raises(EndpointError, match="stray quote or space") as caught:
        Endpoint.custom("ws://h/v1/realtime?model=m", api_key=bad_key, key_placement=placement)
    assert KEY[5:] not in str(caught.value)


@pytest.mark.parametrize("url", ["ws://[::1/v1/realtime", "ws://127.0.0.1:port/v1/realtime"])
def test_a_malformed_custom_url_is_an_endpoint_error(url: str) -> None:
    with pytest.raises(EndpointError, match="the endpoint URL is not a valid URL"):
        Endpoint.custom(url)
