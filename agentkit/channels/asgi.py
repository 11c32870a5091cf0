"""The few ASGI pieces a channel needs: read a bounded request body, answer, and hold a WebSocket.

Channels speak plain ASGI 3 (no framework at runtime), so they mount in any ASGI app or server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_WEBHOOK_BYTES = 256 * 1024
"""Largest webhook body read; carriers' call notices are a few kilobytes."""


class BodyTooLarge(Exception):
    """The request body is over the limit (answered 413)."""


def request_headers(scope: Scope) -> dict[str, str]:
    """Lower-cased request headers (a repeated header keeps its last value)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])
    }


def request_url(scope: Scope, public_base: str | None = None) -> str:
    """The URL the client asked for: `public_base` + path + query when the app sits behind a proxy
    (carriers sign the public URL), else rebuilt from the scheme and Host header."""
    path: str = (scope.get("root_path") or "") + (scope.get("path") or "/")
    query = scope.get("query_string", b"").decode("latin-1")
    if public_base:
        base = public_base.rstrip("/")
    else:
        host = request_headers(scope).get("host") or _server_host(scope)
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
        base = f"{scheme}://{host}"
    return f"{base}{path}" + (f"?{query}" if query else "")


def _server_host(scope: Scope) -> str:
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else "localhost"


async def read_body(receive: Receive, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
    """The whole request body; `BodyTooLarge` past `limit` bytes (stops reading there)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyTooLarge
        if not message.get("more_body"):
            break
    return bytes(body)


async def respond(
    send: Send,
    status: int,
    body: bytes | str = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> None:
    """One complete HTTP response."""
    data = body.encode() if isinstance(body, str) else body
    raw = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class WebSocketGone(Exception):
    """The peer's WebSocket is closed; nothing more can be sent."""


class AsgiWebSocket:
    """One server-side WebSocket over ASGI: accept, receive, send text, close (never raises on close)."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.closed = False

    async def accept(self) -> bool:
        """Wait for the connect request and accept it; False when the peer left first."""
        message = await self._receive()
        if message["type"] != "websocket.connect":
            self.closed = True
            return False
        try:
            await self._send({"type": "websocket.accept"})
        except Exception:  # the server's own "disconnected" error
            self.closed = True
            return False
        return True

    async def receive(self) -> str | bytes | None:
        """The next message, or None once the peer closed or dropped the connection."""
        if self.closed:
            return None
        message = await self._receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            return text if text is not None else message.get("bytes") or b""
        self.closed = True
        return None

    async def send(self, text: str) -> None:
        if self.closed:
            raise WebSocketGone
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception as exc:  # servers raise their own errors for a closed socket
            self.closed = True
            raise WebSocketGone from exc

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason[:120]})
        except Exception:
            pass  # already gone


class PhoneRoutes:
    """An ASGI app that serves channel routes by exact path and hands anything else to `fallback`
    (e.g. the relay's app), or answers 404. `routes` maps a path to an ASGI app (HTTP or WebSocket)."""

    def __init__(self, routes: Mapping[str, AsgiApp], fallback: AsgiApp | None = None) -> None:
        self.routes = dict(routes)
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            app = self.routes.get(scope.get("path") or "/")
            if app is not None:
                await app(scope, receive, send)
                return
        if self.fallback is not None:
            await self.fallback(scope, receive, send)
        elif scope["type"] == "http":
            await respond(send, 404, b"Not found\n")
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1008})
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return


def unavailable(message: str) -> AsgiApp:
    """A route that exists but is not configured: HTTP 503 and a WebSocket close (1013), both saying
    `message` (e.g. which environment variable to set), so a carrier's error log shows why."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await respond(send, 503, f"{message}\n")
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1013, "reason": message[:120]})

    return app
