"""Fault injection: dropped connections, malformed and unknown frames, injected errors, delays,
interleaved items, session expiry; per connection or for the whole server."""

from __future__ import annotations

import json

import anyio
import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from agentkit.protocol import Dialect, ErrorDetail
from agentkit.testing import Call, Faults, LocalRealtimeServer, Say, ScriptedModel
from tests.testing.wire import BOTH, WAIT, open_client

pytestmark = pytest.mark.anyio

TWO_ITEMS = [Say("First item text."), Call("lookup", {"id": "A-1", "note": "a fairly long note"})]


async def test_drop_the_connection_mid_response() -> None:
    async with LocalRealtimeServer(
        model=ScriptedModel([TWO_ITEMS]), faults=Faults(drop_after_events=3)
    ) as server:
        async with open_client(server) as client:
            await client.send({"type": "response.create"})
            kinds = [(await client.recv())["type"] for _ in range(3)]
            with pytest.raises(ConnectionClosedError) as closed:
                await client.recv()
        assert kinds[0] == "response.created"
        assert closed.value.rcvd is None  # no close frame: the TCP connection just went away


@pytest.mark.parametrize("dialect", BOTH)
async def test_one_shot_frames_arrive_once_after_response_created(dialect: Dialect) -> None:
    faults = Faults(
        malformed_frame=True, unknown_event=True, error=ErrorDetail(type="server_error", message="boom")
    )
    model = ScriptedModel([[Say("One.")], [Say("Two.")]])
    async with (
        LocalRealtimeServer(model=model, faults=faults) as server,
        open_client(server, dialect) as client,
    ):
        await client.send({"type": "response.create"})
        await client.expect("response.created")
        with anyio.fail_after(WAIT):
            malformed = await client.ws.recv()
        with pytest.raises(ValueError):
            json.loads(malformed)
        unknown = await client.recv(validate=False)
        assert unknown["type"] == "response.unexpected_event"
        error = await client.expect("error")
        assert error["error"]["type"] == "server_error"
        frames = await client.until("response.done")
        assert frames[-1]["response"]["status"] == "completed"
        await client.expect("rate_limits.updated")
        await client.send({"type": "response.create"})
        await client.expect("response.created")
        assert (await client.recv())["type"] == "response.output_item.added"
    assert faults.take_one_shots() == (False, False, None)


async def test_interleaved_items_keep_their_own_order() -> None:
    async with (
        LocalRealtimeServer(model=ScriptedModel([TWO_ITEMS]), faults=Faults(interleave_items=True)) as server,
        open_client(server) as client,
    ):
        await client.session_update({"output_modalities": ["text"]})
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
    indexes = [f["output_index"] for f in frames if "output_index" in f]
    assert indexes[:4] == [0, 1, 0, 1]  # the two items' events alternate
    for index in (0, 1):
        own = [f["type"] for f in frames if f.get("output_index") == index]
        assert own[0] == "response.output_item.added"
        assert own[-1] == "response.output_item.done"


async def test_delays_are_cut_short_by_cancel() -> None:
    faults = Faults(delays={"response.output_text.delta": 60.0})
    async with LocalRealtimeServer(model=ScriptedModel([[Say("Never finished.")]]), faults=faults) as server:
        async with open_client(server) as client:
            await client.session_update({"output_modalities": ["text"]})
            await client.send({"type": "response.create"})
            await client.until("response.content_part.added")
            await client.send({"type": "response.cancel"})
            frames = await client.until("response.done")
        assert frames[-1]["response"]["status"] == "cancelled"
        text = "".join(f["delta"] for f in frames if f["type"] == "response.output_text.delta")
        done_text = next(f for f in frames if f["type"] == "response.output_text.done")["text"]
        assert done_text == text  # what was sent, no more


@pytest.mark.parametrize("dialect", BOTH)
async def test_session_expiry(dialect: Dialect) -> None:
    async with (
        LocalRealtimeServer(faults=Faults(expire_after=0.0)) as server,
        open_client(server, dialect) as client,
    ):
        error = await client.expect("error")
        assert error["error"]["code"] == "session_expired"
        with pytest.raises(ConnectionClosed):
            await client.recv()


async def test_faults_for_one_connection_only() -> None:
    async with (
        LocalRealtimeServer(model=ScriptedModel([[Say("a")], [Say("b")]])) as server,
        open_client(server) as calm,
        open_client(server) as faulty,
    ):
        server.connections[1].faults = Faults(drop_after_events=1)
        await calm.send({"type": "response.create"})
        assert (await calm.until("response.done"))[-1]["response"]["status"] == "completed"
        await faulty.send({"type": "response.create"})
        await faulty.expect("response.created")
        with pytest.raises(ConnectionClosedError):
            await faulty.recv()


async def test_expire_a_session_on_demand() -> None:
    async with LocalRealtimeServer() as server, open_client(server) as client:
        await server.connections[0].expire()
        assert (await client.expect("error"))["error"]["code"] == "session_expired"
