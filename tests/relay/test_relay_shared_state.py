"""Two relay instances in one `SharedState` on a real redis-server behave as one service: tickets,
caps and connection rates hold across them; with Redis away, tickets fail closed and limits fail
open or closed as configured; once Redis is back, they hold again, with no restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agentkit.connection import Endpoint
from agentkit.relay import Relay, RelayLimits, RelayServer, TicketSigner
from agentkit.state import OutagePolicy, SharedState
from agentkit.testing import LocalRealtimeServer
from tests.redis_server import RedisServer

from .relay_helpers import NOTICES, Client, make_agent

pytestmark = pytest.mark.anyio

SECRET = "a-ticket-secret-of-enough-bytes"


@asynccontextmanager
async def instances(
    redis: RedisServer,
    count: int = 2,
    *,
    on_outage: OutagePolicy = "open",
    signer: bool = False,
    **relay: Any,
) -> AsyncIterator[list[RelayServer]]:
    """`count` relays, each with its own `SharedState` on `redis` (as separate processes would)."""
    async with AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(LocalRealtimeServer())
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        servers = []
        for _ in range(count):
            state = SharedState.redis(redis.url, limits_on_outage=on_outage)
            stack.push_async_callback(state.aclose)
            auth = TicketSigner(SECRET, spent=state.tickets).auth() if signer else None
            instance = Relay(make_agent(), endpoint, policy=NOTICES, state=state, auth=auth, **relay)
            servers.append(await stack.enter_async_context(RelayServer(instance)))
        yield servers


@asynccontextmanager
async def session(server: RelayServer, query: str = "") -> AsyncIterator[Client]:
    async with connect(server.ws_url + query) as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        yield user


async def refused(server: RelayServer, query: str = "") -> int:
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(server.ws_url + query):
            pass
    status: int = refusal.value.response.status_code
    return status


async def until_idle(*servers: RelayServer) -> None:
    with anyio.fail_after(10):
        while any(server.relay.active for server in servers):  # noqa: ASYNC110 (a count is all there is)
            await anyio.sleep(0.01)


async def test_a_ticket_spent_on_one_instance_is_refused_on_the_other(redis_server: RedisServer) -> None:
    ticket = TicketSigner(SECRET).issue("user-1")
    async with instances(redis_server, signer=True) as (first, second), session(first, f"?ticket={ticket}"):
        assert await refused(second, f"?ticket={ticket}") == 401
        assert await refused(first, f"?ticket={ticket}") == 401


async def test_the_per_client_and_total_caps_hold_across_instances(redis_server: RedisServer) -> None:
    limits = RelayLimits(max_connections_per_client=2)
    async with instances(redis_server, limits=limits) as (first, second):
        async with session(first), session(second):
            assert await refused(first) == 429
            assert await refused(second) == 429
        await until_idle(first, second)
        async with session(first), session(first):  # the slots came back when the clients left
            pass
    limits = RelayLimits(max_connections_total=2)
    async with instances(redis_server, limits=limits) as (first, second), session(first), session(second):
        assert await refused(first) == 503


async def test_the_connection_rate_of_one_client_holds_across_instances(redis_server: RedisServer) -> None:
    limits = RelayLimits(connections_per_minute_per_client=2)
    async with instances(redis_server, limits=limits) as (first, second):
        async with session(first):
            pass
        async with session(second):
            pass
        assert await refused(first) == 429


@pytest.mark.parametrize("on_outage", ["open", "closed"])
async def test_with_redis_away_tickets_fail_closed_whatever_the_limits_do_then_recover(
    redis_server: RedisServer, on_outage: OutagePolicy
) -> None:
    signer = TicketSigner(SECRET)
    limits = RelayLimits(max_connections_per_client=2)
    async with instances(redis_server, signer=True, on_outage=on_outage, limits=limits) as (first, second):
        redis_server.stop()
        assert await refused(first, f"?ticket={signer.issue('u')}") == 503  # a ticket is never let in blind
        redis_server.start()
        ticket = signer.issue("u")
        async with session(second, f"?ticket={ticket}"):
            assert await refused(first, f"?ticket={ticket}") == 401  # spent tickets are shared again
            async with session(first, f"?ticket={signer.issue('u')}"):
                assert await refused(first, f"?ticket={signer.issue('u')}") == 429  # and so is the cap


async def test_with_redis_away_limits_that_fail_closed_refuse_clients(redis_server: RedisServer) -> None:
    limits = RelayLimits(max_connections_per_client=1)
    async with instances(redis_server, on_outage="closed", limits=limits) as (first, _):
        redis_server.stop()
        assert await refused(first) == 503
        redis_server.start()
        async with session(first):
            pass


async def test_with_redis_away_limits_that_fail_open_admit_clients_uncounted(
    redis_server: RedisServer,
) -> None:
    limits = RelayLimits(max_connections_per_client=1)
    async with instances(redis_server, limits=limits) as (first, second):
        redis_server.stop()
        async with session(first), session(second):  # over the cap, but the service stays up
            redis_server.start()
            async with session(first):  # uncounted connections hold no slot once Redis is back
                assert await refused(second) == 429
