"""One open Realtime WebSocket: canonical events in, canonical events out, text frames only.

`open_connection` performs the handshake (turning refusals into `HandshakeError`); `RealtimeConnection`
sends through a lock so frames never interleave, and reports the close as `ConnectionClosed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

import anyio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.exceptions import (
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.protocol import State
from websockets.typing import Subprotocol

from agentkit import __version__
from agentkit.connection.errors import ConnectionClosed, EndpointError, HandshakeError
from agentkit.connection.failures import Caller, http_failure, request_id_from
from agentkit.connection.secrets import RedactingLogger, redact
from agentkit.protocol import ClientEvent, Codec, Dialect, ErrorEvent, ProtocolError, ServerEvent

logger = logging.getLogger("agentkit.connection")

MAX_FRAME_BYTES = 32 * 1024 * 1024
"""Incoming frame limit: well above a 15 MiB audio append (about 20 MiB as base64 JSON)."""

_NO_CLOSE_FRAME = 1006


@dataclass(frozen=True)
class TransportOptions:
    """WebSocket limits and timers; the defaults suit the Realtime services."""

    open_timeout: float = 15.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    max_frame_bytes: int = MAX_FRAME_BYTES
    max_queue: int = 64
    """Incoming frames buffered before reading stops (back-pressure on the server)."""


class RealtimeConnection:
    """An open connection: `send` canonical client events, `recv` canonical server events."""

    def __init__(
        self,
        websocket: ClientConnection,
        codec: Codec,
        *,
        url: str,
        request_id: str | None,
        server_request_id: str | None,
        secrets: Sequence[str] = (),
    ) -> None:
        self._ws = websocket
        self._secrets = tuple(secret for secret in secrets if secret)
        """This connection's keys: a service that echoes one in an error or a close reason is
        redacted here, before the text reaches a log, a trace or a relayed client."""
        self.codec = codec
        self.url = url
        """The URL connected to, without any key (safe to log)."""
        self.request_id = request_id
        """The `x-ms-client-request-id` we sent, else the server's request id: quote it to support."""
        self.server_request_id = server_request_id
        self._send_lock = anyio.Lock(fast_acquire=True)
        """Uncontended (the usual case: one writer task) it costs no trip through the event loop."""

    def redact(self, text: str) -> str:
        """`text` with this connection's keys masked (for what a service says back, before it is shown)."""
        return redact(text, self._secrets) if self._secrets else text

    @property
    def dialect(self) -> Dialect:
        return self.codec.dialect

    @property
    def subprotocol(self) -> str | None:
        return self._ws.subprotocol

    @property
    def close_code(self) -> int | None:
        """The close code once closed (1006 for a drop without a close frame), else None."""
        return self._ws.close_code

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<RealtimeConnection {self.url} {self.dialect.value} {state} request_id={self.request_id}>"

    async def send(self, event: ClientEvent) -> None:
        """Encode `event` in this connection's dialect and send it as one text frame."""
        await self.send_text(self.codec.encode_client_event(event))

    async def send_text(self, frame: str) -> None:
        """Send an already-encoded frame (the relay forwards some verbatim)."""
        async with self._send_lock:
            try:
                await self._ws.send(frame)
            except WsConnectionClosed as exc:
                raise _closed(exc, self._secrets) from None

    async def recv(self) -> ServerEvent:
        """The next server event (`ProtocolError` / `UnknownEvent` for frames that do not decode)."""
        try:  # `recv_frame`, inline: one coroutine fewer to resume per event
            frame = await self._ws.recv()
        except WsConnectionClosed as exc:
            raise _closed(exc, self._secrets) from None
        if isinstance(frame, bytes):
            return ProtocolError(message="unexpected binary frame (the Realtime API sends text)")
        event = self.codec.decode_server_event(frame)
        if type(event) is ErrorEvent and self._secrets:
            message = redact(event.error.message, self._secrets)
            if message != event.error.message:
                error = event.error.model_copy(update={"message": message})
                event = event.model_copy(update={"error": error})
        return event

    async def recv_frame(self) -> str | bytes:
        """The next frame exactly as it arrived (a session recorder keeps it verbatim)."""
        try:
            return await self._ws.recv()
        except WsConnectionClosed as exc:
            raise _closed(exc, self._secrets) from None

    async def __aiter__(self) -> AsyncIterator[ServerEvent]:
        """Events until the connection closes; a normal close ends the loop, others raise."""
        while True:
            try:
                yield await self.recv()
            except ConnectionClosed as exc:
                if exc.clean:
                    return
                raise

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code, reason)
        if self._ws.state is State.CLOSED:
            # websockets cancels its keepalive task at the close and keeps a reference to it: the
            # task's CancelledError holds the task's frame, which holds the connection, a cycle
            # only the garbage collector would free. Dropping the reference (the task has no
            # further use) lets reference counting free it all.
            self._ws.keepalive_task = None

    async def __aenter__(self) -> RealtimeConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _closed(exc: WsConnectionClosed, secrets: Sequence[str] = ()) -> ConnectionClosed:
    frame = exc.rcvd or exc.sent
    code = frame.code if frame is not None else _NO_CLOSE_FRAME
    reason = redact(frame.reason, secrets) if frame is not None else ""
    return ConnectionClosed(code, reason, clean=isinstance(exc, ConnectionClosedOK))


async def open_connection(
    url: str,
    *,
    shown_url: str,
    codec: Codec,
    headers: Mapping[str, str],
    subprotocols: Sequence[str] = (),
    secrets: Sequence[str] = (),
    request_id: str | None = None,
    options: TransportOptions | None = None,
    caller: Caller | None = None,
) -> RealtimeConnection:
    """Open the WebSocket at `url` (which may carry a key; `shown_url` is what errors and logs show)."""
    options = options or TransportOptions()
    ws_logger = RedactingLogger(logging.getLogger("websockets.client"), secrets)
    try:
        websocket = await connect(
            url,
            additional_headers=dict(headers),
            subprotocols=[Subprotocol(p) for p in subprotocols] or None,
            compression=None,
            user_agent_header=f"agentkit/{__version__}",
            open_timeout=options.open_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            close_timeout=options.close_timeout,
            max_size=options.max_frame_bytes,
            max_queue=options.max_queue,
            logger=ws_logger,
        )
    except InvalidStatus as exc:
        response = exc.response
        raise http_failure(
            HandshakeError,
            "the WebSocket handshake",
            status=response.status_code,
            body=bytes(response.body or b""),
            headers=response.headers,
            sent_request_id=request_id,
            url=shown_url,
            secrets=secrets,
            caller=caller,
        ) from None
    except InvalidURI:
        raise EndpointError(f"not a valid WebSocket URL: {shown_url}") from None
    except (InvalidHandshake, OSError, TimeoutError, asyncio.TimeoutError) as exc:
        detail = redact(f"{type(exc).__name__}: {exc}", secrets)
        raise HandshakeError(
            f"could not open the WebSocket to {shown_url} ({detail})", request_id=request_id, url=shown_url
        ) from None
    server_request_id = request_id_from(websocket.response.headers) if websocket.response else None
    connection = RealtimeConnection(
        websocket,
        codec,
        url=shown_url,
        request_id=request_id or server_request_id,
        server_request_id=server_request_id,
        secrets=secrets,
    )
    logger.debug("connected to %s (%s, request id %s)", shown_url, codec.dialect.value, connection.request_id)
    return connection
