"""URL forms, dialect choice, authentication and the first frames of a session."""

from __future__ import annotations

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from agentkit.protocol import Dialect
from agentkit.testing import LocalRealtimeServer, Say, ScriptedModel
from tests.testing.wire import open_client

pytestmark = pytest.mark.anyio


async def _status(url: str, headers: dict[str, str] | None = None) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, additional_headers=headers or {}):
            pass
    return caught.value


@pytest.mark.parametrize(
    ("flavor", "dialect", "path"),
    [
        ("openai", Dialect.GA, "/v1/realtime?model=gpt-realtime"),
        ("azure", Dialect.GA, "/openai/v1/realtime?model=gpt-realtime"),
        ("azure", Dialect.PREVIEW, "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-realtime"),
    ],
)
async def test_url_forms_pick_the_dialect(flavor: str, dialect: Dialect, path: str) -> None:
    async with LocalRealtimeServer() as server:
        assert server.url(dialect, flavor) == server.ws_url + path  # type: ignore[arg-type]
        async with open_client(server, dialect, flavor, skip_created=False) as client:  # type: ignore[arg-type]
            created = await client.expect("session.created")
        assert server.connections[0].dialect is dialect
        assert server.connections[0].path == path
        session = created["session"]
        if dialect is Dialect.GA:
            assert session["type"] == "realtime"
            assert session["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}
        else:
            assert session["modalities"] == ["text", "audio"]
            assert session["output_audio_format"] == "pcm16"


async def test_http_errors_before_the_upgrade() -> None:
    async with LocalRealtimeServer(api_key="k") as server:
        good = {"api-key": "k"}
        assert (await _status(server.ws_url + "/nowhere?model=m", good)).response.status_code == 404
        assert (await _status(server.ws_url + "/v1/realtime", good)).response.status_code == 400
        assert (
            await _status(server.ws_url + "/openai/realtime?api-version=x-preview", good)
        ).response.status_code == 400
        azure_ga_with_version = server.ws_url + "/openai/v1/realtime?model=m&api-version=2025-04-01-preview"
        assert (await _status(azure_ga_with_version, good)).response.status_code == 401
        missing = await _status(server.url())
        assert missing.response.status_code == 401
        assert b'"code": "missing_credentials"' in missing.response.body
        wrong = await _status(server.url(), {"api-key": "nope", "x-ms-client-request-id": "abc"})
        assert wrong.response.status_code == 401
        assert wrong.response.headers["x-ms-client-request-id"] == "abc"
        assert wrong.response.headers["x-request-id"].startswith("req_")
        assert b"nope" not in wrong.response.body
        assert server.connections == []


async def test_plain_http_gets_a_json_401() -> None:
    async with LocalRealtimeServer(api_key="k") as server, httpx.AsyncClient() as http:
        reply = await http.get(server.http_url + "/openai/v1/realtime?model=m")
        assert reply.status_code in (401, 426)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"api-key": "secret"}, ""),
        ({"Authorization": "Bearer secret"}, ""),
        ({"Authorization": "Bearer entra-token"}, ""),
        ({}, "&api-key=secret"),
    ],
)
async def test_accepted_credentials(headers: dict[str, str], query: str) -> None:
    async with (
        LocalRealtimeServer(api_key="secret", accepted_tokens={"entra-token"}) as server,
        connect(server.url(Dialect.GA, "azure") + query, additional_headers=headers) as websocket,
    ):
        assert '"session.created"' in str(await websocket.recv())


async def test_a_wrong_query_or_subprotocol_key_is_invalid_not_missing() -> None:
    async with LocalRealtimeServer(api_key="secret") as server:
        wrong_query = await _status(server.url(Dialect.GA, "azure") + "&api-key=nope")
        with pytest.raises(InvalidStatus) as caught:
            async with connect(server.url(), subprotocols=[Subprotocol("openai-insecure-api-key.nope")]):
                pass
    for refusal in (wrong_query, caught.value):
        assert refusal.response.status_code == 401
        assert b'"code": "invalid_api_key"' in refusal.response.body


async def test_token_check_callable_and_no_auth() -> None:
    async with LocalRealtimeServer(api_key="k", accepted_tokens=lambda t: t.startswith("ey")) as server:
        async with connect(server.url(), additional_headers={"Authorization": "Bearer eyJ"}) as ws:
            await ws.recv()
        assert (await _status(server.url(), {"Authorization": "Bearer xx"})).response.status_code == 401
    async with LocalRealtimeServer(api_key=None) as server, connect(server.url()) as ws:
        assert '"session.created"' in str(await ws.recv())


async def test_response_headers_on_upgrade() -> None:
    async with (
        LocalRealtimeServer() as server,
        connect(
            server.url(), additional_headers={"api-key": "local-key", "x-ms-client-request-id": "r1"}
        ) as ws,
    ):
        assert ws.response is not None
        assert ws.response.headers["x-ms-client-request-id"] == "r1"
        assert ws.response.headers["x-request-id"]
        assert server.connections[0].headers["x-ms-client-request-id"] == "r1"


async def test_openai_beta_header_is_refused_after_the_upgrade() -> None:
    async with LocalRealtimeServer() as server:
        async with open_client(server, headers={"OpenAI-Beta": "realtime=v1"}, skip_created=False) as client:
            error = await client.expect("error")
            assert error["error"]["code"] == "beta_api_shape_disabled"
            with pytest.raises(ConnectionClosed) as closed:
                await client.ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4000


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
async def test_session_update_and_a_text_turn(dialect: Dialect) -> None:
    model = ScriptedModel([[Say("Hello there, friend.")]])
    async with LocalRealtimeServer(model=model) as server, open_client(server, dialect) as client:
        modalities = {"output_modalities": ["text"]} if dialect is Dialect.GA else {"modalities": ["text"]}
        updated = await client.session_update({"instructions": "Be brief.", **modalities})
        assert updated["type"] == "session.updated"
        assert updated["session"]["instructions"] == "Be brief."
        assert "tools" in updated["session"]  # the full effective config, not just the change
        await client.send(
            {
                "type": "conversation.item.create",
                "event_id": "evt_1",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hi"}],
                },
            }
        )
        added = await client.recv()
        assert added["type"] == (
            "conversation.item.added" if dialect is Dialect.GA else "conversation.item.created"
        )
        if dialect is Dialect.GA:
            await client.expect("conversation.item.done")
        await client.send({"type": "response.create", "event_id": "evt_2"})
        frames = await client.until("response.done")
        text_delta = "response.output_text.delta" if dialect is Dialect.GA else "response.text.delta"
        deltas = "".join(f["delta"] for f in frames if f["type"] == text_delta)
        assert deltas == "Hello there, friend."
        done = frames[-1]["response"]
        assert done["status"] == "completed"
        assert done["usage"]["output_tokens"] > 0
        assert (await client.recv())["type"] == "rate_limits.updated"
    context = model.contexts[0]
    assert context.session.instructions == "Be brief."
    assert [getattr(item, "text", None) for item in context.items] == ["Hi"]


@pytest.mark.anyio
async def test_debug_logs_never_show_client_credentials(caplog: pytest.LogCaptureFixture) -> None:
    key, token = "sk-live-DO-NOT-LOG", "entra-token-DO-NOT-LOG"
    caplog.set_level("DEBUG")
    async with LocalRealtimeServer(api_key=key, accepted_tokens={token}) as server:
        for headers, query in (({"api-key": key}, ""), ({"Authorization": f"Bearer {token}"}, ""), ({}, key)):
            url = server.url() + (f"&api-key={query}" if query else "")
            async with connect(url, additional_headers=headers) as ws:
                await ws.recv()
    # Only the server's records: the raw test client above logs its own headers, as websockets does.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("websockets.server"))
    assert "api-key" in logged.lower()  # the handshake was logged...
    assert key not in logged  # ...without the secrets in it
    assert token not in logged
