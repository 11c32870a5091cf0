"""Where a command-line app connects: the endpoint the environment names, else a local server.

Apps and `agentkit chat` work offline out of the box: with no Azure or OpenAI variables set, they
start agentkit's local Realtime server in-process and say so in one line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from agentkit.connection import Endpoint

if TYPE_CHECKING:
    from agentkit.testing import Faults, RealtimeModel


@asynccontextmanager
async def endpoint_or_local_server(
    announce: Callable[[str], None],
    *,
    environ: Mapping[str, str] | None = None,
    local_model: RealtimeModel | None = None,
    local_faults: Faults | None = None,
) -> AsyncIterator[Endpoint]:
    """The endpoint from `Endpoint.from_env()`, or one for a local server that lives as long as this.

    `announce` gets one line saying which it is (never a secret). `local_model` and `local_faults`
    configure the local server (default: its keyword model, no faults). Raises `EndpointError`
    when the environment is set up half-way (say, an Azure endpoint without a deployment).
    """
    endpoint = Endpoint.from_env(environ)
    if endpoint is not None:
        announce(f"Connecting to {describe(endpoint)}.")
        try:
            yield endpoint
        finally:
            await endpoint.aclose()
        return
    from agentkit.testing import LocalRealtimeServer

    async with LocalRealtimeServer(model=local_model, faults=local_faults) as server:
        announce(
            f"No AZURE_OPENAI_ENDPOINT or OPENAI_API_KEY set: using agentkit's local Realtime server "
            f"at {server.ws_url} (offline, a keyword-matching model)."
        )
        yield server.endpoint()


def describe(endpoint: Endpoint) -> str:
    """`Azure OpenAI at wss://... (auth: ..., ga dialect)`: safe to print, the URL holds no secret."""
    names = {"azure.ai.openai": "Azure OpenAI", "openai": "OpenAI", "custom": "a custom Realtime endpoint"}
    provider = names.get(endpoint.provider, endpoint.provider)
    auth = endpoint.auth.description
    return f"{provider} at {endpoint.url} (auth: {auth}; {endpoint.dialect.value} dialect)"
