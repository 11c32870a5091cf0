"""Connecting to the local Realtime server: every URL form and dialect, every auth mode, handshake
failures and their messages, token refresh across reconnects, closes, and secret redaction."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest
from websockets.asyncio.server import ServerConnection, serve

from agentkit.connection import (
    ConnectionClosed,
    Endpoint,
    HandshakeError,
    RealtimeConnection,
    TokenAuth,
    TransportOptions,
)
from agentkit.connection.failures import http_failure
from agentkit.protocol import (
    ConversationItemCreate,
    Dialect,
    ErrorEvent,
    InputAudioBufferAppend,
    ProtocolError,
    ResponseCreate,
    ResponseDone,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    user_text,
)
from agentkit.testing import LocalRealtimeServer

KEY = "sk-local-TOPSECRET-4f1c9a"
SCOPE = "https://cognitiveservices.azure.com/.default"

pytestmark = pytest.mark.anyio


@dataclass
class FakeAccessToken:
    token: str
    expires_on: int


class FakeCredential:
    """An async TokenCredential that counts its calls and issues tokens living `lifetime_s`."""

    def __init__(self, lifetime_s: float = 3600) -> None:
        self.lifetime_s = lifetime_s
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    @property
    def calls(self) -> int:
        return len(self.scopes)

    @property
    def latest(self) -> str:
        return f"entra-SECRET-token-{self.calls}"

    async def get_token(self, *scopes: str, **kwargs: Any) -> FakeAccessToken:
        await anyio.lowlevel.checkpoint()  # let concurrent callers interleave, as a real fetch would
        self.scopes.append(scopes)
        return FakeAccessToken(self.latest, int(time.time() + self.lifetime_s))


class SyncCredential(FakeCredential):
    """The sync flavour: `get_token` must run in a worker thread, off the event loop."""

    def __init__(self, lifetime_s: float = 3600) -> None:
        super().__init__(lifetime_s)
        self.threads: set[int] = set()

    def get_token(self, *scopes: str, **kwargs: Any) -> FakeAccessToken:  # type: ignore[override]
        self.threads.add(threading.get_ident())
        self.scopes.append(scopes)
        return FakeAccessToken(self.latest, int(time.time() + self.lifetime_s))


class FailingCredential:
    async def get_token(self, *scopes: str, **kwargs: Any) -> FakeAccessToken:
        raise RuntimeError("no identity available in this environment")


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(api_key=KEY) as local:
        yield local


async def first_event(conn: RealtimeConnection) -> ServerEvent:
    with anyio.fail_after(5):
        return await conn.recv()


async def until(conn: RealtimeConnection, kind: type[ServerEvent]) -> list[ServerEvent]:
    seen: list[ServerEvent] = []
    with anyio.fail_after(10):
        async for event in conn:
            seen.append(event)
            if isinstance(event, kind):
                return seen
    raise AssertionError(f"connection ended before {kind.__name__}: {[type(e).__name__ for e in seen]}")


# --- URL forms and dialects ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "dialect", "path"),
    [
        (None, Dialect.GA, "/openai/v1/realtime?model=rt-dep"),
        (
            "2024-10-01-preview",
            Dialect.PREVIEW,
            "/openai/realtime?api-version=2024-10-01-preview&deployment=rt-dep",
        ),
    ],
)
async def test_azure_url_forms_reach_the_right_dialect(
    server: LocalRealtimeServer, version: str | None, dialect: Dialect, path: str
) -> None:
    endpoint = Endpoint.azure(
        server.http_url + "/openai/realtime/", "rt-dep", api_key=KEY, api_version=version
    )
    async with endpoint.connect() as conn:
        assert isinstance(await first_event(conn), SessionCreated)
        assert conn.dialect is dialect
        assert conn.codec.dialect is dialect
        seen = server.connections[-1]
        assert seen.dialect is dialect
        assert seen.path == path
        assert seen.headers["api-key"] == KEY
        assert "authorization" not in seen.headers
        assert "openai-beta" not in seen.headers
        assert conn.request_id is not None
        assert seen.headers["x-ms-client-request-id"] == conn.request_id
        assert conn.server_request_id is not None
        assert conn.server_request_id.startswith("req_")
    assert conn.close_code == 1000


async def test_openai_ga_uses_a_bearer_key_and_never_the_beta_header(server: LocalRealtimeServer) -> None:
    endpoint = Endpoint.openai(KEY, "gpt-realtime-mini", base_url=server.http_url + "/v1")
    conn = await endpoint.connect()
    try:
        created = await first_event(conn)
        assert isinstance(created, SessionCreated)
        assert created.session.model == "gpt-realtime-mini"
        seen = server.connections[-1]
        assert seen.path == "/v1/realtime?model=gpt-realtime-mini"
        assert seen.headers["authorization"] == f"Bearer {KEY}"
        assert "openai-beta" not in seen.headers
        assert "x-ms-client-request-id" not in seen.headers
        assert conn.request_id == conn.server_request_id
    finally:
        await conn.close()


@pytest.mark.parametrize("form", ["openai-ga", "azure-ga", "azure-preview"])
async def test_custom_endpoint_on_every_local_url(server: LocalRealtimeServer, form: str) -> None:
    dialect = Dialect.PREVIEW if form == "azure-preview" else Dialect.GA
    endpoint = Endpoint.custom(server.urls()[form], dialect=dialect, api_key=KEY)
    async with endpoint.connect() as conn:
        assert isinstance(await first_event(conn), SessionCreated)
        assert server.connections[-1].dialect is dialect


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
async def test_the_local_servers_own_endpoint(server: LocalRealtimeServer, dialect: Dialect) -> None:
    endpoint = server.endpoint(dialect, model="dep")
    assert endpoint.dialect is dialect
    assert KEY not in repr(endpoint)
    async with endpoint.connect() as conn:
        assert isinstance(await first_event(conn), SessionCreated)
    assert server.connections[-1].dialect is dialect


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
async def test_send_and_receive_canonical_events(server: LocalRealtimeServer, dialect: Dialect) -> None:
    url = server.url(dialect, "azure", model="dep")
    async with Endpoint.custom(url, dialect=dialect, api_key=KEY, key_placement="api-key").connect() as conn:
        await first_event(conn)
        await conn.send(SessionUpdate(event_id="evt_1", session=SessionConfig(instructions="Be brief.")))
        updated = (await until(conn, SessionUpdated))[-1]
        assert isinstance(updated, SessionUpdated)
        assert updated.session.instructions == "Be brief."
        await conn.send(ConversationItemCreate(item=user_text("hello there")))
        await conn.send(ResponseCreate(event_id="evt_2"))
        done = (await until(conn, ResponseDone))[-1]
        assert isinstance(done, ResponseDone)
        assert done.response.status == "completed"
        kinds = [type(e) for e in server.connections[-1].received]
        assert kinds == [SessionUpdate, ConversationItemCreate, ResponseCreate]


async def test_concurrent_sends_never_interleave_frames(server: LocalRealtimeServer) -> None:
    chunk = 256 * 1024
    async with Endpoint.custom(server.url(), api_key=KEY).connect() as conn:
        await first_event(conn)
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for n in range(12):
                    tg.start_soon(conn.send, InputAudioBufferAppend.from_bytes(bytes([n]) * chunk))
            # The server handles frames in order: once this is answered, every append was read.
            await conn.send(SessionUpdate(session=SessionConfig(instructions="after the appends")))
            await until(conn, SessionUpdated)
    appends = [e for e in server.connections[-1].received if isinstance(e, InputAudioBufferAppend)]
    assert sorted(e.audio_bytes for e in appends) == [bytes([n]) * chunk for n in range(12)]


# --- auth modes ---------------------------------------------------------------------------------


async def test_azure_query_key_for_browser_style_callers(server: LocalRealtimeServer) -> None:
    endpoint = Endpoint.azure(server.http_url, "d", api_key=KEY, key_placement="query")
    assert KEY not in endpoint.url
    async with endpoint.connect() as conn:
        await first_event(conn)
        seen = server.connections[-1]
        assert f"api-key={KEY}" in seen.path
        assert "api-key" not in seen.headers
        assert KEY not in conn.url
        assert KEY not in repr(conn)


async def test_openai_subprotocol_key(server: LocalRealtimeServer) -> None:
    endpoint = Endpoint.openai(KEY, base_url=server.http_url + "/v1", key_placement="subprotocol")
    async with endpoint.connect() as conn:
        await first_event(conn)
        assert conn.subprotocol == "realtime"
        assert "authorization" not in server.connections[-1].headers


async def test_entra_token_is_cached_across_connects() -> None:
    credential = FakeCredential(lifetime_s=3600)
    async with LocalRealtimeServer(api_key=KEY, accepted_tokens=lambda t: t == credential.latest) as server:
        endpoint = Endpoint.azure(server.http_url, "d", credential=credential)
        for _ in range(2):
            async with endpoint.connect() as conn:
                await first_event(conn)
        assert credential.calls == 1
        assert credential.scopes == [(SCOPE,)]
        assert server.connections[-1].headers["authorization"] == "Bearer entra-SECRET-token-1"


async def test_entra_token_is_refreshed_for_a_reconnect_when_near_expiry() -> None:
    credential = FakeCredential(lifetime_s=60)  # inside the 5-minute refresh margin
    accepted = lambda token: token == credential.latest  # noqa: E731 - only the newest token is valid
    async with LocalRealtimeServer(api_key=KEY, accepted_tokens=accepted) as server:
        endpoint = Endpoint.azure(
            server.http_url, "d", credential=credential, token_scope="api://custom/.default"
        )
        for _ in range(3):
            async with endpoint.connect() as conn:
                await first_event(conn)
        assert credential.calls == 3
        assert credential.scopes == [("api://custom/.default",)] * 3
        bearer = [c.headers["authorization"] for c in server.connections]
        assert bearer == [f"Bearer entra-SECRET-token-{n}" for n in (1, 2, 3)]


async def test_token_auth_refreshes_by_clock_and_runs_sync_credentials_in_a_thread() -> None:
    credential = SyncCredential(lifetime_s=3600)
    now = [time.time()]
    auth = TokenAuth(credential, clock=lambda: now[0], refresh_margin_s=300)  # type: ignore[arg-type]
    first = await auth.token()
    assert await auth.token() == first
    now[0] += 3600 - 299  # now within the refresh margin of the first token's expiry
    assert await auth.token() != first
    assert credential.calls == 2
    assert threading.get_ident() not in credential.threads


async def test_concurrent_token_requests_share_one_fetch() -> None:
    credential = FakeCredential()
    auth = TokenAuth(credential)  # type: ignore[arg-type]
    tokens: list[str] = []

    async def fetch() -> None:
        tokens.append(await auth.token())

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(fetch)
    assert credential.calls == 1
    assert tokens == ["entra-SECRET-token-1"] * 5


async def test_default_credential_is_created_lazily_and_closed() -> None:
    endpoint = Endpoint.azure("https://res.openai.azure.com", "d")
    assert isinstance(endpoint.auth, TokenAuth)
    assert endpoint.auth._credential is None  # nothing created until a connect needs a token
    await endpoint.aclose()


# --- handshake failures -------------------------------------------------------------------------


async def connect_error(endpoint: Endpoint) -> HandshakeError:
    with anyio.fail_after(10), pytest.raises(HandshakeError) as caught:
        await endpoint.connect()
    return caught.value


async def test_wrong_key_is_401_with_advice_and_request_id(server: LocalRealtimeServer) -> None:
    error = await connect_error(Endpoint.azure(server.http_url, "d", api_key="sk-wrong-SECRET-key"))
    assert error.status == 401
    assert error.code == "invalid_api_key"
    assert error.service_error == "Access denied due to an invalid key or token."
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert "Check AZURE_OPENAI_API_KEY: it must be one of this resource's two keys." in str(error)
    assert "Entra" not in str(error)
    assert "Cognitive Services" not in str(error)
    assert error.request_id in str(error)
    assert "sk-wrong-SECRET-key" not in str(error)


async def test_missing_credentials_is_401(server: LocalRealtimeServer) -> None:
    error = await connect_error(Endpoint.custom(server.url()))
    assert (error.status, error.code) == (401, "missing_credentials")


async def test_api_version_on_the_azure_ga_path_is_401(server: LocalRealtimeServer) -> None:
    url = server.ws_url + "/openai/v1/realtime?model=d&api-version=2024-10-01-preview"
    error = await connect_error(Endpoint.custom(url, api_key=KEY))
    assert error.status == 401
    assert "api-version" in str(error)


async def test_unknown_path_is_404_with_url_form_advice(server: LocalRealtimeServer) -> None:
    error = await connect_error(
        Endpoint.custom(server.ws_url + "/openai/deployments/d/realtime", api_key=KEY)
    )
    assert error.status == 404
    assert "AZURE_OPENAI_DEPLOYMENT_NAME" in str(error)
    assert "/openai/v1/realtime?model=DEPLOYMENT" in str(error)
    assert error.url == server.ws_url + "/openai/deployments/d/realtime"


async def test_missing_model_is_400(server: LocalRealtimeServer) -> None:
    error = await connect_error(Endpoint.custom(server.ws_url + "/v1/realtime", api_key=KEY))
    assert (error.status, error.code) == (400, "missing_model")


def test_not_a_realtime_deployment_gets_its_own_advice() -> None:
    body = b'{"error": {"code": "OperationNotSupported", "message": "The realtime operation does not work."}}'
    error = http_failure(
        HandshakeError,
        "the WebSocket handshake",
        status=400,
        body=body,
        headers={"apim-request-id": "apim-1"},
        sent_request_id="client-1",
        url="wss://res/openai/v1/realtime?model=chat",
        secrets=[KEY],
    )
    assert error.code == "OperationNotSupported"
    assert "not a realtime model" in str(error)
    assert error.request_id == "apim-1"


def test_service_text_is_scrubbed_of_secrets_and_plain_bodies_are_kept() -> None:
    error = http_failure(
        HandshakeError,
        "x",
        status=403,
        body=f"forbidden for key {KEY}",
        headers={},
        sent_request_id="client-2",
        url="u",
        secrets=[KEY],
    )
    assert KEY not in str(error)
    assert error.service_error == "forbidden for key ***"
    assert error.request_id == "client-2"
    assert "network rules" in str(error)


@pytest.mark.parametrize("start", range(477, 493, 5))
def test_a_key_cut_by_the_length_limit_is_still_scrubbed(start: int) -> None:
    message = "x" * start + KEY
    for body in (message, json.dumps({"error": {"code": "bad", "message": message}})):
        error = http_failure(
            HandshakeError,
            "x",
            status=401,
            body=body,
            headers={},
            sent_request_id=None,
            url="u",
            secrets=[KEY],
        )
        assert KEY[:8] not in str(error)
        assert KEY[:8] not in (error.service_error or "")


async def test_unreachable_server_is_a_handshake_error_without_status() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await connect_error(Endpoint.custom(f"ws://127.0.0.1:{port}/v1/realtime?model=m", api_key=KEY))
    assert error.status is None
    assert f"127.0.0.1:{port}" in str(error)


async def test_a_server_that_never_answers_times_out() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    endpoint = Endpoint.custom(f"ws://127.0.0.1:{port}/v1/realtime?model=m", api_key=KEY)
    async with listener:
        with anyio.fail_after(5), pytest.raises(HandshakeError, match="could not open") as caught:
            await endpoint.connect(TransportOptions(open_timeout=0.2))
    assert caught.value.status is None


async def test_binary_frames_decode_to_protocol_errors() -> None:
    async def handler(websocket: ServerConnection) -> None:
        await websocket.send(b"\x00\x01")
        await websocket.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        async with Endpoint.custom(f"ws://127.0.0.1:{port}/").connect() as conn:
            event = await first_event(conn)
    assert isinstance(event, ProtocolError)
    assert "binary frame" in event.message


async def test_a_wrong_key_for_openai_gets_openai_advice_only(server: LocalRealtimeServer) -> None:
    endpoint = Endpoint.openai("sk-wrong-SECRET-key", base_url=server.http_url + "/v1")
    error = await connect_error(endpoint)
    assert error.status == 401
    assert "Check OPENAI_API_KEY" in str(error)
    for azure_only in ("Entra", "Azure", "AZURE_", "Cognitive Services", "api-version"):
        assert azure_only not in str(error)
    assert "sk-wrong-SECRET-key" not in str(error)


async def test_a_refused_entra_token_gets_the_role_advice(server: LocalRealtimeServer) -> None:
    endpoint = Endpoint.azure(server.http_url, "d", credential=FakeCredential())
    error = await connect_error(endpoint)
    assert error.status == 401
    assert "Entra ID token was refused" in str(error)
    assert "'Cognitive Services OpenAI User' role" in str(error)
    assert "AZURE_OPENAI_API_KEY" not in str(error)


CHAIN_FAILURE = "\n".join(
    (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.",
        "Attempted credentials:",
        "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. "
        "Environment variables are not fully configured.",
        "Visit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot "
        "to troubleshoot this issue.",
        "\tWorkloadIdentityCredential: WorkloadIdentityCredential authentication "
        "unavailable. The workload options are not fully configured.",
        "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable.",
        "\tSharedTokenCacheCredential: SharedTokenCacheCredential authentication "
        "unavailable. No accounts were found in the cache.",
        "\tVisualStudioCodeCredential: VisualStudioCodeCredential requires the "
        "'azure-identity-broker' package to be installed.",
        "\tAzureCliCredential: Azure CLI not found on path",
        "\tAzurePowerShellCredential: PowerShell is not installed",
        "\tAzureDeveloperCliCredential: Azure Developer CLI could not be found. Please "
        "visit https://aka.ms/azure-dev",
        "\tBrokerCredential: InteractiveBrowserBrokerCredential unavailable. The "
        "'azure-identity-broker' package is required.",
        "To mitigate this issue, please refer to the troubleshooting guidelines here at "
        "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot.",
    )
)


class ChainCredential:
    """Fails as azure-identity's DefaultAzureCredential does on a machine with no sign-in (this
    message is the one it gave, azure-identity 1.25): logs the chain at WARNING, then raises it."""

    def __init__(self, failure: str = CHAIN_FAILURE) -> None:
        self.failure = failure

    def get_token(self, *scopes: str, **kwargs: Any) -> FakeAccessToken:
        logging.getLogger("azure.identity._credentials.chained").warning(self.failure)
        raise RuntimeError(self.failure)


async def test_keyless_azure_with_no_sign_in_is_one_line_that_says_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    endpoint = Endpoint.azure("http://127.0.0.1:9", "d", credential=ChainCredential())  # type: ignore[arg-type]
    error = await connect_error(endpoint)
    assert str(error) == (
        f"no key and no Entra ID sign-in for {SCOPE}: set AZURE_OPENAI_API_KEY, or sign in for keyless "
        "auth (`az login`, a managed identity, or AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)"
    )
    assert error.__cause__ is None
    assert not [r for r in caplog.records if "included credentials" in r.getMessage()]


async def test_a_sign_in_that_was_found_and_failed_is_named() -> None:
    failure = CHAIN_FAILURE.replace(
        "\tAzureCliCredential: Azure CLI not found on path",
        "\tAzureCliCredential: ERROR: AADSTS50173: The provided grant has expired. Run az login again.",
    )
    endpoint = Endpoint.azure("http://127.0.0.1:9", "d", credential=ChainCredential(failure))  # type: ignore[arg-type]
    error = await connect_error(endpoint)
    assert str(error) == (
        f"Entra ID sign-in (AzureCliCredential) failed for {SCOPE}: "
        "ERROR: AADSTS50173: The provided grant has expired"
    )


async def test_credential_failure_says_how_to_sign_in() -> None:
    endpoint = Endpoint.azure("http://127.0.0.1:9", "d", credential=FailingCredential())  # type: ignore[arg-type]
    error = await connect_error(endpoint)
    assert "az login" in str(error)
    assert "AZURE_OPENAI_API_KEY" in str(error)


# --- closes -------------------------------------------------------------------------------------


async def test_session_expiry_closes_cleanly_and_iteration_ends(server: LocalRealtimeServer) -> None:
    async with Endpoint.custom(server.url(), api_key=KEY).connect() as conn:
        await first_event(conn)
        await server.connections[-1].expire()
        events = []
        with anyio.fail_after(5):
            async for event in conn:
                events.append(event)
        assert isinstance(events[-1], ErrorEvent)
        assert events[-1].error.code == "session_expired"
        with pytest.raises(ConnectionClosed) as closed:
            await conn.recv()
        assert (closed.value.code, closed.value.reason, closed.value.clean) == (1000, "session expired", True)
        with pytest.raises(ConnectionClosed):
            await conn.send(ResponseCreate())


async def test_dropped_connection_raises_from_iteration(server: LocalRealtimeServer) -> None:
    conn = await Endpoint.custom(server.url(), api_key=KEY).connect()
    await first_event(conn)
    server.connections[-1].drop()
    with anyio.fail_after(5), pytest.raises(ConnectionClosed) as closed:
        async for _ in conn:
            pass
    assert closed.value.code == 1006
    assert not closed.value.clean
    await conn.close()


async def test_close_with_a_code(server: LocalRealtimeServer) -> None:
    conn = await Endpoint.custom(server.url(), api_key=KEY).connect()
    await first_event(conn)
    await conn.close(4001, "done here")
    assert conn.close_code == 4001
    with anyio.fail_after(5):
        await server.connections[-1].closed.wait()


# --- redaction ----------------------------------------------------------------------------------


async def test_no_secret_reaches_logs_exceptions_or_reprs(
    server: LocalRealtimeServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    credential = FakeCredential()
    texts: list[str] = []
    wrong = "sk-WRONG-SECRET-99"
    good: list[Callable[[], Endpoint]] = [
        lambda: Endpoint.azure(server.http_url, "d", api_key=KEY),
        lambda: Endpoint.azure(server.http_url, "d", api_key=KEY, key_placement="query"),
        lambda: Endpoint.openai(KEY, base_url=server.http_url + "/v1"),
        lambda: Endpoint.openai(KEY, base_url=server.http_url + "/v1", key_placement="subprotocol"),
    ]
    bad: list[Callable[[], Endpoint]] = [
        lambda: Endpoint.azure(server.http_url, "d", api_key=wrong),
        lambda: Endpoint.azure(server.http_url, "d", api_key=wrong, key_placement="query"),
        lambda: Endpoint.openai(wrong, base_url=server.http_url + "/v1", key_placement="subprotocol"),
        lambda: Endpoint.azure(server.http_url, "d", credential=credential),  # type: ignore[arg-type]
        lambda: Endpoint.custom(server.ws_url + "/nowhere", api_key=KEY, key_placement="query"),
    ]
    for make in good:
        endpoint = make()
        async with endpoint.connect() as conn:
            await first_event(conn)
            texts += [repr(endpoint), str(endpoint), repr(conn), conn.url]
    for make in bad:
        endpoint = make()
        with anyio.fail_after(10), pytest.raises(HandshakeError) as caught:
            await endpoint.connect()
        texts += [str(caught.value), repr(caught.value), repr(vars(caught.value)), repr(endpoint)]
    # Client-side records only: the local server's own websockets.server logger is not this code's.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server")]
    assert any("GET /openai/v1/realtime" in line for line in logged), "expected websockets debug logs"
    captured = capsys.readouterr()
    everything = "\n".join([*texts, *logged, captured.out, captured.err])
    for secret in (KEY, wrong, "entra-SECRET-token"):
        assert secret not in everything
    assert "***" in "\n".join(logged)
