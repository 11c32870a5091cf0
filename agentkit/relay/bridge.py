"""One client connection: its own upstream agent session, the policy both ways, and its limits.

Three tasks per client: client -> model (checked by the policy, rate-limited), model -> client
(sanitised), and tool-activity notices. The first one to end decides the close code and reason;
the others are cancelled, the session is closed (running tools cancelled and answered), and the
client is told why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskGroup

from agentkit.engine import NO_CALL_ID_CODE, AppEvent, ErrorReported, ToolCallFinished, ToolCallStarted
from agentkit.protocol import (
    ClientEvent,
    Codec,
    ConversationItemCreate,
    Dialect,
    InputAudioBufferAppend,
    InputAudioPart,
    MessageItem,
    ResponseCreate,
    ServerEvent,
    SessionUpdate,
)
from agentkit.relay.channel import ClientChannel, ClientGone
from agentkit.relay.limits import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_SERVICE_RESTART,
    CLOSE_TOO_BIG,
    RelayLimits,
    TokenBucket,
)
from agentkit.relay.live_checks import merge_session_update, refuse_busy_response
from agentkit.relay.policy import RelayPolicy
from agentkit.relay.refusal import Refusal
from agentkit.relay.resume import Keeper
from agentkit.relay.server_view import unanswerable_call_error
from agentkit.session import EventStream, Session, SessionClosed

logger = logging.getLogger("agentkit.relay")

_GA = Codec(Dialect.GA)
_CLOSE_TIMEOUT = 5.0
DRAINED_REASON = "the relay is restarting: reconnect to continue"


@dataclass
class _Ending:
    """The first reason the connection ends; `code=None` means the client left by itself."""

    code: int | None = None
    reason: str = ""
    decided: bool = False


class ClientBridge:
    """Relays one client; `await ClientBridge(...).run()` returns when it is over."""

    def __init__(
        self,
        open_session: Callable[[], Session],
        policy: RelayPolicy,
        limits: RelayLimits,
        channel: ClientChannel,
        client: str | None,
        clock: Callable[[], float],
        keeper: Keeper | None = None,
    ) -> None:
        self._open_session = open_session
        self.keeper = keeper
        """Keeps the conversation resumable (None: resume is off)."""
        self._notice_pending = keeper is not None
        self.policy = policy
        self.limits = limits
        self.channel = channel
        self.client = client or "unknown client"
        self.state = policy.new_connection_state()
        self._clock = clock
        self._send_lock = anyio.Lock()
        self._ending = _Ending()
        self._tg: TaskGroup | None = None
        self._forwarding = False
        self._drain = anyio.Event()
        """Set when the relay drains: end the connection as soon as no turn is in progress."""

    async def run(self) -> None:
        limits, keeper = self.limits, self.keeper
        session: Session | None = None
        try:
            session = self._open_session()
            if keeper is not None:
                if keeper.waiting:  # queued calls outlived their instance: their results come first
                    await self._send_resume_notice()
                    await keeper.collect()
                keeper.restore(session)
            upstream = session.server_events(limits.max_pending_events)
            app_events = session.events()
            kept = session.events() if keeper is not None else None
            async with session, anyio.create_task_group() as tg:
                self._tg = tg
                if self._ending.decided:  # ended (stopped by a drain) while the session was opening
                    tg.cancel_scope.cancel()
                tg.start_soon(self._model_to_client, upstream, session)
                tg.start_soon(self._app_events, app_events)
                if keeper is not None and kept is not None:
                    tg.start_soon(self._keep, keeper, session, kept)
                if limits.max_session_seconds is not None:
                    tg.start_soon(self._deadline, limits.max_session_seconds)
                tg.start_soon(self._close_when_drained, session, upstream)
                await self._client_to_model(session)
        except Exception as exc:  # the upstream session failed to open or broke: tell the client
            logger.warning(
                "relay: %s: the agent session failed: %s: %s", self.client, type(exc).__name__, exc
            )
            self._finish(CLOSE_INTERNAL, "the agent is unavailable")
        finally:
            if keeper is not None and session is not None:
                await keeper.save_final(session)
                with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
                    await self._send_resume_notice()  # a client that never got its token gets it now
            await self._close_client()

    async def _keep(self, keeper: Keeper, session: Session, events: EventStream[AppEvent]) -> None:
        await keeper.opened(session)
        await keeper.keep(session, events)
        if keeper.displaced:
            self._finish(CLOSE_GOING_AWAY, "the conversation was resumed on another connection")

    async def _send_resume_notice(self) -> None:
        client_left = self._ending.decided and self._ending.code is None
        if self._notice_pending and self.keeper is not None and not client_left:
            self._notice_pending = False
            await self._send(self.keeper.notice())

    # -- ending ----------------------------------------------------------------------------------

    def drain(self) -> None:
        """Close this connection (1012, with its resume token) once no turn is in progress."""
        self._drain.set()

    def stop_now(self) -> None:
        """The drain's grace period is over: close now, turn or not."""
        self._finish(CLOSE_SERVICE_RESTART, DRAINED_REASON)

    async def _close_when_drained(self, session: Session, upstream: EventStream[ServerEvent]) -> None:
        """Once draining, end the connection at the first moment no turn is in progress and every
        event the model sent has reached the client (checked after each app event, here, and after
        each forwarded event, in `_model_to_client`)."""
        await self._drain.wait()
        async with session.events() as events:  # subscribed before looking, so no turn end is missed
            if await self._end_if_drained(session, upstream):
                return
            async for _ in events:
                if await self._end_if_drained(session, upstream):
                    return

    async def _end_if_drained(self, session: Session, upstream: EventStream[ServerEvent]) -> bool:
        if not self._drain.is_set() or self._forwarding or len(upstream) or not _idle(session):
            return False
        if self._ending.decided:
            return True
        if self.keeper is not None:
            self._notice_pending = True
            await self._send_resume_notice()  # the latest token, with the close code that asks for it
        self._finish(CLOSE_SERVICE_RESTART, DRAINED_REASON)
        return True

    def _finish(self, code: int | None, reason: str) -> None:
        if not self._ending.decided:
            self._ending = _Ending(code, reason, decided=True)
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    async def _close_client(self) -> None:
        ending = self._ending
        if ending.code is None:
            logger.info("relay: %s left", self.client)
            return
        logger.info("relay: closing %s: %d %s", self.client, ending.code, ending.reason)
        with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
            await self.channel.close(ending.code, ending.reason)

    async def _deadline(self, seconds: float) -> None:
        await anyio.sleep(seconds)
        self._finish(CLOSE_GOING_AWAY, f"maximum session length ({seconds:g} s) reached")

    # -- client -> model -------------------------------------------------------------------------

    async def _client_to_model(self, session: Session) -> None:
        limits, policy = self.limits, self.policy
        now = self._clock()
        messages = TokenBucket(limits.messages_per_second, limits.message_burst, now)
        audio = TokenBucket(limits.audio_bytes_per_second, limits.audio_burst_bytes, now)
        idle = limits.idle_timeout_seconds
        while True:
            frame: str | bytes | None = None
            with anyio.move_on_after(idle if idle is not None else float("inf")) as waited:
                frame = await self.channel.receive()
            if waited.cancelled_caught:
                return self._finish(CLOSE_GOING_AWAY, f"idle timeout: nothing received for {idle:g} s")
            if frame is None:
                return self._finish(None, "")
            now = self._clock()
            if _size(frame) > limits.max_frame_bytes:
                return self._finish(CLOSE_TOO_BIG, f"frame larger than {limits.max_frame_bytes} bytes")
            if not messages.take(1, now):
                return self._finish(CLOSE_POLICY, "message rate limit exceeded")
            event = policy.check_client_frame(frame)
            if isinstance(event, ResponseCreate) and session.response_requested:
                event = refuse_busy_response(event)
            elif isinstance(event, SessionUpdate):
                event = merge_session_update(event, session.config)
            if isinstance(event, Refusal):
                await self._send(event.to_error_event())
                continue
            if not audio.take(_audio_bytes(event), now):
                return self._finish(CLOSE_POLICY, "audio rate limit exceeded")
            self.state.remember_client_event(event.event_id)
            try:
                await session.send_client_event(event)
            except SessionClosed:
                return self._finish(CLOSE_INTERNAL, "the agent's session ended")

    # -- model -> client -------------------------------------------------------------------------

    async def _model_to_client(self, upstream: EventStream[ServerEvent], session: Session) -> None:
        policy = self.policy
        try:
            async for event in upstream:
                if upstream.dropped:
                    return self._finish(CLOSE_POLICY, "the client is not reading events fast enough")
                self._forwarding = True
                visible = policy.sanitize_server_event(event, self.state)
                if visible is not None:
                    await self._send(visible)
                    await self._send_resume_notice()  # right after session.created
                self._forwarding = False
                if await self._end_if_drained(session, upstream):
                    return
        except SessionClosed:
            pass
        self._finish(CLOSE_INTERNAL, "the agent's session ended")

    async def _app_events(self, events: EventStream[AppEvent]) -> None:
        """Tool notices (when the policy wants them), and what the engine had to report about a
        call it could not run: the client hears of it instead of waiting on a silent turn."""
        policy = self.policy
        async for event in events:
            notice: ServerEvent | None = None
            if isinstance(event, ErrorReported) and event.error.code == NO_CALL_ID_CODE:
                notice = unanswerable_call_error()
            elif isinstance(event, ToolCallStarted):
                notice = policy.tool_activity(
                    self.state, call_id=event.call_id, name=event.name, phase="started"
                )
            elif isinstance(event, ToolCallFinished):
                ok = event.status == "ok"
                notice = policy.tool_activity(
                    self.state, call_id=event.call_id, name=event.name, phase="finished", ok=ok
                )
            if notice is not None:
                await self._send(notice)

    async def _send(self, event: ServerEvent) -> None:
        text = _GA.encode_server_event(event)
        timeout = self.limits.send_timeout_seconds
        try:
            with anyio.move_on_after(timeout if timeout is not None else float("inf")) as waited:
                async with self._send_lock:
                    await self.channel.send(text)
        except ClientGone:
            self._finish(None, "")
        if waited.cancelled_caught:
            self._finish(CLOSE_POLICY, "the client is not reading events fast enough")


def _idle(session: Session) -> bool:
    """No turn in progress (a function, so that each look reads the session afresh)."""
    return not session.busy


def _audio_bytes(event: ClientEvent) -> int:
    """Decoded input audio an event carries: appends and audio parts of a message alike."""
    if isinstance(event, InputAudioBufferAppend):
        return len(event.audio) * 3 // 4
    if isinstance(event, ConversationItemCreate) and isinstance(event.item, MessageItem):
        parts = event.item.content
        return sum(len(part.audio or "") * 3 // 4 for part in parts if isinstance(part, InputAudioPart))
    return 0


def _size(frame: Any) -> int:
    if isinstance(frame, str):
        return len(frame) if frame.isascii() else len(frame.encode("utf-8"))
    return len(frame)
