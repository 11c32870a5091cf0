"""`LocalRealtimeServer`: a Realtime service on loopback that speaks both dialects, for demos, tests
and benchmarks with no cloud account and no network."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

import anyio
from websockets.asyncio.server import Server, serve
from websockets.asyncio.server import ServerConnection as WebSocket
from websockets.datastructures import Headers
from websockets.http11 import Request
from websockets.http11 import Response as HttpResponse
from websockets.protocol import State
from websockets.typing import Subprotocol

from agentkit.connection.auth import KeyAuth
from agentkit.connection.endpoint import Endpoint
from agentkit.connection.gpt_live import DEFAULT_GPT_LIVE_MODEL, GptLiveEndpoint
from agentkit.connection.secrets import RedactingLogger
from agentkit.connection.urls import VOICE_LIVE_API_VERSION
from agentkit.http_posts import HttpReply, HttpRequest, connection_class
from agentkit.protocol import Dialect, SessionConfig, new_id
from agentkit.testing import audio
from agentkit.testing.calls import LocalCall
from agentkit.testing.calls_endpoint import CallsEndpoint
from agentkit.testing.connection import ServerConnection, Services, request_headers
from agentkit.testing.faults import Faults
from agentkit.testing.gpt_live_route import LiveServerConnection
from agentkit.testing.hearing.recogniser import Recogniser, default_recogniser
from agentkit.testing.models import RealtimeModel
from agentkit.testing.responder import Synthesizer
from agentkit.testing.routing import Authenticator, Rejection, Route, TokenCheck, route
from agentkit.testing.sip_calls import LocalCalls
from agentkit.testing.timing import Timing, TimingName

if TYPE_CHECKING:
    from agentkit.testing.rtc_media import CallMedia

logger = logging.getLogger("agentkit.testing.server")

PREVIEW_API_VERSION = "2025-04-01-preview"
_MAX_FRAME = 16 * 1024 * 1024 * 4 // 3 + 4096  # a 15 MiB append, base64-encoded, with its envelope


def _default_model() -> RealtimeModel:
    try:
        from agentkit.testing.keyword_model import KeywordModel
    except ImportError:  # pragma: no cover - the keyword model ships with agentkit
        from agentkit.testing.models import ScriptedModel

        return ScriptedModel([])
    model: RealtimeModel = KeywordModel()
    return model


class LocalRealtimeServer:
    """A local Realtime server. Use as `async with LocalRealtimeServer() as server:`.

    Every URL form of the real services works (see `url()`); the path picks the dialect. State is per
    connection. `model`, `timing` and `faults` may be replaced while the server runs. `timing` is a
    `Timing`, or `"fast"` (the default: no delays) or `"realistic"` (think time, answers streamed at
    speaking rate, so a second `response.create` meets an active response, as on the real service).
    `record_timeline` keeps a timestamp per frame on each connection (`connection.timeline`, for benchmarks).

    Input audio made with `spoken()` is heard exactly as its text (`transcribe` replaces that path);
    any other audio goes to `hearing`: by default pocketsphinx biased toward the session's tools when
    the `speech` extra is installed (a warning says how to install it otherwise); None hears only
    `spoken()` speech.
    """

    def __init__(
        self,
        api_key: str | None = "local-key",
        accepted_tokens: TokenCheck = (),
        model: RealtimeModel | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        timing: Timing | TimingName | None = None,
        faults: Faults | None = None,
        synthesize: Synthesizer | None = None,
        transcribe: Callable[[bytes], str | None] | None = None,
        record_timeline: bool = False,
        hearing: Recogniser | Literal["auto"] | None = "auto",
    ) -> None:
        self.api_key = api_key
        self.model: RealtimeModel = model if model is not None else _default_model()
        self.timing = Timing.named(timing) if isinstance(timing, str) else timing or Timing()
        self.faults = faults or Faults()
        self.host = host
        self.connections: list[ServerConnection] = []
        self.live_connections: list[LiveServerConnection] = []
        """GPT-Live sessions (`/v1/live/sessions`), in the order they connected."""
        self.live_delegations: dict[str, tuple[str, str]] = {}
        """GPT-Live: heard keyword -> (function, JSON arguments) delegated whatever the model says;
        under client delegation, any keyword here hands the request to the application."""
        self._requested_port = port
        self._accepted = accepted_tokens
        self._auth = Authenticator(api_key, self._token_ok)
        self._services = Services(
            model=lambda: self.model,
            timing=lambda: self.timing,
            faults=lambda: self.faults,
            synthesize=synthesize or audio.default_synthesizer(),
            transcribe=transcribe or audio.recall,
            hearing=default_recogniser() if hearing == "auto" else hearing,
            warn_deaf=hearing == "auto",
            record_timeline=record_timeline,
        )
        self._server: Server | None = None
        self._routes: dict[int, tuple[Route, str]] = {}
        self.calls: dict[str, LocalCall] = {}
        """Every call made on this server (WebRTC), by id; ended ones stay (`call.ended`)."""
        self._call_tasks: set[asyncio.Task[None]] = set()
        self._calls_endpoint = CallsEndpoint(self._auth, self.calls, self._new_call)
        self.sip = LocalCalls(self._auth, self._start_sip_call, self._end_call)
        """SIP calls: ring one with `sip.ring()`; the app accepts it over REST, as with the service, and
        an accepted call runs as a call (`calls[call_id]`) its sideband can attach to."""

    def _token_ok(self, token: str) -> bool:
        """A bearer token other than the key: one the test allows, or an `ek_` secret minted here."""
        if self._calls_endpoint.accepts(token):
            return True
        if callable(self._accepted):
            return bool(self._accepted(token))
        return any(hmac.compare_digest(token.encode(), allowed.encode()) for allowed in self._accepted)

    async def _http(self, request: HttpRequest) -> HttpReply:
        """A POST: the SIP call endpoints for calls rung with `sip.ring()`, else the WebRTC ones."""
        reply = await self.sip.answer(request)
        return reply if reply is not None else await self._calls_endpoint.handle(request)

    async def _start_sip_call(self, call_id: str, session: SessionConfig) -> None:
        await self.create_call(session, call_id=call_id)

    async def _end_call(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            await call.hang_up()

    async def _new_call(
        self, session: SessionConfig | None, model: str, flavor: str, media: CallMedia | None
    ) -> LocalCall:
        return await self.create_call(
            session, model=model, flavor="azure" if flavor == "azure" else "openai", media=media
        )

    def __repr__(self) -> str:
        state = f"port={self.port}" if self._server else "stopped"
        return f"LocalRealtimeServer({state}, auth={'on' if self.api_key is not None else 'off'})"

    # -- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def http_url(self) -> str:
        """What a user would put in AZURE_OPENAI_ENDPOINT."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def url(
        self,
        dialect: Dialect | str = Dialect.GA,
        flavor: Literal["openai", "azure"] = "openai",
        model: str = "gpt-realtime",
    ) -> str:
        """The full WebSocket URL of one URL form (OpenAI has no preview form any more: use azure)."""
        dialect = Dialect(dialect)
        if dialect is Dialect.VOICE_LIVE:
            query = urlencode({"api-version": VOICE_LIVE_API_VERSION, "model": model})
            return f"{self.ws_url}/voice-live/realtime?{query}"
        if dialect is Dialect.PREVIEW:
            if flavor != "azure":
                raise ValueError(
                    "OpenAI serves only the GA dialect; the preview dialect needs flavor='azure'"
                )
            query = urlencode({"api-version": PREVIEW_API_VERSION, "deployment": model})
            return f"{self.ws_url}/openai/realtime?{query}"
        path = "/openai/v1/realtime" if flavor == "azure" else "/v1/realtime"
        return f"{self.ws_url}{path}?{urlencode({'model': model})}"

    def endpoint(self, dialect: Dialect | str = Dialect.GA, model: str = "gpt-realtime") -> Endpoint:
        """An `Endpoint` for this server, ready for `agent.connect(...)`, with its key."""
        dialect = Dialect(dialect)
        if dialect is Dialect.VOICE_LIVE:
            return Endpoint.voice_live(self.http_url, model, api_key=self.api_key or "unused")
        flavor: Literal["openai", "azure"] = "azure" if dialect is Dialect.PREVIEW else "openai"
        return Endpoint.custom(self.url(dialect, flavor, model), dialect=dialect, api_key=self.api_key)

    def live_url(self, flavor: Literal["openai", "azure"] = "openai") -> str:
        """GPT-Live's WebSocket URL (`/v1/live/sessions`; Azure Foundry's `/openai/v1/live/sessions`)."""
        return f"{self.ws_url}{'/openai' if flavor == 'azure' else ''}/v1/live/sessions"

    def live_endpoint(self, model: str = DEFAULT_GPT_LIVE_MODEL) -> GptLiveEndpoint:
        """A `GptLiveEndpoint` for this server's GPT-Live, ready for `agent.connect(...)`, with its key."""
        auth = KeyAuth(self.api_key or "unused", "bearer")
        return GptLiveEndpoint(url=self.live_url(), model=model, auth=auth, provider="local")

    def urls(self) -> dict[str, str]:
        """Every URL form served, by name."""
        return {
            "openai-ga": self.url(Dialect.GA, "openai"),
            "azure-ga": self.url(Dialect.GA, "azure"),
            "azure-preview": self.url(Dialect.PREVIEW, "azure"),
            "voice-live": self.url(Dialect.VOICE_LIVE),
            "gpt-live": self.live_url(),
        }

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the server is already running")
        self._server = await serve(
            self._handle,
            self.host,
            self._requested_port,
            process_request=self._check_request,
            process_response=self._tag_response,
            select_subprotocol=_select_subprotocol,
            create_connection=connection_class(self._http),
            max_size=_MAX_FRAME,
            ping_interval=None,
            compression=None,
            # websockets logs handshake headers at DEBUG: keep clients' keys and tokens out of the log.
            logger=RedactingLogger(logging.getLogger("websockets.server"), ()),
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        for call in self.calls.values():
            await call.hang_up()
        if self._call_tasks:
            await asyncio.wait(list(self._call_tasks), timeout=5)
        server, self._server = self._server, None
        server.close()
        with anyio.move_on_after(5):
            await server.wait_closed()

    async def __aenter__(self) -> LocalRealtimeServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @contextmanager
    def running_in_thread(self) -> Iterator[LocalRealtimeServer]:
        """Serve from an event loop in a thread of its own, for sync code and any async test framework:
        `with LocalRealtimeServer().running_in_thread() as server:`."""
        from anyio.from_thread import start_blocking_portal

        with start_blocking_portal() as portal:
            portal.call(self.start)
            try:
                yield self
            finally:
                portal.call(self.stop)

    async def serve_forever(self) -> None:
        """Run until cancelled (used by `agentkit local-server`)."""
        async with self:
            await anyio.sleep_forever()

    # -- calls -----------------------------------------------------------------------------------

    async def create_call(
        self,
        session: SessionConfig | None = None,
        *,
        model: str = "gpt-realtime",
        flavor: Literal["openai", "azure"] = "openai",
        headers: dict[str, str] | None = None,
        call_id: str | None = None,
        media: CallMedia | None = None,
    ) -> LocalCall:
        """Start a call, as the calls endpoint does for a WebRTC offer; its caller is `call.peer`.
        `call_id`: the id of a call announced earlier (an accepted SIP call). `media`: the real WebRTC
        peer negotiated for a browser's offer (it joins before the call's first event)."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        call = LocalCall(
            self._services, model=model, flavor=flavor, session=session, headers=headers, call_id=call_id
        )
        if media is not None:
            call.media = media
            media.bind(call)
        self.calls[call.id] = call
        task = asyncio.get_running_loop().create_task(call.run(), name=f"local call {call.id}")
        self._call_tasks.add(task)
        task.add_done_callback(self._call_tasks.discard)
        await call.peer.wait_for_session()
        return call

    def sideband_url(self, call_id: str, flavor: Literal["openai", "azure"] = "openai") -> str:
        """The WebSocket URL that attaches to a call (`.../realtime?call_id=`)."""
        path = "/openai/v1/realtime" if flavor == "azure" else "/v1/realtime"
        return f"{self.ws_url}{path}?{urlencode({'call_id': call_id})}"

    # -- handshake -------------------------------------------------------------------------------

    def _check_request(self, websocket: WebSocket, request: Request) -> HttpResponse | None:
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        outcome = route(request.path, headers)
        if isinstance(outcome, Rejection):
            return self._reject(websocket, request, outcome)
        refusal = self._auth.check(request.path, headers)
        if refusal is not None:
            return self._reject(websocket, request, refusal)
        if outcome.call_id is not None:
            call = self.calls.get(outcome.call_id)
            if call is None or call.ended:
                missing = Rejection(404, "call_id_not_found", "No session found for the provided call_id.")
                return self._reject(websocket, request, missing)
        self._routes[id(websocket)] = (outcome, request.path)
        return None

    def _reject(self, websocket: WebSocket, request: Request, rejection: Rejection) -> HttpResponse:
        response = websocket.respond(rejection.status, rejection.body())
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        logger.info("refused %s: HTTP %d %s", request.path.split("?")[0], rejection.status, rejection.code)
        return response

    @staticmethod
    def _tag_response(websocket: WebSocket, request: Request, response: HttpResponse) -> HttpResponse:
        """Echo the Azure client request id and add a request id, on every answer (also refusals)."""
        headers: Headers = response.headers
        client_request_id = request.headers.get("x-ms-client-request-id")
        if client_request_id:
            headers["x-ms-client-request-id"] = client_request_id
        headers["x-request-id"] = new_id("req")
        return response

    async def _handle(self, websocket: WebSocket) -> None:
        found = self._routes.pop(id(websocket), None)
        if found is None:  # pragma: no cover - process_request always records a route
            await websocket.close(1011, "no route")
            return
        route, target = found
        if route.call_id is not None:
            await self.calls[route.call_id].attach(websocket, request_headers(websocket))
            return
        if route.flavor == "gptlive":
            live = LiveServerConnection(websocket, self._services, self.live_delegations)
            self.live_connections.append(live)
            await live.run()
            return
        connection = ServerConnection(websocket, route, target, self._services)
        self.connections.append(connection)
        try:
            await connection.run()
        except Exception:
            logger.exception("local server connection failed")
            if websocket.state is State.OPEN:
                await websocket.close(1011, "internal error")


def _select_subprotocol(websocket: WebSocket, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    return Subprotocol("realtime") if "realtime" in offered else None
