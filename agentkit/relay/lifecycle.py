"""A relay process's life: health and readiness probes, its live connections, and the drain.

`drain()` is what a deploy needs: readiness goes false (the load balancer stops sending clients),
new upgrades are refused (503), each connection is closed as soon as no turn is in progress, with
close code 1012 and its resume token (the page reconnects, through the load balancer, to another
instance and the conversation goes on); after the grace period the rest are closed as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from opentelemetry import metrics

from agentkit.relay.bridge import ClientBridge
from agentkit.relay.handshake import Rejection
from agentkit.tracing.metrics import active_sessions

logger = logging.getLogger("agentkit.relay")

HEALTH_PATH = "/healthz"
"""Liveness: 200 while the process serves requests at all."""
READY_PATH = "/readyz"
"""Readiness: 200 while the relay takes new clients, 503 once it drains."""
PROBE_PATHS = (HEALTH_PATH, READY_PATH)
DRAINING = Rejection(503, "The relay is restarting; connect again to reach another instance.")
DEFAULT_GRACE_SECONDS = 25.0
"""Below Kubernetes' default 30 s termination grace period, so the drain ends before SIGKILL."""
_CLOSE_SECONDS = 10.0


class Lifecycle:
    def __init__(self, agent_name: str) -> None:
        self.draining = False
        self._bridges: set[ClientBridge] = set()
        self._all_closed: anyio.Event | None = None
        self._gauge = active_sessions(metrics.get_meter("agentkit.relay"))
        self._attributes = {"gen_ai.agent.name": agent_name}

    def probe(self, path: str) -> tuple[int, bytes] | None:
        """The status and body of a probe route, or None when `path` is not one."""
        if path == HEALTH_PATH:
            return 200, b"ok\n"
        if path == READY_PATH:
            return (503, b"draining\n") if self.draining else (200, b"ready\n")
        return None

    @contextmanager
    def connection(self, bridge: ClientBridge) -> Iterator[None]:
        """Count `bridge` as live while it runs (one joining during a drain is drained at once)."""
        self._bridges.add(bridge)
        self._gauge.add(1, self._attributes)
        if self.draining:
            bridge.drain()
        try:
            yield
        finally:
            self._bridges.discard(bridge)
            self._gauge.add(-1, self._attributes)
            if not self._bridges and self._all_closed is not None:
                self._all_closed.set()

    async def drain(self, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> None:
        """Stop taking clients and close every connection between turns; after `grace_seconds`,
        close the rest. Returns once every connection is closed (or a bounded time later)."""
        self.draining = True
        self._all_closed = anyio.Event()
        logger.info("relay: draining %d connection(s), up to %g s", len(self._bridges), grace_seconds)
        for bridge in list(self._bridges):
            bridge.drain()
        if self._bridges:
            with anyio.move_on_after(grace_seconds):
                await self._all_closed.wait()
        if self._bridges:
            logger.warning("relay: grace period over: closing %d connection(s) mid-turn", len(self._bridges))
            for bridge in list(self._bridges):
                bridge.stop_now()
            with anyio.move_on_after(_CLOSE_SECONDS):
                await self._all_closed.wait()
        logger.info("relay: drained")
