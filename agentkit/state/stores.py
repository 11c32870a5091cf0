"""What the relay keeps about its clients, as small interfaces any store can implement.

Two implementations ship: `agentkit.state.memory` (one process, today's behaviour, the default) and
`agentkit.state.redis_state` (shared by every instance behind a load balancer). A store that cannot
be reached raises `StateUnavailable`; what the relay then does is a policy (`SharedState`): tickets
fail closed, limits fail open or closed as configured, a conversation that cannot be saved or
resumed is reported, and nothing crashes.
"""

from __future__ import annotations

from typing import Protocol


class StateUnavailable(Exception):
    """The shared store could not be reached in time (Redis down, restarting or too slow).

    The message never holds the store's address or credentials.
    """


class TicketStore(Protocol):
    """Spent single-use tickets, remembered until they expire anyway."""

    async def spend(self, nonce: str, expires_at: float) -> bool:
        """True the first time `nonce` is spent, False ever after (until `expires_at`, wall clock)."""
        ...


class ConnectionCounts(Protocol):
    """Open connections per key (one client, or the whole service), capped atomically.

    Each process holds a lease on its share; a process that dies stops renewing it, and its share
    is released when the lease expires, so a crash never leaves slots taken for good.
    """

    async def acquire(self, key: str, limit: int) -> bool:
        """Take one slot under `key` if fewer than `limit` are taken (all processes together)."""
        ...

    async def release(self, key: str) -> None:
        """Give back a slot taken with `acquire`."""
        ...

    async def count(self, key: str) -> int:
        """Slots taken under `key` now, by live processes."""
        ...


class RateLimiter(Protocol):
    """Token buckets by key, shared by every process: `rate` per second with a `burst` allowance."""

    async def allow(self, key: str, rate: float, burst: int) -> bool:
        """Take one token from `key`'s bucket; False when it is empty."""
        ...


class SnapshotStore(Protocol):
    """Conversation snapshots by resume token, each with a time to live.

    A snapshot is claimed once: the process that resumes it takes it, and a save under a claimed
    token is refused, so a conversation continues in one place only.
    """

    async def save(self, token: str, data: bytes, ttl_seconds: float) -> bool:
        """Store (or replace) the snapshot; False when the token was claimed (resumed elsewhere)."""
        ...

    async def exists(self, token: str) -> bool:
        """Whether an unclaimed snapshot is stored under `token` (a check, nothing is taken)."""
        ...

    async def claim(self, token: str) -> bytes | None:
        """Take the snapshot for resuming: its data the first time, None ever after (or if unknown)."""
        ...

    async def discard(self, token: str) -> None:
        """Forget the snapshot (the conversation ended for good)."""
        ...
