"""`RelayLimits.max_connections_per_client`: one client cannot take every slot of the relay, while
other clients still get in; slots come back when connections end, however they end."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import pytest
from websockets.exceptions import InvalidStatus

from agentkit.relay import Handshake, RelayLimits, RelayServer, peer_address

from .relay_helpers import Client, client, running_relay

pytestmark = pytest.mark.anyio

OTHER_ADDRESS = "127.0.0.2"
"""A second loopback address (Linux routes all of 127/8 to lo): a second client by default."""


@asynccontextmanager
async def session(server: RelayServer, **options: Any) -> AsyncIterator[Client]:
    """A client whose upstream session is open."""
    async with client(server, **options) as user:
        await user.until_type("session.created")
        yield user


async def refused_status(server: RelayServer, **options: Any) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as refused:
        async with client(server, **options):
            pass
    return refused.value.response.status_code, refused.value.response.body or b""


async def until_idle(server: RelayServer) -> None:
    with anyio.fail_after(10):
        while server.relay.active:  # noqa: ASYNC110 (the relay offers only a count)
            await anyio.sleep(0.01)


async def test_one_client_over_its_cap_is_refused_while_another_client_connects() -> None:
    limits = RelayLimits(max_connections_per_client=2)
    async with running_relay(limits=limits) as (upstream, server), session(server), session(server):
        status, body = await refused_status(server)
        assert status == 429
        assert b"Too many connections from this client" in body
        async with session(server, local_addr=(OTHER_ADDRESS, 0)) as other:
            await other.say("hello")
            await other.until_type("response.done")
        assert len(upstream.connections) == 3  # the refused connection opened no upstream session


async def test_a_slot_is_released_when_a_connection_ends_normally_or_by_a_limit() -> None:
    limits = RelayLimits(max_connections_per_client=1, max_frame_bytes=2048)
    async with running_relay(limits=limits) as (_, server):
        async with session(server):
            assert (await refused_status(server))[0] == 429
        await until_idle(server)
        async with session(server) as offender:
            await offender.send("x" * 4096)  # closed by the relay (1009): an error path
            await until_idle(server)
        async with session(server) as third:
            await third.say("hello")
            await third.until_type("response.done")


async def test_none_turns_the_per_client_cap_off() -> None:
    limits = RelayLimits(max_connections_per_client=None)
    async with running_relay(limits=limits) as (upstream, server):
        async with session(server), session(server), session(server):
            assert server.relay.active == 3
        assert len(upstream.connections) == 3


async def test_a_custom_client_key_names_the_client() -> None:
    def user_header(handshake: Handshake) -> str | None:
        return handshake.headers.get("x-user")  # as a proxy that authenticated the user would set

    limits = RelayLimits(max_connections_per_client=1)
    async with (
        running_relay(limits=limits, client_key=user_header) as (_, server),
        session(server, additional_headers={"X-User": "ada"}),
    ):
        assert (await refused_status(server, additional_headers={"X-User": "ada"}))[0] == 429
        async with (
            session(server, additional_headers={"X-User": "bob"}),
            session(server),  # no key: exempt from the cap
            session(server),
        ):
            assert server.relay.active == 4


async def test_a_failing_client_key_refuses_without_leaking_its_message(caplog: Any) -> None:
    def broken(handshake: Handshake) -> str:
        raise RuntimeError(f"cannot parse {handshake.bearer_token}")

    async with running_relay(client_key=broken, limits=RelayLimits(max_connections_per_client=4)) as (
        upstream,
        server,
    ):
        with caplog.at_level(logging.DEBUG, logger="agentkit.relay"):
            status, body = await refused_status(server, additional_headers={"Authorization": "Bearer s3cr3t"})
        assert status == 500
        assert b"s3cr3t" not in body
        assert "s3cr3t" not in caplog.text
        assert "RuntimeError" in caplog.text
        assert upstream.connections == []


@pytest.mark.parametrize(
    ("peer", "key"),
    [("10.0.0.7:51000", "10.0.0.7"), ("::1:51000", "::1"), ("unix-socket", "unix-socket"), (None, None)],
)
def test_the_default_key_is_the_peer_address_without_its_port(peer: str | None, key: str | None) -> None:
    assert peer_address(Handshake(path="/realtime", client=peer)) == key


async def test_by_default_one_address_cannot_take_every_slot() -> None:
    default = RelayLimits()
    assert default.max_connections is not None
    assert default.max_connections_per_client is not None
    assert default.max_connections_per_client < default.max_connections
    async with running_relay() as (_, server), AsyncExitStack() as flood:
        for _ in range(default.max_connections_per_client):
            await flood.enter_async_context(session(server))
        assert (await refused_status(server))[0] == 429
        async with session(server, local_addr=(OTHER_ADDRESS, 0)) as other:
            await other.say("hello")
            await other.until_type("response.done")


async def test_a_refusal_of_a_proxied_request_says_to_set_a_client_key(caplog: Any) -> None:
    limits = RelayLimits(max_connections_per_client=1)
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    async with running_relay(limits=limits) as (_, server), session(server, additional_headers=proxied):
        with caplog.at_level(logging.WARNING, logger="agentkit.relay"):
            assert (await refused_status(server, additional_headers=proxied))[0] == 429
        assert "client_key" in caplog.text
