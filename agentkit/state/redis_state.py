"""The stores on Redis (redis-py's asyncio client, `pip install 'agentkit[redis]'`), shared by every
relay process that points at the same server.

Keys live under a prefix (`agentkit:` by default); client keys, nonces and resume tokens are hashed
into key names, so Redis holds no user names or credentials. Every check-and-change is one Lua script,
so two instances never both take the last slot. Connection slots are counted per process in a hash,
and each process renews a lease (`{prefix}alive:{process}`) in the background: the scripts drop the
share of a process whose lease expired, so a crashed instance frees its slots within `lease_seconds`.
A process whose lease lapsed (Redis was away) publishes its counts again once Redis answers.

Any failure to reach Redis in `timeout_seconds` raises `StateUnavailable`; the client reconnects by
itself on the next command, so recovery needs no restart. Needs a single Redis server (or a
primary with replicas), not Redis Cluster: the scripts touch keys of other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from agentkit.state.stores import StateUnavailable

try:
    from redis import exceptions as redis_errors
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("agentkit's Redis state needs redis-py: pip install 'agentkit[redis]'") from exc

logger = logging.getLogger("agentkit.state")

T = TypeVar("T")

_UNREACHABLE: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.TryAgainError,
    OSError,
    asyncio.TimeoutError,
)
_CLAIMED = b"\x00claimed"

_ACQUIRE = """
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local owner = fields[i]
  if owner ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. owner) == 0 then
    redis.call('HDEL', KEYS[1], owner)
  else
    total = total + tonumber(fields[i + 1])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

_RELEASE = """
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
"""

_COUNT = """
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[1] .. fields[i]) == 1 then total = total + tonumber(fields[i + 1]) end
end
return total
"""

_BUCKET = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""

_SAVE = """
if redis.call('GET', KEYS[1]) == ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""

_CLAIM = """
local data = redis.call('GET', KEYS[1])
if not data or data == ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return data
"""

_EXISTS = """
local data = redis.call('GET', KEYS[1])
if data and data ~= ARGV[1] then return 1 end
return 0
"""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class RedisState:
    """One Redis connection pool and this process's lease, shared by the four stores below."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "agentkit:",
        lease_seconds: float = 15.0,
        timeout_seconds: float = 0.5,
        client: Redis | None = None,
    ) -> None:
        if not lease_seconds > 0 or not timeout_seconds > 0:
            raise ValueError("lease_seconds and timeout_seconds must be positive")
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.process = secrets.token_hex(8)
        """This process's name in the connection counts (a fresh one per start)."""
        self._redis: Redis = client or Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 1),  # one fresh connection for a socket a Redis restart left stale
            health_check_interval=max(1, int(lease_seconds)),
        )
        self._timeout = timeout_seconds
        self._where = _describe(url)
        self._held: Counter[str] = Counter()
        """Hash key -> slots this process holds there: what it publishes again after an outage."""
        self._stale = True
        """Redis may not hold this process's counts as they are: publish them at the next renewal."""
        self._renewal: asyncio.Task[None] | None = None
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._count = self._redis.register_script(_COUNT)
        self._bucket = self._redis.register_script(_BUCKET)
        self._save = self._redis.register_script(_SAVE)
        self._claim = self._redis.register_script(_CLAIM)
        self._exists = self._redis.register_script(_EXISTS)

    def __repr__(self) -> str:
        return f"RedisState({self._where}, process={self.process})"

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis operation; any failure to reach Redis becomes `StateUnavailable`."""
        try:
            return await asyncio.wait_for(operation(), self._timeout * 4)
        except _UNREACHABLE as exc:
            raise StateUnavailable(f"Redis at {self._where} is unavailable ({type(exc).__name__})") from None

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{_digest(name)}"

    @property
    def alive_prefix(self) -> str:
        return f"{self.prefix}alive:"

    # -- the lease -------------------------------------------------------------------------------

    def ensure_renewing(self) -> None:
        """Start renewing this process's lease (once per event loop, from the first use on)."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        while True:
            try:
                await self.renew()
            except StateUnavailable as exc:
                logger.warning("agentkit state: cannot renew the lease: %s", exc)
            await asyncio.sleep(self.lease_seconds / 3)

    async def renew(self) -> None:
        """Renew the lease; publish this process's counts again if Redis may have lost them."""
        lease_ms = int(self.lease_seconds * 1000)
        renewed = await self.call(
            lambda: self._redis.set(self.alive_prefix + self.process, b"1", px=lease_ms, xx=True)
        )
        if renewed and not self._stale:
            return
        held = {key: count for key, count in self._held.items() if count > 0}

        async def publish() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self.alive_prefix + self.process, b"1", px=lease_ms)
                for key, count in held.items():
                    pipe.hset(key, self.process, str(count))
                    pipe.expire(key, _HOLD_SECONDS)
                await pipe.execute()

        await self.call(publish)
        self._stale = False

    def mark_stale(self) -> None:
        self._stale = True

    async def aclose(self) -> None:
        """Stop renewing, give the lease back (this process's slots free at once) and disconnect."""
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal
            self._renewal = None
        with contextlib.suppress(StateUnavailable):
            await self.call(lambda: self._redis.delete(self.alive_prefix + self.process))
        await self._redis.aclose()

    # -- scripts ---------------------------------------------------------------------------------

    async def run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        return await self.call(lambda: script(keys=keys, args=args))


_HOLD_SECONDS = 24 * 3600
"""How long a count hash outlives its last change (longer than any session)."""


class RedisTicketStore:
    def __init__(self, state: RedisState, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock

    async def spend(self, nonce: str, expires_at: float) -> bool:
        key = self._state.key("ticket", nonce)
        keep_ms = max(1000, math.ceil((expires_at - self._clock()) * 1000) + 1000)
        first = await self._state.call(lambda: self._state._redis.set(key, b"1", nx=True, px=keep_ms))
        return bool(first)


class RedisConnectionCounts:
    def __init__(self, state: RedisState) -> None:
        self._state = state

    async def acquire(self, key: str, limit: int) -> bool:
        state = self._state
        state.ensure_renewing()
        if state._stale:
            with contextlib.suppress(StateUnavailable):
                await state.renew()  # the lease must exist before the counts are read with it
        name = state.key("conns", key)
        state._held[name] += 1  # counted before the script runs, so a concurrent renewal keeps it
        try:
            taken = await state.run(
                state._acquire, [name], [state.process, limit, state.alive_prefix, _HOLD_SECONDS]
            )
        except BaseException:
            self._forget(name)
            raise
        if not taken:
            self._forget(name)
        return bool(taken)

    async def release(self, key: str) -> None:
        state = self._state
        name = state.key("conns", key)
        self._forget(name)
        try:
            await state.run(state._release, [name], [state.process])
        except StateUnavailable:
            state.mark_stale()  # the next renewal writes the right count
            raise

    async def count(self, key: str) -> int:
        state = self._state
        total = await state.run(state._count, [state.key("conns", key)], [state.alive_prefix])
        return int(total)

    def _forget(self, name: str) -> None:
        held = self._state._held
        held[name] -= 1
        if held[name] <= 0:
            del held[name]


class RedisRateLimiter:
    def __init__(self, state: RedisState) -> None:
        self._state = state

    async def allow(self, key: str, rate: float, burst: int) -> bool:
        state = self._state
        return bool(await state.run(state._bucket, [state.key("rate", key)], [rate, burst]))


class RedisSnapshotStore:
    def __init__(self, state: RedisState) -> None:
        self._state = state

    async def save(self, token: str, data: bytes, ttl_seconds: float) -> bool:
        state = self._state
        ttl_ms = max(1, int(ttl_seconds * 1000))
        return bool(await state.run(state._save, [state.key("resume", token)], [data, _CLAIMED, ttl_ms]))

    async def exists(self, token: str) -> bool:
        state = self._state
        return bool(await state.run(state._exists, [state.key("resume", token)], [_CLAIMED]))

    async def claim(self, token: str) -> bytes | None:
        state = self._state
        ttl_ms = int(_HOLD_SECONDS * 1000)
        data = await state.run(state._claim, [state.key("resume", token)], [_CLAIMED, ttl_ms])
        return bytes(data) if data is not None else None

    async def discard(self, token: str) -> None:
        state = self._state
        await state.call(lambda: state._redis.delete(state.key("resume", token)))


def _describe(url: str) -> str:
    """Host and port of a Redis URL, without the password a URL may carry."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
