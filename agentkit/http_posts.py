"""Plain HTTP POSTs beside the WebSockets on one websockets port: the local server's `realtime/calls`,
`client_secrets` and `hangup`, and the relay's WebRTC offer endpoint.

websockets serves only GET upgrades, so each connection first looks at its request line: a POST is
read here (head and a bounded body) and answered by the server's handler; anything else goes on to
websockets untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection as WebSocketConnection

MAX_BODY = 256 * 1024
_MAX_HEAD = 16 * 1024
_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


@dataclass
class HttpReply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


HttpHandler = Callable[[HttpRequest], Awaitable[HttpReply]]


def connection_class(handler: HttpHandler) -> type[WebSocketConnection]:
    """A websockets connection class that answers POSTs with `handler` and upgrades everything else."""

    class HttpOrWebSocket(_HttpOrWebSocket):
        http_handler = staticmethod(handler)

    return HttpOrWebSocket


class _HttpOrWebSocket(WebSocketConnection):
    http_handler: Callable[[HttpRequest], Awaitable[HttpReply]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sniffed = bytearray()
        self._mode: str | None = None
        self._decided = asyncio.Event()
        self._more = asyncio.Event()
        self._lost = False

    def data_received(self, data: bytes) -> None:
        if self._mode == "ws":
            super().data_received(data)
            return
        self._sniffed.extend(data)
        if self._mode is None:
            if len(self._sniffed) < 5 and b" " not in self._sniffed:
                return
            self._mode = "http" if bytes(self._sniffed[:5]) == b"POST " else "ws"
            self._decided.set()
            if self._mode == "ws":
                held, self._sniffed = bytes(self._sniffed), bytearray()
                super().data_received(held)
                return
        self._more.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._decided.set()
        self._more.set()
        super().connection_lost(exc)

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        await self._decided.wait()
        if self._mode != "http":
            await super().handshake(*args, **kwargs)
            return
        reply = await self._read_and_answer()
        if not self._lost:
            self.transport.write(_encode(reply))
            for _ in range(500):  # let the answer leave before websockets aborts the transport
                if self.transport.get_write_buffer_size() == 0:
                    break
                await asyncio.sleep(0.01)

    async def _read_and_answer(self) -> HttpReply:
        while b"\r\n\r\n" not in self._sniffed:
            if self._lost or len(self._sniffed) > _MAX_HEAD:
                return HttpReply(400, b'{"error": {"message": "bad request head"}}')
            self._more.clear()
            await self._more.wait()
        head, _, rest = bytes(self._sniffed).partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, *_ = [*request_line.split(" "), "", ""]
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return HttpReply(400, b'{"error": {"message": "bad Content-Length"}}')
        if length > MAX_BODY or length < 0:
            return HttpReply(413, b'{"error": {"message": "the body is too large"}}')
        while len(rest) < length:
            if self._lost:
                return HttpReply(400, b"")
            self._more.clear()
            await self._more.wait()
            rest = bytes(self._sniffed).partition(b"\r\n\r\n")[2]
        try:
            return await self.http_handler(HttpRequest(method, target, headers, rest[:length]))
        except Exception:
            self.logger.exception("local server HTTP handler failed")
            return HttpReply(500, b'{"error": {"message": "internal error"}}')


def _encode(reply: HttpReply) -> bytes:
    headers = {"content-length": str(len(reply.body)), "connection": "close", **reply.headers}
    lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body
