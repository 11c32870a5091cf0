"""Draining for a deploy: readiness goes false, new clients are refused, a turn in progress finishes
before its connection is closed with 1012 and the resume token; past the grace period it is closed."""

from __future__ import annotations

import urllib.request
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agentkit import Agent
from agentkit.tools import tool

from .relay_helpers import SECRET_PROMPT, Client, running_relay

pytestmark = pytest.mark.anyio

RELEASE: list[anyio.Event] = []


@tool
async def slow_refund(order_id: str) -> str:
    """Refund an order (slowly).

    Args:
        order_id: The order id.
    """
    await RELEASE[0].wait()
    return f"refunded {order_id}"


def slow_agent() -> Agent:
    return Agent("shop", SECRET_PROMPT, tools=[slow_refund], reconnect=None)


async def get(url: str) -> tuple[int, str]:
    def fetch() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    return await anyio.to_thread.run_sync(fetch)


async def until_closed(user: Client) -> tuple[int, list[dict[str, Any]]]:
    with anyio.fail_after(10), pytest.raises(ConnectionClosed) as closed:  # noqa: PT012
        while True:
            await user.next_event()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, user.events


async def test_probes_and_a_drain_that_lets_the_running_turn_finish() -> None:
    RELEASE[:] = [anyio.Event()]
    async with running_relay(agent=slow_agent()) as (_, server):
        assert await get(server.http_url + "healthz") == (200, "ok\n")
        assert await get(server.http_url + "readyz") == (200, "ready\n")
        async with connect(server.ws_url) as websocket:
            user = Client(websocket)
            await user.until_type("session.created")
            await user.say("Please refund order A-1")
            await user.until(lambda e: e["type"] == "response.done")  # the call is running now
            async with anyio.create_task_group() as tg:
                tg.start_soon(server.relay.drain, 10)
                with anyio.fail_after(5):
                    while (await get(server.http_url + "readyz"))[0] != 503:  # noqa: ASYNC110
                        await anyio.sleep(0.01)
                with pytest.raises(InvalidStatus) as refused:
                    await connect(server.ws_url)
                assert refused.value.response.status_code == 503
                assert server.relay.active == 1  # the turn in progress keeps its connection
                RELEASE[0].set()
                code, events = await until_closed(user)
        assert code == 1012
        kinds = [event["type"] for event in events]
        # the follow-up to the tool's output was answered before the close: the turn was not cut off
        assert kinds.count("response.done") == 2
        assert events[-2]["type"] == "response.done"
        assert events[-2]["response"]["status"] == "completed"
        assert kinds[-1] == "agentkit.resume"  # and the client was given its token to continue


async def test_past_the_grace_period_a_turn_is_closed_as_it_is() -> None:
    RELEASE[:] = [anyio.Event()]  # never set: the tool outlasts the grace period
    async with running_relay(agent=slow_agent()) as (_, server), connect(server.ws_url) as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        await user.say("Please refund order A-2")
        await user.until(lambda e: e["type"] == "response.done")
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.relay.drain, 0.2)
            code, _ = await until_closed(user)
        assert code == 1012
        assert server.relay.active == 0
