"""`RelayApp`: a `Relay` as a plain ASGI 3 application, so any ASGI server or framework can mount it.

It speaks the ASGI HTTP and WebSocket protocols directly (no framework needed at runtime). Paths are
taken below the mount point (`root_path`), so `Mount("/voice", app=relay.asgi())` serves the page at
`/voice/` and the WebSocket at `/voice/realtime`. Refused upgrades get their HTTP status (401, 403,
503) where the server supports the WebSocket denial-response extension, else a plain 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from agentkit.relay.assets import PAGE_HEADERS
from agentkit.relay.channel import ClientGone
from agentkit.relay.gateway import Gateway
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.lifecycle import DEFAULT_GRACE_SECONDS
from agentkit.relay.limits import CLOSE_POLICY
from agentkit.relay.sigterm import drain_on_sigterm
from agentkit.relay.webrtc import MAX_OFFER_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_FOUND = Rejection(404, "Not found")
_PROBE_HEADERS = {"Cache-Control": "no-store"}


class _AsgiChannel:
    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self._closed = False

    async def receive(self) -> str | bytes | None:
        if self._closed:
            return None
        message = await self._receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            return text if text is not None else message.get("bytes") or b""
        self._closed = True  # websocket.disconnect
        return None

    async def send(self, text: str) -> None:
        if self._closed:
            raise ClientGone
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception as exc:  # servers raise their own "disconnected" errors (OSError and others)
            self._closed = True
            raise ClientGone from exc

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:
            pass  # already gone: nothing left to tell


def _local_path(scope: Scope) -> str:
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or ""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _handshake(scope: Scope, path: str) -> Handshake:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
    query = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client")
    peer = f"{client[0]}:{client[1]}" if client else None
    return Handshake.from_parts(path, query, headers, peer)


class RelayApp:
    """ASGI app for a `Relay` (see `Relay.asgi()`).

    Served with lifespan events (uvicorn's default), it drains on SIGTERM before the server stops
    (`drain_seconds`, None: leave SIGTERM to the server, which closes every WebSocket at once).
    """

    def __init__(self, relay: Gateway, *, drain_seconds: float | None = DEFAULT_GRACE_SECONDS) -> None:
        self.relay = relay
        self.drain_seconds = drain_seconds

    def __repr__(self) -> str:
        return f"RelayApp({self.relay!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.drain_seconds is not None:
                    drain_on_sigterm(self.relay.drain, self.drain_seconds)
                await self.relay.start_calls()  # WebRTC calls are served until shutdown
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.relay.stop_calls()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _local_path(scope)
        if path == "" and self.relay.serve_page:  # the mount point itself: relative URLs need the slash
            location = (scope.get("root_path") or "") + "/"
            await _respond(send, 308, b"", "text/plain; charset=utf-8", {"Location": location})
            return
        probe = self.relay.probe(path) if scope.get("method") in ("GET", "HEAD") else None
        if probe is not None:
            status, text = probe
            body = b"" if scope["method"] == "HEAD" else text
            await _respond(send, status, body, "text/plain; charset=utf-8", _PROBE_HEADERS, len(text))
            return
        # Probes above are answered for any Host (a load balancer's health check names the address).
        rejection = self.relay.check_host(_header(scope, b"host"))
        if rejection is not None:
            await _respond(send, rejection.status, rejection.body(), "text/plain; charset=utf-8")
            return
        if scope.get("method") == "POST" and path == self.relay.offer_path:
            await self._offer(scope, receive, send, path)
            return
        page = self.relay.page(path) if scope.get("method") in ("GET", "HEAD") else None
        if page is None:
            await _respond(send, 404, b"Not found\n", "text/plain; charset=utf-8")
            return
        body, content_type = page
        await _respond(
            send, 200, b"" if scope["method"] == "HEAD" else body, content_type, PAGE_HEADERS, len(body)
        )

    async def _offer(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            body.extend(message.get("body", b""))
            if len(body) > MAX_OFFER_BYTES:
                await _respond(send, 413, b"The offer is too large.\n", "text/plain; charset=utf-8")
                return
            if not message.get("more_body"):
                break
        reply = await self.relay.answer_offer(_handshake(scope, path), bytes(body))
        await _respond(send, reply.status, reply.body, reply.content_type, reply.headers)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        path = _local_path(scope)
        handshake = _handshake(scope, path)
        rejection = _NOT_FOUND if path != self.relay.path else await self.relay.check_handshake(handshake)
        if rejection is not None:
            await _deny(scope, send, rejection)
            return
        try:
            selected = handshake.selected_subprotocol  # never the ticket one: it is not echoed back
            await send({"type": "websocket.accept", **({"subprotocol": selected} if selected else {})})
        except Exception:  # the client left during the checks: no session to open for it
            return
        await self.relay.serve(_AsgiChannel(receive, send), handshake)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
    length: int | None = None,
    *,
    start: str = "http.response.start",
    body_type: str = "http.response.body",
) -> None:
    all_headers = {
        "content-type": content_type,
        "content-length": str(len(body) if length is None else length),
    }
    all_headers.update({name.lower(): value for name, value in (headers or {}).items()})
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in all_headers.items()]
    await send({"type": start, "status": status, "headers": raw})
    await send({"type": body_type, "body": body})


async def _deny(scope: Scope, send: Send, rejection: Rejection) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = {"WWW-Authenticate": "Bearer"} if rejection.status == 401 else None
        await _respond(
            send,
            rejection.status,
            rejection.body(),
            "text/plain; charset=utf-8",
            headers,
            start="websocket.http.response.start",
            body_type="websocket.http.response.body",
        )
    else:
        await send({"type": "websocket.close", "code": CLOSE_POLICY})
