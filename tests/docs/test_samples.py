"""Runs every Python sample in `docs/` and README.md against agentkit's local Realtime server, so
the docs cannot rot.

Each sample runs in a fresh module, as a reader runs it in a fresh shell: with no Azure or OpenAI
variables at all, unless the sample declares the ones its page tells the reader to set
(`<!-- sample: needs-env: ... -->`); only those are set, pointing at a local server that stands in
for the service (it accepts the key `local-key` and the Entra token of `local_credential`).
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit.connection import Endpoint
from agentkit.testing import LocalRealtimeServer
from tests.docs.samples import ROOT_PAGES, Sample, all_samples

SAMPLES = all_samples()
LOCAL_KEY = "local-key"
LOCAL_TOKEN = "docs-sample-entra-token"
SAMPLE_TIMEOUT_S = 30


@dataclass(frozen=True)
class _AccessToken:
    token: str
    expires_on: int


class LocalCredential:
    """Stands in for `DefaultAzureCredential()`: a token the local server accepts."""

    def get_token(self, *scopes: str, **kwargs: Any) -> _AccessToken:
        return _AccessToken(LOCAL_TOKEN, int(time.time()) + 3600)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalRealtimeServer]:
    with LocalRealtimeServer(api_key=LOCAL_KEY, accepted_tokens={LOCAL_TOKEN}).running_in_thread() as server:
        yield server


STAND_INS = {
    "AZURE_OPENAI_DEPLOYMENT_NAME": lambda server: "gpt-realtime",
    "AZURE_OPENAI_ENDPOINT": lambda server: server.http_url,
    "AZURE_OPENAI_API_KEY": lambda server: LOCAL_KEY,
    "OPENAI_API_KEY": lambda server: LOCAL_KEY,
    "OPENAI_API_VERSION": lambda server: "2024-10-01-preview",
    "AZURE_VOICELIVE_ENDPOINT": lambda server: server.http_url,
    "AZURE_VOICELIVE_API_KEY": lambda server: LOCAL_KEY,
    "AZURE_VOICELIVE_MODEL": lambda server: "gpt-realtime",
    "AZURE_GPTLIVE_ENDPOINT": lambda server: server.http_url,
    "AZURE_GPTLIVE_API_KEY": lambda server: LOCAL_KEY,
}
"""What each declarable variable is set to: the local server, standing in for the service."""


@pytest.fixture
def sample_env(
    local_server: LocalRealtimeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> LocalRealtimeServer:
    for name in list(os.environ):
        if name.startswith(("AZURE_", "OPENAI_", "GPT_LIVE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return local_server


def declare_env(sample: Sample, server: LocalRealtimeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set what the sample's page told the reader to set, and nothing else."""
    for name in sample.needs_env:
        monkeypatch.setenv(name, STAND_INS[name](server))
    if "OPENAI_API_KEY" in sample.needs_env:  # the service itself is out of reach: the stand-in's URL
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.http_url}/v1")


def _run(sample: Sample) -> None:
    module = types.ModuleType("docs_sample")
    module.__dict__["local_credential"] = LocalCredential()
    sys.modules[module.__name__] = module
    try:
        exec(compile(sample.runnable_code(), sample.location, "exec"), module.__dict__)
    finally:
        sys.modules.pop(module.__name__, None)


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.timeout(SAMPLE_TIMEOUT_S)
@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.id for sample in SAMPLES])
def test_sample_runs(
    sample: Sample,
    sample_env: LocalRealtimeServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if sample.skip_reason is not None:
        pytest.skip(f"not run: {sample.skip_reason}")
    declare_env(sample, sample_env, monkeypatch)
    _run(sample)
    printed = capsys.readouterr().out
    if sample.expected_output is not None:
        assert _normalized(printed) == _normalized(sample.expected_output)


def test_docs_have_samples() -> None:
    """The harness finds the samples (a parser bug must not pass silently by finding none)."""
    runnable = [sample for sample in SAMPLES if sample.skip_reason is None]
    assert len(runnable) >= 10
    assert any(sample.expected_output is not None for sample in SAMPLES)


@pytest.mark.parametrize("page", ROOT_PAGES)
def test_root_pages_samples_run_too(page: str) -> None:
    """README's first agent is collected and run like any docs sample, not skipped."""
    assert any(sample.page == page and sample.skip_reason is None for sample in SAMPLES)


def test_undeclared_samples_run_with_no_endpoint_in_the_environment(sample_env: LocalRealtimeServer) -> None:
    assert not [name for name in os.environ if name.startswith(("AZURE_", "OPENAI_"))]
    assert Endpoint.from_env() is None
