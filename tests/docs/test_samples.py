"""Runs every Python sample in `docs/` and README.md against agentkit's local Realtime server, so
the docs cannot rot.

Each sample runs in a fresh module with the environment a reader would have set up: the Azure and
OpenAI variables point at a local server (which accepts the key `local-key` and the Entra token of
`local_credential`). Samples that start their own server simply ignore it.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture
def sample_env(
    local_server: LocalRealtimeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> LocalRealtimeServer:
    for name in ("OPENAI_API_VERSION", "OPENAI_REALTIME_MODEL", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", local_server.http_url)
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT_NAME", "gpt-realtime")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", LOCAL_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", LOCAL_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{local_server.http_url}/v1")
    monkeypatch.chdir(tmp_path)
    return local_server


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
    sample: Sample, sample_env: LocalRealtimeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    if sample.skip_reason is not None:
        pytest.skip(f"not run: {sample.skip_reason}")
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
