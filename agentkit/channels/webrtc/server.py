"""`WebRTCCalls`: the server side of browser calls over WebRTC.

A browser sends its SDP offer to your server; `answer(offer)` creates the call on the service with
the server's credentials and the agent's configuration, attaches a sideband session to it (tools
run here), and returns the SDP answer for the browser. Or the browser makes the call itself with an
ephemeral secret from `mint_secret()` and tells the server the call id: `attach(call_id, secret)`
attaches only to a call made with a secret this server issued. Each call's session runs until the
call ends; `async with WebRTCCalls(...)` owns them all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import httpx
from anyio.abc import TaskGroup, TaskStatus

from agentkit.channels.webrtc.calls import CallAnswer, create_call, hang_up
from agentkit.channels.webrtc.guard import SidebandGuard
from agentkit.channels.webrtc.policy import SidebandPolicy
from agentkit.channels.webrtc.sdp import parse_offer
from agentkit.channels.webrtc.secrets import CallRefused, SecretBook
from agentkit.connection import ClientSecret, Endpoint, EndpointError
from agentkit.connection.urls import checked_call_id

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.session import Session

logger = logging.getLogger("agentkit.channels.webrtc")

SessionHook = Callable[["Session"], Awaitable[None]]


class WebRTCCalls:
    """Creates and serves WebRTC calls for one agent on one endpoint (at most `max_calls` at once)."""

    def __init__(
        self,
        agent: Agent,
        endpoint: Endpoint,
        *,
        max_calls: int = 100,
        secret_ttl_s: int = 60,
        on_session: SessionHook | None = None,
        policy: SidebandPolicy | None = SidebandPolicy(),
    ) -> None:
        """`policy`: what the caller's device may change over its data channel, enforced from the
        sideband (None: nothing is enforced)."""
        if max_calls < 1:
            raise ValueError(f"max_calls must be at least 1, got {max_calls}")
        self.agent = agent
        self.endpoint = endpoint
        self.sessions: dict[str, Session] = {}
        """The live sideband session of each call, by call id."""
        self._max_calls = max_calls
        self._secret_ttl_s = secret_ttl_s
        self._on_session = on_session
        self._policy = policy
        self.guards: dict[str, SidebandGuard] = {}
        """The policy guard of each live call."""
        self._secrets = SecretBook()
        self._tg: TaskGroup | None = None
        self._http: httpx.AsyncClient | None = None
        """One HTTP client for every call this object creates (connections and TLS set up once)."""

    async def __aenter__(self) -> WebRTCCalls:
        self._http = httpx.AsyncClient()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._tg is not None
        for session in list(self.sessions.values()):
            await session.aclose()
        self._tg.cancel_scope.cancel()
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            if self._http is not None:
                await self._http.aclose()
                self._http = None

    async def answer(self, offer_sdp: str) -> CallAnswer:
        """Create a call for a browser's offer and attach to it; the answer goes back to the browser.

        `SdpError` for a bad offer and `CallError` when the service refuses (nothing is left running);
        `CallRefused` when `max_calls` are live."""
        offer = parse_offer(offer_sdp)
        self._check_capacity()
        answer = await create_call(self.endpoint, offer.text, self.agent.session_config(), client=self._http)
        await self._attach(answer.call_id)
        return answer

    async def mint_secret(self) -> ClientSecret:
        """A short-lived secret for a browser that posts its own offer; remembered for `attach`.

        The secret carries the agent's configuration, so the browser's call starts with it."""
        secret = await self.endpoint.create_client_secret(
            self.agent.session_config(), expires_after_s=max(10, self._secret_ttl_s)
        )
        expires_at = secret.expires_at or (time.time() + self._secret_ttl_s)
        self._secrets.add(secret.value, expires_at)
        return secret

    async def attach(self, call_id: str, secret: str) -> None:
        """Attach to a call the browser made with `secret`; `CallRefused` unless this server issued it
        and the call is not one this server already serves for someone else. A failed attach (no such
        call) leaves the secret free for the right call id."""
        try:
            call_id = checked_call_id(call_id)
        except EndpointError as exc:
            raise CallRefused(str(exc)) from None
        if call_id in self.sessions and self._secrets.holds(secret, call_id):
            return  # the same browser again (a page reload)
        claimed_before = self._secrets.holds(secret, call_id)
        self._secrets.claim(secret, call_id)
        try:
            if call_id in self.sessions:  # a call this server created for another browser's offer
                raise CallRefused("the call is already served for another caller")
            self._check_capacity()
            await self._attach(call_id)
        except BaseException:
            if not claimed_before:
                self._secrets.release(secret, call_id)
            raise

    def _check_capacity(self) -> None:
        if len(self.sessions) >= self._max_calls:
            raise CallRefused(f"{self._max_calls} calls are live; try again later")

    async def _attach(self, call_id: str) -> None:
        if self._tg is None:
            raise RuntimeError("use WebRTCCalls as `async with WebRTCCalls(...) as calls:`")
        await self._tg.start(self._serve, call_id)

    async def _serve(self, call_id: str, *, task_status: TaskStatus[None]) -> None:
        """One call's sideband session, from attach to the end of the call."""
        async with (
            self.agent.connect(self.endpoint, call_id=call_id) as session,
            anyio.create_task_group() as tg,
        ):
            if self._policy is not None:
                guard = SidebandGuard(session, self._policy, hang_up=lambda: hang_up(self.endpoint, call_id))
                self.guards[call_id] = guard
                tg.start_soon(guard.run, name=f"call {call_id} guard")
            self.sessions[call_id] = session
            task_status.started()
            try:
                if self._on_session is not None:
                    await self._on_session(session)
                async with session.events() as events:
                    async for _ in events:
                        pass
            finally:
                self.sessions.pop(call_id, None)
                self.guards.pop(call_id, None)
                tg.cancel_scope.cancel()
        logger.info("call %s: session ended (%s)", call_id, "call ended" if session.call_ended else "closed")
