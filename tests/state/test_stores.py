"""The store contract, checked the same way on memory and on a real redis-server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from agentkit.state import SharedState
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[SharedState]:
    if request.param == "memory":
        yield SharedState.memory()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    shared = SharedState.redis(server.url)
    try:
        yield shared
    finally:
        await shared.aclose()


async def test_a_ticket_is_spent_once(state: SharedState) -> None:
    expires = time.time() + 60
    assert await state.tickets.spend("nonce-1", expires) is True
    assert await state.tickets.spend("nonce-1", expires) is False
    assert await state.tickets.spend("nonce-2", expires) is True


async def test_connection_counts_cap_and_release(state: SharedState) -> None:
    counts = state.connections
    assert [await counts.acquire("client-a", 2) for _ in range(3)] == [True, True, False]
    assert await counts.count("client-a") == 2
    assert await counts.acquire("client-b", 2) is True  # keys are counted apart
    await counts.release("client-a")
    assert await counts.count("client-a") == 1
    assert await counts.acquire("client-a", 2) is True
    for _ in range(2):
        await counts.release("client-a")
    assert await counts.count("client-a") == 0


async def test_rate_limiter_allows_the_burst_then_refuses(state: SharedState) -> None:
    allowed = [await state.rates.allow("client-a", rate=0.001, burst=3) for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert await state.rates.allow("client-b", rate=0.001, burst=3) is True


async def test_a_snapshot_is_claimed_once_and_cannot_be_saved_after(state: SharedState) -> None:
    snapshots = state.snapshots
    assert await snapshots.exists("token-1") is False
    assert await snapshots.claim("token-1") is None
    assert await snapshots.save("token-1", b"first", 60) is True
    assert await snapshots.save("token-1", b"second", 60) is True  # replaced after each turn
    assert await snapshots.exists("token-1") is True
    assert await snapshots.claim("token-1") == b"second"
    assert await snapshots.claim("token-1") is None  # resumed in one place only
    assert await snapshots.exists("token-1") is False
    assert await snapshots.save("token-1", b"late", 60) is False  # the old instance's late save
    await snapshots.save("token-2", b"x", 60)
    await snapshots.discard("token-2")
    assert await snapshots.claim("token-2") is None
