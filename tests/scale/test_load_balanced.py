"""Three relay processes behind haproxy, with Redis shared, behave as one service: a ticket is spent
once for all; a client's cap holds across instances; a conversation survives SIGKILL of its instance
(the model sees the earlier turns and tool outputs, the cut-off call is answered once, never rerun);
SIGTERM drains without cutting a turn off; a Redis restart is survived without restarting relays."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agentkit.protocol import FunctionCallItem, FunctionCallOutputItem, MessageItem
from agentkit.relay import TicketSigner
from agentkit.relay.resume import INTERRUPTED_REASON
from agentkit.testing import LocalRealtimeServer, ServerConnection
from tests.relay.relay_helpers import Client
from tests.scale.app import SECRET
from tests.scale.cluster import Cluster, http_status, until

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SIGNER = TicketSigner(SECRET)


@pytest.fixture
async def upstream() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer() as server:
        yield server


@pytest.fixture
def cluster(upstream: LocalRealtimeServer) -> Iterator[Cluster]:
    made = Cluster(upstream.url(), upstream.api_key or "")
    try:
        made.start()
        yield made
    finally:
        made.stop()


@asynccontextmanager
async def conversation(url: str) -> AsyncIterator[tuple[Client, dict[str, object]]]:
    async with connect(url) as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        yield user, await user.until_type("agentkit.resume")


async def refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as refusal:
        await connect(url)
    status: int = refusal.value.response.status_code
    return status


def instance_of(connection: ServerConnection) -> str:
    """Which relay instance opened an upstream session (its instructions name it)."""
    return (connection.session.instructions or "").rpartition("instance=")[2]


def history(connection: ServerConnection) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in connection.conversation.items:
        if isinstance(item, MessageItem):
            out.append((item.role, item.text))
        elif isinstance(item, FunctionCallItem):
            out.append(("call", item.name))
        elif isinstance(item, FunctionCallOutputItem):
            out.append(("output", item.output))
    return out


async def until_closed(user: Client) -> int:
    with anyio.fail_after(30), pytest.raises(ConnectionClosed) as closed:  # noqa: PT012
        while True:
            await user.next_event()
    return closed.value.rcvd.code if closed.value.rcvd is not None else 1006


async def test_tickets_caps_and_a_redis_restart_across_instances(cluster: Cluster) -> None:
    ticket = SIGNER.issue("user-1")
    async with conversation(f"{cluster.url}?ticket={ticket}"):
        for index in range(3):  # replayed to every instance directly: refused by all
            assert await refused(f"{cluster.instance_url(index)}?ticket={ticket}") == 401
        async with conversation(f"{cluster.url}?ticket={SIGNER.issue('user-1')}"):
            for index in range(3):  # this client holds two connections: its cap, on every instance
                assert await refused(f"{cluster.instance_url(index)}?ticket={SIGNER.issue('user-1')}") == 429
    cluster.redis.stop()
    for index in range(3):  # a ticket that cannot be checked is refused (fail closed), nothing crashes
        assert await refused(f"{cluster.instance_url(index)}?ticket={SIGNER.issue('user-1')}") == 503
    cluster.redis.start()  # empty, and the relays were never restarted
    ticket = SIGNER.issue("user-1")
    async with conversation(f"{cluster.url}?ticket={ticket}") as (user, _):
        await user.say("Where is my order A-7?")
        assert "TRK-A-7" in await user.answer()
        assert await refused(f"{cluster.url}?ticket={ticket}") == 401  # spent tickets are shared again


async def test_a_conversation_survives_sigkill_of_its_instance(
    cluster: Cluster, upstream: LocalRealtimeServer
) -> None:
    async with connect(f"{cluster.url}?ticket={SIGNER.issue('user-2')}") as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        token = str((await user.until_type("agentkit.resume"))["token"])
        victim = cluster.instance_named(instance_of(upstream.connections[-1]))
        await user.say("Where is my order A-1001?")
        assert "TRK-A-1001" in await user.answer()
        await user.say("Please refund order A-2002")
        await until(
            lambda: any(line.startswith("refund A-2002") for line in cluster.runs_log()), "the refund"
        )
        await _until_saved(cluster, token, "refund_order")
        cluster.kill(victim)
        assert await until_closed(user) == 1006
    await until(lambda: http_status(f"http://127.0.0.1:{cluster.port}/readyz") == 200, "haproxy's failover")
    async with conversation(f"{cluster.url}?resume={token}") as (user, resumed):
        assert resumed["resumed"] is True
        resumed_on = upstream.connections[-1]
        assert instance_of(resumed_on) != f"r{victim}"
        await user.answer()  # the model speaks to the refund that was cut off
        await user.say("And where is order B-3003?")
        assert "TRK-B-3003" in await user.answer()
    seen = history(resumed_on)
    assert seen[0] == ("user", "Where is my order A-1001?")  # the earlier turns...
    assert any(kind == "output" and "TRK-A-1001" in text for kind, text in seen)  # ...and tool outputs
    refund_outputs = [
        text
        for (kind, text), before in zip(seen[1:], seen, strict=False)
        if kind == "output" and before == ("call", "refund_order")
    ]
    assert len(refund_outputs) == 1  # the cut-off call is answered once...
    assert INTERRUPTED_REASON in refund_outputs[0]
    assert [line for line in cluster.runs_log() if line.startswith("refund")] == [
        f"refund A-2002 on r{victim}"
    ]


async def test_sigterm_drains_without_cutting_a_turn_off(
    cluster: Cluster, upstream: LocalRealtimeServer
) -> None:
    async with connect(f"{cluster.url}?ticket={SIGNER.issue('user-3')}") as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        token = str((await user.until_type("agentkit.resume"))["token"])
        draining = cluster.instance_named(instance_of(upstream.connections[-1]))
        await user.say("Please refund order C-4004")
        await until(
            lambda: any(line.startswith("refund C-4004") for line in cluster.runs_log()), "the refund"
        )
        process = cluster.terminate(draining)
        await until(
            lambda: http_status(f"http://127.0.0.1:{cluster.ports[draining]}/readyz") == 503, "draining"
        )
        cluster.release.touch()  # the refund finishes inside the grace period
        assert await until_closed(user) == 1012
        kinds = [event["type"] for event in user.events]
        assert kinds[-1] == "agentkit.resume"
        done = [event for event in user.events if event["type"] == "response.done"]
        assert len(done) == 2  # the tool's response and the answer after its output: not cut off
        assert done[-1]["response"]["status"] == "completed"
        assert process.wait(30) == 0
    async with conversation(f"{cluster.url}?resume={token}") as (user, resumed):
        assert resumed["resumed"] is True
        seen = history(upstream.connections[-1])
        await user.say("Thanks!")
        await user.answer()
    seen = history(upstream.connections[-1])
    assert ("output", "refunded C-4004") in seen


async def _until_saved(cluster: Cluster, token: str, tool_name: str) -> None:
    """Wait (bounded) until the conversation's snapshot in Redis holds the call to `tool_name`."""
    key = "agentkit:resume:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    async with Redis.from_url(cluster.redis.url) as redis:
        with anyio.fail_after(10):
            while True:
                data = await redis.get(key)
                entries = json.loads(data)["conversation"] if data else []
                if any(entry.get("name") == tool_name for entry in entries):
                    return
                await anyio.sleep(0.02)
