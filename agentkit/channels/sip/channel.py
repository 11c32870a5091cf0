"""`SipChannel`: phone calls that reach the Realtime service over SIP, answered by an agent.

The service carries the audio; this app only decides. Its webhook route verifies each delivery
(Standard Webhooks: signature, timestamp tolerance, a `webhook-id` accepted once), screens the
`realtime.call.incoming` call, accepts it with the agent's session (instructions, tools, voice) or
rejects it with a SIP status, answers the webhook, and then attaches a sideband session to the call
by `call_id` so the agent's tools run here. `refer` and `hangup` are methods, and tools the agent
can be given (`transfer_call`, `end_call`).
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from agentkit.agent import AGENT_DEPS, Agent
from agentkit.channels.asgi import (
    AsgiApp,
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    read_body,
    request_headers,
    respond,
)
from agentkit.channels.calls import Accept, CallScreen, IncomingCall, Reject, accept_all, decide
from agentkit.channels.signatures import WebhookRejected, WebhookVerifier
from agentkit.connection import Endpoint
from agentkit.observer import SessionObserver
from agentkit.protocol import ResponseParams
from agentkit.session import SessionClosed
from agentkit.tools import Toolset

from .control import CallControl, CallControlError
from .tools import call_tools

logger = logging.getLogger("agentkit.channels.sip")

INCOMING = "realtime.call.incoming"

Attach = Callable[[Agent, str, Any], Awaitable[None]]
"""Runs the agent on an accepted call: (agent for this call, call id, deps)."""


def caller_of(headers: Sequence[Any], name: str) -> str | None:
    """A SIP header's value from the webhook's `sip_headers` list (case-insensitive name)."""
    for header in headers:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == name.lower():
            value = header.get("value")
            return value if isinstance(value, str) else None
    return None


class SipChannel:
    """SIP calls announced by the service's webhook. `endpoint`: the service (None: from the
    environment); `webhook_secret`: the `whsec_...` secret (default `OPENAI_WEBHOOK_SECRET`).
    `call_control_tools`: give the agent `transfer_call` and `end_call` for its own call, limited to
    `transfer_targets` when given. `attach`: how to run the agent on an accepted call (the default
    opens a sideband session by `call_id`; None accepts without attaching)."""

    def __init__(
        self,
        agent: Agent,
        endpoint: Endpoint | None = None,
        *,
        webhook_secret: str | None = None,
        screen: CallScreen = accept_all,
        call_control_tools: bool = True,
        transfer_targets: Sequence[str] = (),
        attach: Attach | bool | None = True,
        observer: SessionObserver | None = None,
        verifier: WebhookVerifier | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        if endpoint is None:
            endpoint = Endpoint.from_env(env)
            if endpoint is None:
                raise ValueError("a SIP channel needs the service: set OPENAI_API_KEY (or pass an endpoint)")
        if verifier is None:
            secret = webhook_secret or env.get("OPENAI_WEBHOOK_SECRET", "")
            if not secret:
                raise ValueError(
                    "a SIP channel needs the webhook secret: set OPENAI_WEBHOOK_SECRET (whsec_...)"
                )
            verifier = WebhookVerifier(secret)
        self.agent = agent
        self.endpoint = endpoint
        self.control = CallControl(endpoint)
        self.verifier = verifier
        self.screen = screen
        self.call_control_tools = call_control_tools
        self.transfer_targets = tuple(transfer_targets)
        self.observer = observer
        self._attach: Attach | None = self._sideband if attach is True else (attach or None)
        self.active: set[str] = set()
        """Calls with an agent attached now."""

    def __repr__(self) -> str:
        return f"SipChannel(calls={self.control.url!r}, active={len(self.active)})"

    def routes(self, path: str = "/sip/webhook") -> dict[str, AsgiApp]:
        return {path: self.webhook}

    # -- what the application (and the agent's tools) can do to a call -------------------------------

    async def refer(self, call_id: str, target: str) -> None:
        """Transfer a call to a phone number or SIP URI."""
        await self.control.refer(call_id, target)

    async def hangup(self, call_id: str) -> None:
        await self.control.hangup(call_id)

    def agent_for(self, call_id: str, accept: Accept) -> Agent:
        """The agent for one call: per-call instructions, plus the call-control tools."""
        line = copy.copy(self.agent)
        if accept.instructions is not None:
            line.instructions = accept.instructions
        if self.call_control_tools:
            extra = call_tools(self.control, call_id, transfer_targets=self.transfer_targets)
            line.toolset = Toolset([self.agent.toolset, *extra], name=self.agent.toolset.name)
        return line

    # -- the webhook ---------------------------------------------------------------------------------

    async def webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app for the service's webhook (`POST`, JSON, Standard Webhooks signature)."""
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await respond(send, 405, b"Use POST\n", headers={"Allow": "POST"})
            return
        try:
            body = await read_body(receive)
        except BodyTooLarge:
            await respond(send, 413, b"Request too large\n")
            return
        try:
            self.verifier.verify(request_headers(scope), body)
        except WebhookRejected as exc:
            logger.warning("sip: refused a webhook: %s", exc.reason)
            await respond(send, exc.status, f"{exc.reason}\n")
            return
        try:
            event = json.loads(body)
        except ValueError:
            await respond(send, 400, b"the body is not JSON\n")
            return
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(event, dict) or event.get("type") != INCOMING or not isinstance(data, dict):
            await respond(send, 200, b"")  # other events: acknowledged, nothing to do
            return
        call_id = data.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            await respond(send, 400, b"the event has no call_id\n")
            return
        raw_headers = data.get("sip_headers")
        headers: list[Any] = raw_headers if isinstance(raw_headers, list) else []
        call = IncomingCall("sip", call_id, caller_of(headers, "From"), caller_of(headers, "To"), data)
        accept = await self._answer(call)
        await respond(send, 200, b"")
        if accept is not None and self._attach is not None:
            # Runs after the response, in the request's own task, as ASGI background work does.
            await self._run(call_id, accept)

    async def _answer(self, call: IncomingCall) -> Accept | None:
        try:
            decision = await decide(self.screen, call)
        except Exception as exc:
            logger.error("sip: the call screen failed (%s); rejecting %s", type(exc).__name__, call.call_id)
            decision = Reject("the call screen failed")
        try:
            if isinstance(decision, Reject):
                await self.control.reject(call.call_id, decision.sip_status)
                logger.info(
                    "sip: call %s rejected (%d): %s", call.call_id, decision.sip_status, decision.reason
                )
                return None
            agent = self.agent_for(call.call_id, decision)
            await self.control.accept(call.call_id, agent.session_config())
        except CallControlError as exc:
            logger.warning("sip: could not answer call %s: %s", call.call_id, exc)
            return None
        logger.info("sip: call %s accepted", call.call_id)
        return decision

    async def _run(self, call_id: str, accept: Accept) -> None:
        assert self._attach is not None
        deps = self.agent.deps if accept.deps is AGENT_DEPS else accept.deps
        self.active.add(call_id)
        try:
            await self._attach(self.agent_for(call_id, accept), call_id, (deps, accept.greeting))
        except Exception as exc:
            logger.warning("sip: call %s: the agent session failed: %s: %s", call_id, type(exc).__name__, exc)
        finally:
            self.active.discard(call_id)

    async def _sideband(self, agent: Agent, call_id: str, extra: Any) -> None:
        """Attach to the call's sideband (`{base}/realtime?call_id=...`) until the service closes it."""
        deps, greeting = extra
        async with agent.connect(
            self.endpoint, deps=deps, observer=self.observer, call_id=call_id
        ) as session:
            if greeting:
                await session.create_response(ResponseParams(instructions=greeting))
            try:
                async for _ in session:
                    pass
            except SessionClosed:
                pass  # the call ended: the service closed the sideband for good
