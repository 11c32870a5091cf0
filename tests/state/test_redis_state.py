"""What only the shared store does: several processes as one, leases, outages and recovery."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from agentkit.state import SharedState, StateUnavailable
from agentkit.state.memory import MemorySnapshotStore
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio

Processes = Callable[[], SharedState]


@pytest.fixture
async def processes(redis_server: RedisServer) -> AsyncIterator[Processes]:
    """Makes `SharedState`s on one Redis, as separate relay processes would have."""
    made: list[SharedState] = []

    def make() -> SharedState:
        made.append(SharedState.redis(redis_server.url, lease_seconds=30))
        return made[-1]

    yield make
    for state in made:
        await state.aclose()


async def test_two_processes_share_tickets_and_caps(processes: Processes) -> None:
    first, second = processes(), processes()
    assert await first.tickets.spend("n", time.time() + 60) is True
    assert await second.tickets.spend("n", time.time() + 60) is False
    assert await first.connections.acquire("client", 2) is True
    assert await second.connections.acquire("client", 2) is True
    assert await second.connections.acquire("client", 2) is False
    assert await first.connections.count("client") == 2


async def test_a_dead_process_frees_its_slots_when_its_lease_expires(
    processes: Processes, redis_server: RedisServer
) -> None:
    survivor, dying = processes(), processes()
    assert await dying.connections.acquire("all", 2) is True
    assert await dying.connections.acquire("all", 2) is True
    assert await survivor.connections.acquire("all", 2) is False
    assert dying.backend is not None
    lease = f"agentkit:alive:{dying.backend.process}"
    async with Redis.from_url(redis_server.url) as redis:
        ttl_ms = await redis.pttl(lease)
        assert 0 < ttl_ms <= 30_000  # it expires unless renewed
        await redis.delete(lease)  # what expiry does once the process stops renewing
    assert await survivor.connections.acquire("all", 2) is True
    assert await survivor.connections.count("all") == 1


async def test_closing_a_process_gives_its_slots_back(processes: Processes) -> None:
    survivor, leaving = processes(), processes()
    assert await leaving.connections.acquire("all", 1) is True
    assert await survivor.connections.acquire("all", 1) is False
    await leaving.aclose()
    assert await survivor.connections.acquire("all", 1) is True


async def test_keys_hold_no_client_names_or_tokens(processes: Processes, redis_server: RedisServer) -> None:
    state = processes()
    await state.tickets.spend("nonce-SECRET", time.time() + 60)
    await state.connections.acquire("user@example.com", 3)
    await state.snapshots.save("resume-SECRET", b"{}", 60)
    async with Redis.from_url(redis_server.url) as redis:
        names = b" ".join(await redis.keys("*"))
    assert b"SECRET" not in names
    assert b"example.com" not in names


async def test_an_outage_raises_state_unavailable_and_recovers_without_a_restart(
    processes: Processes, redis_server: RedisServer
) -> None:
    state = processes()
    assert await state.connections.acquire("client", 5) is True
    assert await state.connections.acquire("client", 5) is True
    redis_server.stop()
    with pytest.raises(StateUnavailable) as raised:
        await state.tickets.spend("n", time.time() + 60)
    assert redis_server.url not in str(raised.value)
    for operation in (
        lambda: state.connections.acquire("client", 5),
        lambda: state.rates.allow("client", 1.0, 1),
        lambda: state.snapshots.save("token", b"{}", 60),
        lambda: state.snapshots.claim("token"),
    ):
        with pytest.raises(StateUnavailable):
            await operation()
    redis_server.start()  # empty: this Redis keeps nothing on disk
    assert await state.tickets.spend("n", time.time() + 60) is True
    assert state.backend is not None
    await state.backend.renew()  # the lease lapsed with the data: the counts are published again
    other = processes()
    assert await other.connections.count("client") == 2


async def test_a_release_lost_in_an_outage_is_corrected_at_the_next_renewal(
    processes: Processes, redis_server: RedisServer
) -> None:
    state, other = processes(), processes()
    assert await state.connections.acquire("client", 5) is True
    assert await state.connections.acquire("client", 5) is True
    redis_server.stop()
    with pytest.raises(StateUnavailable):
        await state.connections.release("client")
    redis_server.start()
    assert state.backend is not None
    await state.backend.renew()
    assert await other.connections.count("client") == 1


async def test_memory_snapshots_expire() -> None:
    now = [0.0]
    store = MemorySnapshotStore(clock=lambda: now[0])
    await store.save("token", b"data", ttl_seconds=10)
    now[0] = 11.0
    assert await store.claim("token") is None
