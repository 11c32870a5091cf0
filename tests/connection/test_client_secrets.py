"""Minting ephemeral client secrets against a local HTTP server that plays the service."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest

from agentkit.connection import ClientSecretError, Endpoint
from agentkit.protocol import SessionConfig

KEY = "sk-mint-SECRET-77aa"
pytestmark = pytest.mark.anyio


@dataclass
class SecretsService:
    """What the fake service saw, and what it answers next."""

    url: str = ""
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    status: int = 200
    answer: Any = None


@pytest.fixture
def service() -> Iterator[SecretsService]:
    state = SecretsService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = state.answer
            if answer is None:
                answer = {
                    "value": "ek_local_123",
                    "expires_at": int(time.time()) + 600,
                    "session": body["session"],
                }
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-request-id", "req_mint_1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


async def test_azure_mints_at_the_ga_path_with_the_api_key(service: SecretsService) -> None:
    endpoint = Endpoint.azure(service.url + "/openai/v1/realtime", "rt-dep", api_key=KEY)
    with anyio.fail_after(10):
        secret = await endpoint.create_client_secret(
            SessionConfig(instructions="Be kind.", voice="marin"), expires_after_s=120
        )
    assert secret.value == "ek_local_123"
    assert secret.expires_at is not None
    assert secret.expires_at > time.time()
    path, headers, body = service.requests[-1]
    assert path == "/openai/v1/realtime/client_secrets"
    assert headers["api-key"] == KEY
    assert body["expires_after"] == {"anchor": "created_at", "seconds": 120}
    assert body["session"]["type"] == "realtime"
    assert body["session"]["model"] == "rt-dep"
    assert body["session"]["instructions"] == "Be kind."
    assert body["session"]["audio"]["output"]["voice"] == "marin"
    assert secret.session["model"] == "rt-dep"
    assert "ek_local_123" not in repr(secret)


async def test_openai_mints_with_a_bearer_key_and_default_ttl(service: SecretsService) -> None:
    endpoint = Endpoint.openai(KEY, "gpt-realtime", base_url=service.url + "/v1")
    with anyio.fail_after(10):
        secret = await endpoint.create_client_secret()
    path, headers, body = service.requests[-1]
    assert path == "/v1/realtime/client_secrets"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert "expires_after" not in body
    assert body["session"] == {"type": "realtime", "model": "gpt-realtime"}
    assert secret.value == "ek_local_123"


async def test_preview_shaped_answers_are_understood(service: SecretsService) -> None:
    service.answer = {"id": "sess_1", "model": "m", "client_secret": {"value": "ek_old", "expires_at": 5}}
    with anyio.fail_after(10):
        secret = await Endpoint.openai(KEY, base_url=service.url + "/v1").create_client_secret()
    assert (secret.value, secret.expires_at, secret.session["id"]) == ("ek_old", 5, "sess_1")


async def test_refusal_carries_status_service_text_and_request_id(
    service: SecretsService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service.status = 401
    service.answer = {"error": {"code": "invalid_api_key", "message": f"Incorrect API key provided: {KEY}"}}
    endpoint = Endpoint.azure(service.url, "d", api_key=KEY)
    with anyio.fail_after(10), pytest.raises(ClientSecretError) as caught:
        await endpoint.create_client_secret()
    error = caught.value
    assert (error.status, error.code, error.request_id) == (401, "invalid_api_key", "req_mint_1")
    assert error.service_error == "Incorrect API key provided: ***"
    assert "Check AZURE_OPENAI_API_KEY" in str(error)  # a key was refused: Entra ID advice does not apply
    assert "Entra" not in str(error)
    assert KEY not in str(error) + repr(error)
    assert all(KEY not in record.getMessage() for record in caplog.records)


async def test_answers_without_a_secret_and_bad_ttls_are_clear_errors(service: SecretsService) -> None:
    endpoint = Endpoint.openai(KEY, base_url=service.url + "/v1")
    service.answer = {"expires_at": 1}
    with anyio.fail_after(10), pytest.raises(ClientSecretError, match="no secret value"):
        await endpoint.create_client_secret()
    service.answer = b"<html>oops</html>"
    with anyio.fail_after(10), pytest.raises(ClientSecretError, match="not JSON"):
        await endpoint.create_client_secret()
    with pytest.raises(ValueError, match="between 10 and 7200"):
        await endpoint.create_client_secret(expires_after_s=5)


async def test_unreachable_service_is_a_clear_error() -> None:
    endpoint = Endpoint.openai(KEY, base_url="http://127.0.0.1:9/v1")
    with anyio.fail_after(10), pytest.raises(ClientSecretError, match="could not reach") as caught:
        await endpoint.create_client_secret(timeout_s=2)
    assert KEY not in str(caught.value)
