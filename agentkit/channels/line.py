"""`PhoneLine`: the agent behind a carrier channel, and the part of a call every carrier shares.

A carrier channel verifies its webhook and its stream's set-up, then hands the call here: a session
of the agent in the carrier's audio format, the media bridge, and the close that tells the carrier
why the call ended. The line also counts calls, so a flood of calls is refused at the webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from agentkit.agent import AGENT_DEPS, Agent
from agentkit.connection import Endpoint
from agentkit.observer import SessionObserver

from .asgi import AsgiWebSocket
from .calls import Accept, CallScreen, accept_all
from .media import (
    CLOSE_INTERNAL,
    CLOSE_NORMAL,
    DtmfHook,
    MediaBridge,
    MediaLeg,
    StreamLimits,
    close_quietly,
    phone_agent,
)

logger = logging.getLogger("agentkit.channels")


@dataclass
class PhoneLine:
    """An agent answering phone calls. `endpoint`: the model service (None: from the environment);
    `screen`: decides each incoming call; `max_calls`: calls at once (more get a busy signal)."""

    agent: Agent
    endpoint: Endpoint | None = None
    screen: CallScreen = accept_all
    limits: StreamLimits = field(default_factory=StreamLimits)
    max_calls: int | None = 100
    on_dtmf: DtmfHook | None = None
    observer: SessionObserver | None = None
    active: int = 0
    """Calls being carried now."""

    def has_room(self) -> bool:
        return self.max_calls is None or self.active < self.max_calls

    async def carry(
        self, websocket: AsgiWebSocket, leg: MediaLeg, call_id: str, accept: Accept | None
    ) -> MediaBridge | None:
        """Carry one verified call until it ends, then close the carrier's socket with the reason."""
        accept = accept or Accept()
        agent = phone_agent(self.agent, leg.audio_format, instructions=accept.instructions)
        deps: Any = self.agent.deps if accept.deps is AGENT_DEPS else accept.deps
        self.active += 1
        bridge: MediaBridge | None = None
        code, reason = CLOSE_NORMAL, "call ended"
        try:
            async with agent.connect(self.endpoint, deps=deps, observer=self.observer) as session:
                bridge = MediaBridge(
                    session,
                    leg,
                    call_id=call_id,
                    greeting=accept.greeting,
                    max_call_s=self.limits.max_call_s,
                    on_dtmf=self.on_dtmf,
                )
                fault = await bridge.run()
                if fault is not None:
                    code, reason = fault.code, fault.reason
                    logger.warning("call %s: stream closed: %s", call_id, fault.reason)
                elif bridge.ended_by == "agent":
                    code, reason = CLOSE_INTERNAL, "the agent's session ended"
                elif bridge.ended_by == "limit":
                    reason = "maximum call length reached"
        except Exception as exc:  # the session failed to open or broke: the caller hears the line close
            logger.warning(
                "call %s: the agent session failed: %s: %s", call_id, type(exc).__name__, exc, exc_info=True
            )
            code, reason = CLOSE_INTERNAL, "the agent is unavailable"
        finally:
            self.active -= 1
            await close_quietly(websocket, code, reason)
        logger.info("call %s ended (%s)", call_id, bridge.ended_by if bridge else "not connected")
        return bridge
