"""The web server's own limits, from `RelayLimits`: the relay's checks only hold if the server in front
of it does not buffer, wait or keep more than they allow.

A relay limit is checked once a message reaches the relay; by then the server has already buffered
it (uvicorn and hypercorn accept 16 MiB messages by default), kept a half-sent request open (uvicorn
waits for request headers forever), or left a socket full of unread data open after the relay gave
up on it. Each function here turns `RelayLimits` into one server's settings:

- `websockets_settings`: what `RelayServer` passes to `websockets.serve`;
- `uvicorn_settings`: keyword arguments for `uvicorn.Config` / `uvicorn.run` (and a gunicorn
  `UvicornWorker`'s `CONFIG_KWARGS`), with two small protocol subclasses for what uvicorn has no
  setting for: a deadline for the request head, and an abort of a socket that is still open
  (unread data and all) a moment after the app closed it;
- `hypercorn_config`: a `hypercorn.config.Config`.

`install_log_redaction()` masks credentials (`?ticket=`, `?token=`, bearer tokens, ticket
subprotocols) in the access and error logs of all three servers (and gunicorn's).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from agentkit.connection.secrets import RedactingFilter
from agentkit.relay.limits import RelayLimits

MAX_REQUEST_HEAD_BYTES = 16 * 1024
"""Largest request line plus headers: an upgrade request with a ticket is well under 4 KiB."""
CLOSE_GRACE_SECONDS = 5.0
"""How long a closing connection may take to say goodbye before its socket is aborted."""
PING_SECONDS = 20.0
SEND_BUFFER_BYTES = 64 * 1024
"""The kernel's send buffer per client socket (Linux doubles it). Left to autotuning, a client that
never reads gets megabytes queued in the kernel before a send blocks, so the relay's send timeout
never fires; this small fixed buffer (ample for real-time audio) makes the relay notice at once."""
MESSAGES_QUEUED = 4
"""Client messages a server may hold for the relay before it stops reading the socket."""
SERVER_LOGGERS = (
    "websockets.server",
    "uvicorn.access",
    "uvicorn.error",
    "hypercorn.access",
    "hypercorn.error",
    "gunicorn.access",
    "gunicorn.error",
)


def limit_send_buffer(sock: socket.socket) -> None:
    """Fix a socket's kernel send buffer at `SEND_BUFFER_BYTES` (a listening socket passes it on to
    the connections it accepts)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)


def relay_listener(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket whose connections get the small send buffer: hand it to uvicorn
    (`server.serve(sockets=[...])`) or hypercorn (`bind = [f"fd://{sock.detach()}"]`)."""
    listener = socket.create_server((host, port))
    limit_send_buffer(listener)
    return listener


def connection_ceiling(limits: RelayLimits) -> int | None:
    """Open connections a server should hold at most: the relay's clients plus as many again for
    upgrades being checked, page loads and refusals (at least 16); None when uncapped."""
    if limits.max_connections is None:
        return None
    return limits.max_connections + max(16, limits.max_connections)


def websockets_settings(limits: RelayLimits) -> dict[str, Any]:
    """`websockets.asyncio.server.serve` keyword arguments for `limits` (used by `RelayServer`)."""
    return {
        "max_size": limits.max_frame_bytes,
        "max_queue": MESSAGES_QUEUED,
        "compression": None,  # per-connection inflate state, and no compression bombs to inflate
        "open_timeout": limits.handshake_timeout_seconds,
        "close_timeout": CLOSE_GRACE_SECONDS,  # then websockets aborts the TCP connection
        "ping_interval": PING_SECONDS,
        "ping_timeout": PING_SECONDS,
    }


def uvicorn_settings(limits: RelayLimits) -> dict[str, Any]:
    """`uvicorn.Config(app, **uvicorn_settings(relay.limits))`: uvicorn holding the relay's limits."""
    return {
        "http": _uvicorn_http_protocol(limits.handshake_timeout_seconds),
        "ws": _uvicorn_ws_protocol(),
        "ws_max_size": limits.max_frame_bytes,
        "ws_max_queue": MESSAGES_QUEUED,
        "ws_per_message_deflate": False,
        "ws_ping_interval": PING_SECONDS,
        "ws_ping_timeout": PING_SECONDS,
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        "timeout_keep_alive": 5,
        "limit_concurrency": connection_ceiling(limits),
        "server_header": False,
    }


def hypercorn_config(limits: RelayLimits, bind: str = "127.0.0.1:8000") -> Any:
    """A `hypercorn.config.Config` holding the relay's limits (its idle timeout also ends requests
    whose head never arrives); serve with `hypercorn.asyncio.serve(app, config)`."""
    from hypercorn.config import Config

    config = Config()
    config.bind = [bind]
    config.websocket_max_message_size = limits.max_frame_bytes
    config.h11_max_incomplete_size = MAX_REQUEST_HEAD_BYTES
    config.max_app_queue_size = MESSAGES_QUEUED
    config.keep_alive_timeout = limits.handshake_timeout_seconds or 5.0
    config.websocket_ping_interval = PING_SECONDS
    config.graceful_timeout = CLOSE_GRACE_SECONDS
    config.include_server_header = False
    config.h2_max_inbound_frame_size = max(16 * 1024, min(limits.max_frame_bytes, 2**24 - 1))
    return config


def install_log_redaction() -> None:
    """Mask credentials in what the web servers log (request lines with `?ticket=`, `?token=`...).
    Idempotent; `uvicorn_server` calls it, call it yourself when you start a server another way."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())


def uvicorn_server(
    app: Any, limits: RelayLimits, host: str = "127.0.0.1", port: int = 8000, **options: Any
) -> Any:
    """A `uvicorn.Server` for `app` with the relay's limits and redacted logs; `await server.serve()`."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, **{**uvicorn_settings(limits), **options})
    install_log_redaction()
    return uvicorn.Server(config)


# -- the two uvicorn protocol subclasses ----------------------------------------------------------


def _uvicorn_http_protocol(head_timeout: float | None) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, dropping a connection whose first request head is not in by the deadline
    (uvicorn's own keep-alive timeout only starts after a first response), with a small send buffer."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadDeadlineH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                limit_send_buffer(sock)
            if head_timeout is not None:
                self._head_timer = self.loop.call_later(head_timeout, self._head_overdue)

        def _head_overdue(self) -> None:
            no_head_yet = getattr(self, "scope", None) is None  # uvicorn types it as always set
            if no_head_yet and not self.transport.is_closing():
                self.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

    return HeadDeadlineH11Protocol


def _uvicorn_ws_protocol() -> type[asyncio.Protocol]:
    """uvicorn's websockets (sans-I/O) protocol, aborting a socket still open `CLOSE_GRACE_SECONDS`
    after the app is done with it: a client that never reads would otherwise keep the socket and its
    unsent data (in the kernel and in the process) for as long as it likes."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    class AbortingWebSocketProtocol(WebSocketsSansIOProtocol):
        _gone = False

        async def run_asgi(self) -> None:
            try:
                await super().run_asgi()
            finally:
                self.loop.call_later(CLOSE_GRACE_SECONDS, self._abort_if_open)

        def _abort_if_open(self) -> None:
            if not self._gone:
                self.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            self._gone = True
            super().connection_lost(exc)

    return AbortingWebSocketProtocol
