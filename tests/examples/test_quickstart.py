"""The seed's quickstart (`examples/text_in_audio_out.py`) as a subprocess: its output lines are a
contract, offline (local server) and with the Azure preview variables pointing at a local server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import anyio
import azure.identity
import pytest

from agentkit.protocol import ResponseCreate
from agentkit.testing import LocalRealtimeServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "text_in_audio_out.py"
TEXT = re.compile(r"^Received text delta: (.*)$")
AUDIO = re.compile(r"^Received (\d+) bytes of audio data\.$")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_"))}
    return {**env, **extra}


def check_output(stdout: str) -> str:
    """Every line is one of the two contract lines, both kinds occur; returns the transcript."""
    transcript, audio_bytes = [], 0
    for line in stdout.splitlines():
        if text := TEXT.match(line):
            transcript.append(text.group(1))
        elif size := AUDIO.match(line):
            audio_bytes += int(size.group(1))
        else:
            pytest.fail(f"unexpected output line: {line!r}")
    assert transcript
    assert audio_bytes > 0
    return "".join(transcript)


def test_offline_it_prints_transcript_and_audio_deltas_until_response_done() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert check_output(result.stdout).strip()
    assert "local Realtime server" in result.stderr


@pytest.mark.anyio
async def test_with_the_azure_variables_it_sends_the_quickstart_request() -> None:
    async with LocalRealtimeServer(api_key="azure-test-key") as server:
        env = clean_env(
            AZURE_OPENAI_ENDPOINT=server.http_url,
            AZURE_OPENAI_DEPLOYMENT_NAME="gpt-4o-realtime-preview",
            AZURE_OPENAI_API_KEY="azure-test-key",
            OPENAI_API_VERSION="2024-10-01-preview",
        )
        with anyio.fail_after(60):
            result = await anyio.run_process([sys.executable, str(SCRIPT)], env=env, check=False)
        stdout, stderr = result.stdout.decode(), result.stderr.decode()
        assert result.returncode == 0, stderr
        check_output(stdout)
        assert "azure-test-key" not in stdout + stderr
        [connection] = server.connections
        assert (
            connection.path
            == "/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview"
        )
        [request] = [event for event in connection.received if isinstance(event, ResponseCreate)]
        assert request.response is not None
        assert request.response.instructions == "Please assist the user."
        assert request.response.output_modalities == ["audio"]  # the preview wire form is ["text", "audio"]


def test_a_half_configured_environment_fails_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        env=clean_env(AZURE_OPENAI_ENDPOINT="https://example.invalid"),
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "AZURE_OPENAI_DEPLOYMENT_NAME" in result.stderr
    assert result.stdout == ""


class _Token(NamedTuple):
    token: str
    expires_on: int


class _SignedIn:
    """Stands in for azure-identity's DefaultAzureCredential (as after `az login`)."""

    token = "entra-SECRET-token-for-the-quickstart"
    scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> _Token:
        type(self).scopes.append(scopes)
        return _Token(self.token, 4_102_444_800)

    def close(self) -> None:
        pass


@pytest.mark.anyio
async def test_without_azure_openai_api_key_it_signs_in_with_entra_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples.text_in_audio_out import text_in_audio_out

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", _SignedIn)
    async with LocalRealtimeServer(accepted_tokens=lambda token: token == _SignedIn.token) as server:
        for name in [k for k in os.environ if k.startswith(("AZURE_OPENAI_", "OPENAI_"))]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.http_url)
        monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT_NAME", "gpt-realtime")
        with anyio.fail_after(30):
            assert await text_in_audio_out() == 0
        [connection] = server.connections
    out = capsys.readouterr()
    check_output(out.out)
    assert "auth: Entra ID token" in out.err
    assert _SignedIn.token not in out.out + out.err
    assert connection.headers["authorization"] == f"Bearer {_SignedIn.token}"
    assert "api-key" not in connection.headers
    assert _SignedIn.scopes == [("https://cognitiveservices.azure.com/.default",)]
