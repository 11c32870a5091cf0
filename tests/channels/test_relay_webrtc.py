"""The relay's WebRTC mode: the offer endpoint is checked exactly like the WebSocket upgrade (Host,
Origin, tickets, capacity), creates the call with the relay's credentials, serves it from the
sideband, and holds a connection slot until the call ends. Bad offers and refusals leave nothing."""

from __future__ import annotations

import anyio
import httpx
import pytest

from agentkit import Agent, Endpoint, tool
from agentkit.relay import Relay, RelayLimits, RelayServer
from agentkit.relay.auth import TicketSigner
from agentkit.state import SharedState
from agentkit.testing import LocalRealtimeServer
from tests.reliability.leaks import no_leaks

from .calls import refusing_service
from .sdp_samples import BROWSER_OFFER, LISTEN_ONLY_OFFER

pytestmark = pytest.mark.anyio


@tool
def track_order(order_id: str) -> str:
    """Where an order is.

    Args:
        order_id: The order number.
    """
    return f"{order_id} is with the courier"


def relay_for(server: LocalRealtimeServer, **options: object) -> tuple[Relay, TicketSigner]:
    signer = TicketSigner(b"k" * 32)
    agent = Agent("shop", "You help shop customers.", tools=[track_order])
    relay = Relay(
        agent, server.endpoint(), webrtc=True, auth=signer.auth(), state=SharedState.memory(), **options
    )  # type: ignore[arg-type]
    return relay, signer


async def post_offer(
    relay_server: RelayServer, offer: str, *, ticket: str | None, origin: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/sdp"}
    if origin is not None:
        headers["Origin"] = origin
    query = f"?ticket={ticket}" if ticket else ""
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{relay_server.http_url.rstrip('/')}/webrtc/offer{query}", content=offer, headers=headers
        )


async def test_an_offer_with_a_ticket_gets_the_answer_of_a_call_the_relay_serves() -> None:
    async with LocalRealtimeServer() as server:
        relay, signer = relay_for(server)
        async with RelayServer(relay) as relay_server:
            with anyio.fail_after(15):
                response = await post_offer(relay_server, BROWSER_OFFER, ticket=signer.issue("user-1"))
                assert response.status_code == 201, response.text
                assert response.headers["content-type"] == "application/sdp"
                assert response.text.startswith("v=0")
                [call] = server.calls.values()
                assert call.connection.session.instructions == "You help shop customers."
                assert relay.active == 1  # the call holds a connection slot
                again = await post_offer(relay_server, BROWSER_OFFER, ticket=None)
                assert again.status_code == 401
                assert relay.calls is not None
                session = relay.calls.sessions[call.id]
                async with session.events() as events:
                    await call.hang_up()
                    async for _ in events:
                        pass
                await anyio.wait_all_tasks_blocked()
                assert relay.active == 0  # the slot came back when the call's session ended
        assert len(server.calls) == 1


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no ticket", 401),
        ("spent ticket", 401),
        ("foreign origin", 403),
        ("bad offer", 400),
        ("huge offer", 413),
    ],
)
async def test_refused_offers_make_no_call(case: str, status: int) -> None:
    async with LocalRealtimeServer() as server:
        relay, signer = relay_for(server)
        async with RelayServer(relay) as relay_server:
            ticket: str | None = signer.issue("user-1")
            offer, origin = BROWSER_OFFER, None
            if case == "no ticket":
                ticket = None
            elif case == "spent ticket":
                assert signer.redeem(ticket or "") == "user-1"
            elif case == "foreign origin":
                origin = "https://evil.example"
            elif case == "bad offer":
                offer = LISTEN_ONLY_OFFER
            elif case == "huge offer":
                offer = BROWSER_OFFER + "a=x-padding:" + "x" * 70_000 + "\r\n"
            async with no_leaks():  # nothing of the refused offer is left running
                with anyio.fail_after(10):
                    response = await post_offer(relay_server, offer, ticket=ticket, origin=origin)
            assert response.status_code == status, response.text
            assert server.calls == {}
            assert relay.active == 0


async def test_a_call_holds_a_slot_so_the_relay_at_capacity_refuses_the_next_offer() -> None:
    async with LocalRealtimeServer() as server:
        relay, signer = relay_for(server, limits=RelayLimits(max_connections=1))
        async with RelayServer(relay) as relay_server:
            with anyio.fail_after(10):
                first = await post_offer(relay_server, BROWSER_OFFER, ticket=signer.issue("a"))
                second = await post_offer(relay_server, BROWSER_OFFER, ticket=signer.issue("b"))
            assert first.status_code == 201
            assert second.status_code == 503
            assert len(server.calls) == 1
            assert relay.active == 1


async def test_the_asgi_app_takes_offers_between_lifespan_startup_and_shutdown() -> None:
    async with LocalRealtimeServer() as server:
        relay, signer = relay_for(server)
        transport = httpx.ASGITransport(app=relay.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

            async def offer() -> httpx.Response:
                return await client.post(
                    f"/webrtc/offer?ticket={signer.issue('u')}",
                    content=BROWSER_OFFER,
                    headers={"Content-Type": "application/sdp"},
                )

            with anyio.fail_after(10):
                assert (await offer()).status_code == 503  # no lifespan startup: no calls served
                await relay.start_calls()  # what lifespan.startup does
                try:
                    answered = await offer()
                    assert answered.status_code == 201
                    assert answered.text.startswith("v=0")
                    assert len(server.calls) == 1
                finally:
                    await relay.stop_calls()  # lifespan.shutdown: every call's session ends
            assert relay.active == 0


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, b'{"error": {"code": "invalid_api_key", "message": "Incorrect API key provided: sk-sec***"}}'),
        (429, b'{"error": {"code": "rate_limit_exceeded", "message": "Too many calls"}}'),
        (500, b'{"error": {"code": null, "message": "The server had an error"}}'),
    ],
)
async def test_a_refusing_model_service_is_a_502_with_no_detail_and_nothing_left(
    status: int, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async with refusing_service(status, body) as url:
        signer = TicketSigner(b"k" * 32)
        endpoint = Endpoint.openai("sk-secret-key-value", base_url=f"{url}/v1")
        relay = Relay(Agent("shop", "Help."), endpoint, webrtc=True, auth=signer.auth())
        async with RelayServer(relay) as relay_server:
            async with no_leaks():
                with anyio.fail_after(10):
                    response = await post_offer(relay_server, BROWSER_OFFER, ticket=signer.issue("u"))
            assert response.status_code == 502
            assert str(status) not in response.text  # the details stay in the relay's log
            assert relay.active == 0
            assert relay.calls is not None
            assert relay.calls.sessions == {}
    assert f"{status}" in caplog.text
    assert "sk-secret-key-value" not in caplog.text
