"""`SharedState`: the four stores a relay uses, and what to do when they cannot be reached.

`SharedState.from_env()` is the configuration by environment: Redis when `AGENTKIT_REDIS_URL` is set
(every process pointing at it behaves as one service), this process's memory otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from agentkit.state.memory import (
    MemoryConnectionCounts,
    MemoryRateLimiter,
    MemorySnapshotStore,
    MemoryTicketStore,
)
from agentkit.state.stores import ConnectionCounts, RateLimiter, SnapshotStore, TicketStore

if TYPE_CHECKING:
    from agentkit.state.redis_state import RedisState

REDIS_URL_ENV = "AGENTKIT_REDIS_URL"
"""The environment variable naming the shared Redis, e.g. `redis://redis.internal:6379/0`."""
LIMITS_ON_OUTAGE_ENV = "AGENTKIT_LIMITS_ON_OUTAGE"
"""`open` (the default) or `closed`: whether connection limits admit clients while Redis is away."""

OutagePolicy = Literal["open", "closed"]


@dataclass
class SharedState:
    """Spent tickets, connection counts, rate limits and conversation snapshots, in one place.

    `limits_on_outage`: with the store unreachable, "open" admits clients without counting them (the
    service stays up; the caps hold again once the store is back), "closed" refuses them (HTTP 503).
    Tickets always fail closed: a ticket that cannot be recorded as spent is refused.
    """

    tickets: TicketStore = field(default_factory=MemoryTicketStore)
    connections: ConnectionCounts = field(default_factory=MemoryConnectionCounts)
    rates: RateLimiter = field(default_factory=MemoryRateLimiter)
    snapshots: SnapshotStore = field(default_factory=MemorySnapshotStore)
    limits_on_outage: OutagePolicy = "open"
    shared: bool = False
    """Whether other processes see this state (False: this process's memory)."""
    backend: RedisState | None = field(default=None, repr=False, compare=False)
    """The Redis connection and lease behind the stores, if any."""

    def __post_init__(self) -> None:
        if self.limits_on_outage not in ("open", "closed"):
            raise ValueError(f"limits_on_outage must be 'open' or 'closed', got {self.limits_on_outage!r}")

    @classmethod
    def memory(cls) -> SharedState:
        """State in this process only: right for one process, wrong behind a load balancer."""
        return cls()

    @classmethod
    def redis(
        cls,
        url: str,
        *,
        prefix: str = "agentkit:",
        lease_seconds: float = 15.0,
        timeout_seconds: float = 0.5,
        limits_on_outage: OutagePolicy = "open",
    ) -> SharedState:
        """State in the Redis at `url`, shared by every process given the same URL and prefix.

        `lease_seconds`: how soon the slots of a crashed process free up. `timeout_seconds`: how long
        one Redis command may take before the store counts as unavailable.
        """
        from agentkit.state.redis_state import (
            RedisConnectionCounts,
            RedisRateLimiter,
            RedisSnapshotStore,
            RedisState,
            RedisTicketStore,
        )

        backend = RedisState(url, prefix=prefix, lease_seconds=lease_seconds, timeout_seconds=timeout_seconds)
        return cls(
            tickets=RedisTicketStore(backend),
            connections=RedisConnectionCounts(backend),
            rates=RedisRateLimiter(backend),
            snapshots=RedisSnapshotStore(backend),
            limits_on_outage=limits_on_outage,
            shared=True,
            backend=backend,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SharedState:
        """Redis when `AGENTKIT_REDIS_URL` is set, else memory; `AGENTKIT_LIMITS_ON_OUTAGE` picks
        the outage policy for limits (`open` or `closed`)."""
        env = os.environ if environ is None else environ
        policy = env.get(LIMITS_ON_OUTAGE_ENV, "open").strip().lower() or "open"
        if policy not in ("open", "closed"):
            raise ValueError(f"{LIMITS_ON_OUTAGE_ENV} must be 'open' or 'closed', got {policy!r}")
        url = env.get(REDIS_URL_ENV, "").strip()
        if not url:
            return cls(limits_on_outage=policy)  # type: ignore[arg-type]
        return cls.redis(url, limits_on_outage=policy)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        """Release this process's share of the connection counts and close the connection to Redis."""
        if self.backend is not None:
            await self.backend.aclose()
