"""`SidebandGuard`: runs `SidebandRules` on an attached session, sends the fixes, reports each one
(a `PolicyEnforced` event, a log line, a span event through tracing) and hangs up past the limit."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from agentkit.channels.webrtc.policy import Fix, SidebandPolicy, SidebandRules
from agentkit.engine import PolicyEnforced
from agentkit.session import SessionClosed

if TYPE_CHECKING:
    from agentkit.session import Session

logger = logging.getLogger("agentkit.channels.webrtc")


class SidebandGuard:
    """Watches one attached session from the moment it is made (nothing the service reports is missed)."""

    def __init__(
        self,
        session: Session,
        policy: SidebandPolicy | None = None,
        *,
        hang_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if session.call_id is None:
            raise ValueError(
                "SidebandGuard watches a session attached to a call (agent.connect(call_id=...))"
            )
        self.session = session
        self.policy = policy or SidebandPolicy()
        self.count = 0
        self.hung_up = False
        self._rules = SidebandRules(
            self.policy, lambda: session.config, session.owns_output, session.attached_session
        )
        self._hang_up = hang_up
        self._stream = session.server_events()

    async def run(self) -> None:
        """Until the session ends."""
        async with self._stream as stream:
            async for event in stream:
                for fix in self._rules.see(event):
                    await self._enforce(fix)

    async def _enforce(self, fix: Fix) -> None:
        try:
            for event in fix.undo:
                await self.session.send_client_event(event)
        except SessionClosed:
            return
        if not fix.counts:
            logger.info("call %s: cleaned up after %s (%s)", self.session.call_id, fix.rule, fix.detail)
            return
        self.count += 1
        logger.warning(
            "call %s: undid %s (%s); %d so far", self.session.call_id, fix.rule, fix.detail, self.count
        )
        self.session.notify(
            PolicyEnforced(time=time.monotonic(), rule=fix.rule, detail=fix.detail, count=self.count)
        )
        limit = self.policy.max_violations
        if limit is not None and self.count >= limit and not self.hung_up and self._hang_up is not None:
            self.hung_up = True
            logger.warning("call %s: hanging up after %d violations", self.session.call_id, self.count)
            self.session.notify(
                PolicyEnforced(
                    time=time.monotonic(), rule="hung_up", detail=f"{self.count} violations", count=self.count
                )
            )
            await self._hang_up()
