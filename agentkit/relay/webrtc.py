"""The relay's WebRTC mode: a browser posts its SDP offer to `OFFER_PATH`, checked exactly like a
WebSocket upgrade (Host, draining, capacity, Origin, the auth hook and its tickets), and gets the SDP
answer of a call the relay created on the service with its own credentials. The audio then goes
between the browser and the model; the relay holds only the call's sideband session (tools run
here, the policy is enforced from the sideband) and a connection slot until the call ends.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from agentkit.channels.webrtc.calls import CallAnswer
from agentkit.channels.webrtc.sdp import SdpError, parse_offer
from agentkit.channels.webrtc.secrets import CallRefused
from agentkit.connection import CallError, ServiceError
from agentkit.relay.admission import Admission, Admitted
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.session import Session

if TYPE_CHECKING:
    from agentkit.channels.webrtc import WebRTCCalls

logger = logging.getLogger("agentkit.relay")

OFFER_PATH = "/webrtc/offer"
MAX_OFFER_BYTES = 64 * 1024
NOT_RUNNING = Rejection(503, "WebRTC calls are not being served right now; use the WebSocket.")
NO_DATA_CHANNEL = (
    b"Not a usable offer: this relay takes audio-only calls; create the offer without a data channel.\n"
)
BAD_GATEWAY = Rejection(502, "The model service did not take the call; try again or use the WebSocket.")


@dataclass(frozen=True)
class OfferReply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def refused(cls, rejection: Rejection) -> OfferReply:
        return cls(rejection.status, rejection.body())


class WebRTCMode:
    """Creates calls for offers and keeps each call's session (and its admission slot) until it ends."""

    def __init__(self, calls: WebRTCCalls, admission: Admission, *, data_channel: bool = True) -> None:
        """`data_channel`: False refuses offers with a data channel (the browser then gets audio only)."""
        self.calls = calls
        self._data_channel = data_channel
        self._admission = admission
        self._stack: AsyncExitStack | None = None
        self._tg: TaskGroup | None = None

    async def start(self) -> None:
        stack = AsyncExitStack()
        await stack.enter_async_context(self.calls)
        self._tg = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack

    async def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            assert self._tg is not None
            self._tg.cancel_scope.cancel()
            await stack.aclose()
        self._tg = None

    async def answer(
        self, handshake: Handshake, body: bytes, check: Callable[[Handshake], Awaitable[Rejection | None]]
    ) -> OfferReply:
        """Check the request as an upgrade, take a slot, create the call, attach; the SDP answer."""
        if self._tg is None:
            return OfferReply.refused(NOT_RUNNING)
        rejection = await check(handshake)
        if rejection is not None:
            return OfferReply.refused(rejection)
        if len(body) > MAX_OFFER_BYTES:
            return OfferReply(413, b"The offer is too large.\n")
        if not self._data_channel:
            try:
                offer = parse_offer(body.decode("utf-8", "replace"))
            except SdpError as exc:
                return OfferReply(400, f"Not a usable offer: {exc}.\n".encode())
            if offer.has_data_channel:
                return OfferReply(400, NO_DATA_CHANNEL)
        admitted = await self._admission.enter(handshake)
        if not isinstance(admitted, Admitted):
            return OfferReply.refused(admitted)
        try:
            answer: CallAnswer = await self.calls.answer(body.decode("utf-8", "replace"))
        except SdpError as exc:
            await self._admission.leave(admitted)
            return OfferReply(400, f"Not a usable offer: {exc}.\n".encode())
        except CallRefused as exc:
            await self._admission.leave(admitted)
            return OfferReply(503, f"{exc}.\n".encode())
        except (CallError, ServiceError) as exc:
            await self._admission.leave(admitted)
            logger.warning("relay: a WebRTC call for %s failed: %s", handshake.client or "a client", exc)
            return OfferReply.refused(BAD_GATEWAY)
        session = self.calls.sessions.get(answer.call_id)
        self._tg.start_soon(self._hold, session, admitted, name=f"relay call {answer.call_id}")
        logger.info("relay: %s started WebRTC call %s", handshake.client or "a client", answer.call_id)
        return OfferReply(201, answer.sdp.encode(), "application/sdp", {"Cache-Control": "no-store"})

    async def _hold(self, session: Session | None, admitted: Admitted) -> None:
        """The call's slot is given back when its session ends."""
        try:
            if session is not None:
                async with session.events() as events:
                    async for _ in events:
                        pass
        finally:
            with anyio.CancelScope(shield=True):
                await self._admission.leave(admitted)
