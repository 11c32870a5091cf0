"""The stores in this process's memory: the default, and what one relay process did all along.

Every structure is bounded by expiry: spent tickets until their expiry, rate buckets until they
are full again, snapshots until their time to live, connection counts until they drop to zero.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

_CLAIMED = object()
"""Stands where a claimed snapshot was, until its time to live ends, so a late save is refused."""


class MemoryTicketStore:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._spent: dict[str, float] = {}

    def __len__(self) -> int:
        """Spent tickets that have not expired yet (expired ones are forgotten at the next spend)."""
        now = self._clock()
        return sum(1 for until in self._spent.values() if until >= now)

    def spend_now(self, nonce: str, expires_at: float) -> bool:
        """`spend` without awaiting (memory never waits)."""
        now = self._clock()
        self._spent = {spent: until for spent, until in self._spent.items() if until >= now}
        until = self._spent.get(nonce)
        if until is not None and until >= now:
            return False
        self._spent[nonce] = expires_at
        return True

    async def spend(self, nonce: str, expires_at: float) -> bool:
        return self.spend_now(nonce, expires_at)


class MemoryConnectionCounts:
    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    async def acquire(self, key: str, limit: int) -> bool:
        if self._open[key] >= limit:
            if not self._open[key]:
                del self._open[key]
            return False
        self._open[key] += 1
        return True

    async def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]  # keys of departed clients do not pile up

    async def count(self, key: str) -> int:
        return self._open.get(key, 0)


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """Key -> (tokens left, when they were counted)."""

    async def allow(self, key: str, rate: float, burst: int) -> bool:
        now = self._clock()
        if len(self._buckets) > 1024:  # buckets that have filled up again hold nothing worth keeping
            kept = self._buckets.items()
            self._buckets = {k: (t, at) for k, (t, at) in kept if t + (now - at) * rate < burst}
        tokens, at = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        return allowed


class MemorySnapshotStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._snapshots: dict[str, tuple[bytes | object, float]] = {}

    def _get(self, token: str) -> bytes | object | None:
        now = self._clock()
        entry = self._snapshots.get(token)
        if entry is not None and entry[1] < now:
            del self._snapshots[token]
            return None
        return None if entry is None else entry[0]

    def _forget_expired(self) -> None:
        now = self._clock()
        self._snapshots = {k: v for k, v in self._snapshots.items() if v[1] >= now}

    async def save(self, token: str, data: bytes, ttl_seconds: float) -> bool:
        if self._get(token) is _CLAIMED:
            return False
        if len(self._snapshots) > 1024:
            self._forget_expired()
        self._snapshots[token] = (data, self._clock() + ttl_seconds)
        return True

    async def exists(self, token: str) -> bool:
        return isinstance(self._get(token), bytes)

    async def claim(self, token: str) -> bytes | None:
        data = self._get(token)
        if not isinstance(data, bytes):
            return None
        self._snapshots[token] = (_CLAIMED, self._snapshots[token][1])
        return data

    async def discard(self, token: str) -> None:
        self._snapshots.pop(token, None)
