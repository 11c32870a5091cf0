"""`RelayServer`: a relay on its own, on the `websockets` server (the page over plain HTTP GET too)."""

from __future__ import annotations

import http
import logging
from collections.abc import Sequence
from types import TracebackType

import anyio
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from agentkit.connection.secrets import RedactingLogger
from agentkit.http_posts import HttpReply, HttpRequest, connection_class
from agentkit.relay.assets import PAGE_HEADERS
from agentkit.relay.channel import ClientGone
from agentkit.relay.gateway import Gateway
from agentkit.relay.handshake import RELAY_SUBPROTOCOL, Handshake, Rejection
from agentkit.relay.serving import limit_send_buffer, websockets_settings


class _WebsocketsChannel:
    def __init__(self, websocket: ServerConnection) -> None:
        self._websocket = websocket

    async def receive(self) -> str | bytes | None:
        try:
            return await self._websocket.recv()
        except ConnectionClosed:
            return None

    async def send(self, text: str) -> None:
        try:
            await self._websocket.send(text)
        except ConnectionClosed as exc:
            raise ClientGone from exc

    async def close(self, code: int, reason: str) -> None:
        await self._websocket.close(code, reason)


def _select_subprotocol(websocket: ServerConnection, offered: Sequence[str]) -> Subprotocol | None:
    return Subprotocol(RELAY_SUBPROTOCOL) if RELAY_SUBPROTOCOL in offered else None  # never a ticket


def _response(status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Response:
    all_headers = Headers({"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})})
    return Response(status, http.HTTPStatus(status).phrase, all_headers, body)


def _handshake(websocket: ServerConnection, request: Request) -> Handshake:
    path, _, query = request.path.partition("?")
    peer = websocket.remote_address
    client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else None
    headers = {name: value for name, value in request.headers.raw_items()}
    return Handshake.from_parts(path, query, headers, client)


class RelayServer:
    """Serves a `Relay`: `async with RelayServer(relay, port=8080) as server:` (port 0 picks one)."""

    def __init__(self, relay: Gateway, host: str = "127.0.0.1", port: int = 0) -> None:
        self.relay = relay
        self.host = host
        self._port = port
        self._server: Server | None = None

    def __repr__(self) -> str:
        return f"RelayServer({self.http_url!r})" if self._server is not None else "RelayServer(stopped)"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the relay server is not running")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def http_url(self) -> str:
        """The page's address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def ws_url(self) -> str:
        """The client WebSocket's address."""
        return self.http_url.replace("http://", "ws://", 1).rstrip("/") + self.relay.path

    async def start(self) -> None:
        await self.relay.start_calls()
        self._server = await serve(
            self._handle,
            self.host,
            self._port,
            process_request=self._check_request,
            select_subprotocol=_select_subprotocol,
            logger=RedactingLogger(logging.getLogger("websockets.server"), ()),
            server_header=None,
            **websockets_settings(self.relay.limits),
            create_connection=connection_class(self._post),
        )
        for listener in self._server.sockets:
            limit_send_buffer(listener)  # accepted connections inherit it

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None
        await self.relay.stop_calls()

    async def _post(self, request: HttpRequest) -> HttpReply:
        """POSTs: the WebRTC offer endpoint (when on); anything else is not found."""
        path, _, query = request.target.partition("?")
        if self.relay.offer_path is None or path != self.relay.offer_path:
            return HttpReply(404, b"Not found\n", {"content-type": "text/plain; charset=utf-8"})
        handshake = Handshake.from_parts(path, query, request.headers, None)
        reply = await self.relay.answer_offer(handshake, request.body)
        return HttpReply(reply.status, reply.body, {"content-type": reply.content_type, **reply.headers})

    async def __aenter__(self) -> RelayServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        async with self:
            await anyio.sleep_forever()

    async def _check_request(self, websocket: ServerConnection, request: Request) -> Response | None:
        handshake = _handshake(websocket, request)
        if handshake.path == self.relay.path:
            rejection = await self.relay.check_handshake(handshake)
            if rejection is None:
                return None
            return _rejected(rejection)
        probe = self.relay.probe(handshake.path)
        if probe is not None:
            status, body = probe
            return _response(status, body, "text/plain; charset=utf-8", {"Cache-Control": "no-store"})
        rejection = self.relay.check_host(handshake.headers.get("host"))
        if rejection is not None:
            return _rejected(rejection)
        page = self.relay.page(handshake.path)
        if page is None:
            return _response(404, b"Not found\n", "text/plain; charset=utf-8")
        body, content_type = page
        return _response(200, body, content_type, PAGE_HEADERS)

    async def _handle(self, websocket: ServerConnection) -> None:
        await self.relay.serve(_WebsocketsChannel(websocket), _handshake(websocket, websocket.request))  # type: ignore[arg-type]


def _rejected(rejection: Rejection) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if rejection.status == 401 else None
    return _response(rejection.status, rejection.body(), "text/plain; charset=utf-8", headers)
