"""Limits, authentication and origins: an offender is disconnected (or refused before the upgrade)
with a clear reason, and the other clients carry on."""

from __future__ import annotations

import base64
from typing import Any

import anyio
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agentkit.connection import Endpoint
from agentkit.protocol import ConversationItemCreate, InputAudioPart
from agentkit.relay import Handshake, Rejection, Relay, RelayLimits, TicketSigner, bearer_auth
from agentkit.relay.limits import TokenBucket
from agentkit.state.memory import MemoryTicketStore
from agentkit.testing import LocalRealtimeServer

from .relay_helpers import client, make_agent, running_relay, tracking_number

pytestmark = pytest.mark.anyio

SECRET = "a-test-secret-of-32-bytes-length"


async def closed_with(user: Any) -> tuple[int, str]:
    """Read until the relay closes the connection; its close code and reason."""
    with anyio.fail_after(10):
        try:
            while True:
                await user.next_event()
        except ConnectionClosed as closed:
            received = closed.rcvd
    assert received is not None, "the relay closed without a close frame"
    return received.code, received.reason


def append(nbytes: int) -> dict[str, Any]:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(nbytes)).decode()}


@pytest.mark.parametrize(
    ("limits", "offence", "code", "reason"),
    [
        (RelayLimits(max_frame_bytes=2048), [append(4096)], 1009, "2048 bytes"),
        (RelayLimits(messages_per_second=1, message_burst=3), [append(10)] * 4, 1008, "message rate limit"),
        (
            RelayLimits(audio_bytes_per_second=1000, audio_burst_bytes=8000),
            [append(4000)] * 3,
            1008,
            "audio rate limit",
        ),
    ],
    ids=["frame size", "message rate", "audio rate"],
)
async def test_an_offender_is_disconnected_and_the_others_carry_on(
    limits: RelayLimits, offence: list[dict[str, Any]], code: int, reason: str
) -> None:
    async with running_relay(limits=limits) as (_, server), client(server) as good, client(server) as bad:
        await good.until_type("session.created")
        await bad.until_type("session.created")
        for frame in offence:
            await bad.send(frame)
        closed_code, closed_reason = await closed_with(bad)
        assert closed_code == code
        assert reason in closed_reason
        await good.say("Where is my order A-1001?")
        assert tracking_number("A-1001") in await good.answer()


def audio_message(nbytes: int) -> dict[str, Any]:
    audio = base64.b64encode(bytes(nbytes)).decode()
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}
    return {"type": "conversation.item.create", "item": item}


async def test_audio_in_message_parts_counts_against_the_audio_rate() -> None:
    limits = RelayLimits(audio_bytes_per_second=1000, audio_burst_bytes=8000)
    async with running_relay(limits=limits) as (upstream, server), client(server) as bad:
        await bad.until_type("session.created")
        for _ in range(5):  # 20 kB of audio at once, as messages instead of appends
            await bad.send(audio_message(4000))
        assert await closed_with(bad) == (1008, "audio rate limit exceeded")
        connection = upstream.connections[0]
        with anyio.fail_after(5):
            await connection.closed.wait()
        audio_items = [
            e
            for e in connection.received
            if isinstance(e, ConversationItemCreate)
            and any(isinstance(part, InputAudioPart) for part in getattr(e.item, "content", []))
        ]
        assert len(audio_items) <= 2  # at most the burst allowance, nothing past it


async def test_an_idle_client_is_disconnected() -> None:
    async with (
        running_relay(limits=RelayLimits(idle_timeout_seconds=0.3)) as (_, server),
        client(server) as idle,
    ):
        assert await closed_with(idle) == (1001, "idle timeout: nothing received for 0.3 s")


async def test_a_client_that_stops_reading_is_disconnected() -> None:
    """Driven through the ASGI app, whose `send` never returns once the client stops reading."""
    sent: list[dict[str, Any]] = []
    limits = RelayLimits(send_timeout_seconds=0.3, idle_timeout_seconds=None)
    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        app = Relay(make_agent(), endpoint, limits=limits).asgi()
        connected = False

        async def receive() -> dict[str, Any]:
            nonlocal connected
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "websocket.send":
                await anyio.sleep_forever()  # the client's buffers are full: it never reads

        scope = {
            "type": "websocket",
            "path": "/realtime",
            "headers": [(b"host", b"localhost")],
            "query_string": b"",
        }
        with anyio.fail_after(10):
            await app(scope, receive, send)
            await upstream.connections[0].closed.wait()  # its upstream session is closed too
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[-1]["code"] == 1008
    assert sent[-1]["reason"] == "the client is not reading events fast enough"


async def test_a_client_gone_before_the_upgrade_is_accepted_costs_no_session() -> None:
    """ASGI: the client disconnects while the auth hook runs; the server's accept then fails."""
    left = anyio.Event()

    async def slow_hook(handshake: Handshake) -> bool:
        left.set()
        return True

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        await left.wait()
        raise OSError("the client is gone")  # how servers report a send on a closed socket

    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        app = Relay(make_agent(), endpoint, auth=slow_hook).asgi()
        scope = {
            "type": "websocket",
            "path": "/realtime",
            "headers": [(b"host", b"localhost")],
            "query_string": b"",
        }
        with anyio.fail_after(10):
            await app(scope, receive, send)  # returns quietly instead of raising into the server
        assert upstream.connections == []
        assert app.relay.active == 0


async def test_a_session_ends_at_its_maximum_length() -> None:
    async with running_relay(limits=RelayLimits(max_session_seconds=0.3)) as (upstream, server):
        async with client(server) as user:
            code, reason = await closed_with(user)
        assert (code, reason) == (1001, "maximum session length (0.3 s) reached")
        connection = upstream.connections[0]
        with anyio.fail_after(5):
            await connection.closed.wait()  # the upstream session is closed with the client


async def test_connections_beyond_the_maximum_are_refused_before_the_upgrade() -> None:
    async with running_relay(limits=RelayLimits(max_connections=1)) as (_, server), client(server) as first:
        await first.until_type("session.created")
        with pytest.raises(InvalidStatus) as refused:
            async with client(server):
                pass
        assert refused.value.response.status_code == 503
        await first.say("hello")
        await first.until_type("response.done")


async def test_bearer_tokens_are_checked_before_the_upgrade() -> None:
    async with running_relay(auth=bearer_auth(["token-1"])) as (_, server):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            with pytest.raises(InvalidStatus) as refused:
                async with client(server, additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 401
            assert b"wrong" not in refused.value.response.body
        async with client(server, additional_headers={"Authorization": "Bearer token-1"}) as user:
            await user.until_type("session.created")


async def test_tickets_are_checked_before_the_upgrade() -> None:
    signer = TicketSigner(SECRET, ttl_seconds=30)
    async with running_relay(auth=signer.auth()) as (_, server):
        ticket = signer.issue("user-1")
        with pytest.raises(InvalidStatus) as refused:
            async with _connect(server, "?ticket=" + ticket[:-2] + "xx"):
                pass
        assert refused.value.response.status_code == 401
        async with _connect(server, "?ticket=" + ticket) as websocket:
            assert '"session.created"' in await websocket.recv()


async def test_a_ticket_lets_in_one_connection_and_a_replay_is_refused() -> None:
    signer = TicketSigner(SECRET, ttl_seconds=30)
    async with running_relay(auth=signer.auth()) as (_, server):
        ticket = signer.issue("user-1")
        async with _connect(server, "?ticket=" + ticket) as websocket:
            assert '"session.created"' in await websocket.recv()
            with pytest.raises(InvalidStatus) as replayed:  # e.g. copied from a proxy log
                async with _connect(server, "?ticket=" + ticket):
                    pass
            assert replayed.value.response.status_code == 401
            assert '"type"' in await websocket.recv()  # the first connection carries on
        with pytest.raises(InvalidStatus) as after:
            async with client(server, additional_headers={"Authorization": "Bearer " + ticket}):
                pass
        assert after.value.response.status_code == 401
        async with _connect(server, "?ticket=" + signer.issue("user-1")) as websocket:
            assert '"session.created"' in await websocket.recv()


def test_spent_tickets_are_forgotten_once_expired() -> None:
    now = [1000.0]
    signer = TicketSigner(SECRET, ttl_seconds=60, clock=lambda: now[0])
    reusable = TicketSigner(SECRET, ttl_seconds=60, single_use=False, clock=lambda: now[0])
    first, second = signer.issue("a"), signer.issue("b")
    assert signer.redeem(first) == "a"
    assert signer.redeem(first) is None
    assert signer.verify(first) == "a"  # verify only checks; it spends nothing
    handshake = Handshake.from_parts("/realtime", "ticket=" + second, {})
    assert reusable.auth()(handshake) is True
    assert reusable.auth()(handshake) is True
    now[0] += 61
    assert signer.redeem(second) is None  # expired
    assert isinstance(signer.spent, MemoryTicketStore)
    assert len(signer.spent) == 0  # nothing remembered past its expiry


def _connect(server: Any, query: str) -> Any:
    from websockets.asyncio.client import connect

    return connect(server.ws_url + query)


async def test_origins_other_than_the_relays_own_are_refused() -> None:
    async with running_relay() as (_, server):
        with pytest.raises(InvalidStatus) as refused:
            async with client(server, origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        own = server.http_url.rstrip("/")
        async with client(server, origin=own) as user:
            await user.until_type("session.created")
    async with (
        running_relay(allowed_origins=["https://shop.example"]) as (_, server),
        client(server, origin="https://shop.example") as user,
    ):
        await user.until_type("session.created")


async def test_a_custom_hook_can_answer_403_and_a_failing_hook_refuses() -> None:
    def hook(handshake: Handshake) -> bool | Rejection:
        if handshake.query.get("who") == "banned":
            return Rejection(403, "Banned")
        if handshake.query.get("who") == "crash":
            raise RuntimeError("the hook broke")
        return True

    async with running_relay(auth=hook) as (_, server):
        for who, status in (("banned", 403), ("crash", 401)):
            with pytest.raises(InvalidStatus) as refused:
                async with _connect(server, f"?who={who}"):
                    pass
            assert refused.value.response.status_code == status
        async with _connect(server, "?who=ok") as websocket:
            assert '"session.created"' in await websocket.recv()


def test_tickets_expire_and_resist_tampering() -> None:
    now = [1000.0]
    signer = TicketSigner(SECRET, ttl_seconds=60, clock=lambda: now[0])
    ticket = signer.issue("user-7")
    assert signer.verify(ticket) == "user-7"
    payload, signature = ticket.split(".")
    assert signer.verify(payload + "." + signature[::-1]) is None
    assert signer.verify(payload[:-1] + "A." + signature) is None
    assert TicketSigner("another-secret-of-enough-length").verify(ticket) is None
    for junk in ("", ".", "abc", "a.b.c", "é.é", payload + ".é", "x" * 5000):
        assert signer.verify(junk) is None
    now[0] += 61
    assert signer.verify(ticket) is None
    assert SECRET not in repr(signer)
    with pytest.raises(ValueError, match="16 bytes"):
        TicketSigner("short")


def test_handshake_repr_hides_credentials() -> None:
    handshake = Handshake.from_parts("/realtime", "ticket=t0ps3cret", {"Authorization": "Bearer b34rer"})
    assert handshake.bearer_token == "b34rer"
    assert handshake.query["ticket"] == "t0ps3cret"
    assert "t0ps3cret" not in repr(handshake)
    assert "b34rer" not in repr(handshake)


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=5, now=0.0)
    assert all(bucket.take(1, 0.0) for _ in range(5))
    assert not bucket.take(1, 0.0)
    assert bucket.take(1, 0.1)
    assert not bucket.take(1, 0.1)


@pytest.mark.parametrize(
    "field", ["max_frame_bytes", "messages_per_second", "max_connections", "max_connections_per_client"]
)
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RelayLimits(**{field: 0})
