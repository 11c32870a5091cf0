"""`SessionRecorder`: record a real session to a file, to replay it in a test later.

    async with SessionRecorder(Endpoint.from_env(), "tests/recordings/refund.json") as recorder:
        async with agent.connect(recorder.endpoint()) as session:
            await session.ask("I'd like a refund for A-1001")
    # then, offline, in a test:
    async with replaying("tests/recordings/refund.json") as (endpoint, replay): ...

The recorder is a loopback WebSocket proxy in front of the real service: the session connects to
it with a one-off local key, and it connects upstream with the endpoint's own credentials, so the
key or token never passes through the recording. Every frame both ways is kept, in order, with the
close; before a frame is written, fields that hold credentials (`client_secret`, `api_key`,
`token`, ...) are replaced by `<scrubbed>`, the credentials' values and anything in a credential's
place are masked (agentkit's log redaction), and audio payloads are cut to their first 44 base64
characters unless `keep_audio=True`. One session per recording: a reconnect is written after a close.
"""

from __future__ import annotations

import json
import logging
import secrets as random
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed as WsConnectionClosed

from agentkit.connection import Endpoint, RealtimeConnection
from agentkit.connection.errors import ConnectionClosed
from agentkit.connection.secrets import RedactingLogger, redact, redact_credentials
from agentkit.testing.kit.replay import VERSION

logger = logging.getLogger("agentkit.testing.kit.recorder")

SCRUBBED = "<scrubbed>"
AUDIO_KEPT_CHARS = 44
_SECRET_KEYS = frozenset(
    {
        "client_secret",
        "api_key",
        "api-key",
        "apikey",
        "authorization",
        "token",
        "ticket",
        "secret",
        "password",
    }
)
_AUDIO_FIELDS = {
    "input_audio_buffer.append": "audio",
    "response.audio.delta": "delta",
    "response.output_audio.delta": "delta",
}


def scrub(frame: dict[str, Any], secrets: tuple[str, ...], *, keep_audio: bool) -> dict[str, Any]:
    """`frame` as it may be written down: credentials out, audio cut short (unless kept)."""
    cleaned = _scrub_value(frame)
    field = _AUDIO_FIELDS.get(str(cleaned.get("type")))
    if not keep_audio and field and isinstance(cleaned.get(field), str):
        cleaned[field] = cleaned[field][:AUDIO_KEPT_CHARS]
    text = redact_credentials(redact(json.dumps(cleaned), secrets))
    result: dict[str, Any] = json.loads(text)
    return result


def _scrub_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: SCRUBBED if str(key).lower() in _SECRET_KEYS and value[key] else _scrub_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(item) for item in value]
    return value


class SessionRecorder:
    """Records the sessions that connect through it; writes the file on exit (unless the block raised:
    a failed run does not overwrite a good recording) and on `save()`."""

    def __init__(
        self,
        upstream: Endpoint,
        path: str | Path | None = None,
        *,
        keep_audio: bool = False,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.upstream = upstream
        self.path = Path(path) if path is not None else None
        self.keep_audio = keep_audio
        self.interactions: list[dict[str, Any]] = []
        self._extra_secrets = tuple(s for s in secrets if s)
        self._local_key = f"recorder-{random.token_urlsafe(16)}"
        self._server: Server | None = None

    def __repr__(self) -> str:
        return f"SessionRecorder(upstream={self.upstream!r}, frames={len(self.interactions)})"

    def endpoint(self) -> Endpoint:
        """Where the session under recording connects (the upstream's dialect, a local key)."""
        if self._server is None:
            raise RuntimeError("the recorder is not running: use `async with SessionRecorder(...)`")
        port = next(iter(self._server.sockets)).getsockname()[1]
        return Endpoint.custom(
            f"ws://127.0.0.1:{port}/v1/realtime?model=recording",
            dialect=self.upstream.dialect,
            api_key=self._local_key,
        )

    def recording(self) -> dict[str, Any]:
        return {"version": VERSION, "dialect": self.upstream.dialect.value, "interactions": self.interactions}

    def save(self, path: str | Path | None = None) -> Path:
        """Write the recording as JSON; returns where."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save the recording to")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.recording(), indent=1) + "\n", encoding="utf-8")
        return target

    async def __aenter__(self) -> SessionRecorder:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_key,
            max_size=None,
            compression=None,
            ping_interval=None,
            logger=RedactingLogger(logging.getLogger("websockets.server"), (self._local_key,)),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with anyio.move_on_after(5):
                await server.wait_closed()
        if self.path is not None and exc_type is None:
            self.save()

    def _check_key(self, websocket: ServerConnection, request: Any) -> Any:
        offered = request.headers.get("api-key") or request.headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        if offered != self._local_key:
            return websocket.respond(401, "the recorder takes only the key of its own endpoint()\n")
        return None

    async def _handle(self, client: ServerConnection) -> None:
        try:
            credentials = await self.upstream.auth.credentials()
            upstream = await self.upstream.connect()
        except Exception as exc:  # refused, unreachable, no credential: told to the session, recorded
            reason = redact_credentials(str(exc))[:120]
            logger.warning("recorder: could not connect upstream: %s", reason)
            self._close(1011, f"upstream: {reason}")
            await client.close(1011, "the recorder could not reach the service")
            return
        secrets = (*credentials.secrets, *self._extra_secrets, self._local_key)
        async with upstream, anyio.create_task_group() as tg:
            tg.start_soon(self._to_upstream, client, upstream, secrets, tg.cancel_scope)
            await self._to_client(client, upstream, secrets)
            tg.cancel_scope.cancel()

    async def _to_upstream(
        self,
        client: ServerConnection,
        upstream: RealtimeConnection,
        secrets: tuple[str, ...],
        scope: anyio.CancelScope,
    ) -> None:
        try:
            async for frame in client:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                self._note("sent", text, secrets)
                await upstream.send_text(text)
        except (WsConnectionClosed, ConnectionClosed):
            pass
        code = client.close_code or 1000
        self._close(code, client.close_reason or "")
        await upstream.close(code if code in (1000, 1001) else 1000, "")
        scope.cancel()

    async def _to_client(
        self, client: ServerConnection, upstream: RealtimeConnection, secrets: tuple[str, ...]
    ) -> None:
        try:
            while True:
                frame = await upstream.recv_frame()
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                self._note("received", text, secrets)
                await client.send(text)
        except ConnectionClosed as closed:
            self._close(closed.code, redact(closed.reason, secrets))
            await client.close(closed.code if closed.code not in (1005, 1006) else 1011, closed.reason[:120])
        except WsConnectionClosed:
            pass

    def _note(self, direction: str, text: str, secrets: tuple[str, ...]) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            data = {"type": "<not json>", "text": redact_credentials(redact(text[:200], secrets))}
        if not isinstance(data, dict):
            data = {"type": "<not an object>"}
        self.interactions.append(
            {
                "kind": "message",
                "direction": direction,
                "data": scrub(data, secrets, keep_audio=self.keep_audio),
            }
        )

    def _close(self, code: int, reason: str) -> None:
        if not self.interactions or self.interactions[-1]["kind"] != "close":
            self.interactions.append({"kind": "close", "code": code, "reason": reason})
