"""Where a command-line app connects: the endpoint the environment names, else a local server.

Apps and `agentkit chat` work offline out of the box: with no Azure or OpenAI variables set, they
start agentkit's local Realtime server in-process and say so in one line.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from agentkit.connection import Endpoint
from agentkit.connection.endpoint import EnvProvider
from agentkit.connection.gpt_live import GptLiveEndpoint
from agentkit.protocol import Dialect

if TYPE_CHECKING:
    from agentkit.testing import Faults, RealtimeModel


@asynccontextmanager
async def endpoint_or_local_server(
    announce: Callable[[str], None],
    *,
    environ: Mapping[str, str] | None = None,
    local_model: RealtimeModel | None = None,
    local_faults: Faults | None = None,
    provider: EnvProvider | None = None,
) -> AsyncIterator[Endpoint]:
    """The endpoint from `Endpoint.from_env()`, or one for a local server that lives as long as this.

    `announce` gets one line saying which it is (never a secret). `local_model` and `local_faults`
    configure the local server (default: its keyword model, no faults). Raises `EndpointError`
    when the environment is set up half-way (say, an Azure endpoint without a deployment).
    `provider="voicelive"` asks for Voice Live: `AZURE_VOICELIVE_*` if set, else the local server's
    `/voice-live/realtime`.
    """
    endpoint = _from_env(environ, provider)
    if endpoint is not None:
        announce(f"Connecting to {describe(endpoint)}.")
        try:
            yield endpoint
        finally:
            await endpoint.aclose()
        return
    from agentkit.testing import LocalRealtimeServer

    async with LocalRealtimeServer(model=local_model, faults=local_faults) as server:
        if provider == "voicelive":
            announce(
                f"No AZURE_VOICELIVE_ENDPOINT set: using agentkit's local server's Voice Live "
                f"at {server.ws_url}/voice-live/realtime (offline, a keyword-matching model)."
            )
            yield server.endpoint(Dialect.VOICE_LIVE)
            return
        announce(
            f"No AZURE_OPENAI_ENDPOINT or OPENAI_API_KEY set: using agentkit's local Realtime server "
            f"at {server.ws_url} (offline, a keyword-matching model)."
        )
        yield server.endpoint()


@asynccontextmanager
async def live_endpoint_or_local_server(
    announce: Callable[[str], None],
    *,
    environ: Mapping[str, str] | None = None,
    local_model: RealtimeModel | None = None,
) -> AsyncIterator[GptLiveEndpoint]:
    """GPT-Live from the environment (`GptLiveEndpoint.from_env`), else the local server's
    `/v1/live/sessions` for as long as this lasts; `announce` gets one line saying which."""
    endpoint = GptLiveEndpoint.from_env(environ)
    if endpoint is not None:
        announce(f"Connecting to GPT-Live at {endpoint.url} (auth: {endpoint.auth.description}).")
        try:
            yield endpoint
        finally:
            await endpoint.aclose()
        return
    from agentkit.testing import LocalRealtimeServer

    async with LocalRealtimeServer(model=local_model) as server:
        announce(
            f"No AZURE_GPTLIVE_ENDPOINT or OPENAI_API_KEY set: using agentkit's local server's GPT-Live "
            f"at {server.live_url()} (offline, a keyword-matching model)."
        )
        yield server.live_endpoint()


def _from_env(environ: Mapping[str, str] | None, provider: EnvProvider | None) -> Endpoint | None:
    """The environment's endpoint; for an asked-for provider whose variables are unset, None."""
    if provider is None:
        return Endpoint.from_env(environ)
    env = os.environ if environ is None else environ
    required = {
        "azure": "AZURE_OPENAI_ENDPOINT",
        "voicelive": "AZURE_VOICELIVE_ENDPOINT",
        "openai": "OPENAI_API_KEY",
    }
    if not (env.get(required[provider]) or "").strip():
        return None
    return Endpoint.from_env(environ, provider=provider)


def describe(endpoint: Endpoint) -> str:
    """`Azure OpenAI at wss://... (auth: ..., ga dialect)`: safe to print, the URL holds no secret."""
    names = {"azure.ai.openai": "Azure OpenAI", "openai": "OpenAI", "custom": "a custom Realtime endpoint"}
    provider = names.get(endpoint.provider, endpoint.provider)
    auth = endpoint.auth.description
    return f"{provider} at {endpoint.url} (auth: {auth}; {endpoint.dialect.value} dialect)"
