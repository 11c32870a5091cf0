"""Creating calls on the service for browsers (`POST .../realtime/calls`) and serving them from the
sideband, against the local server's calls endpoint; the ephemeral-secret path and its check; bad
offers and refusals, each a clear error with nothing left running."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from anyio.abc import SocketAttribute

from agentkit import Agent, Endpoint, tool
from agentkit.channels.webrtc import CallRefused, SdpError, WebRTCCalls, create_call, parse_offer
from agentkit.connection import CallError, HandshakeError
from agentkit.engine import PolicyEnforced, Reconnected, TurnDone
from agentkit.protocol import ResponseDone
from agentkit.testing import Call, LocalRealtimeServer, Say, ScriptedModel
from tests.reliability.leaks import no_leaks

from .calls import (
    FAST_RECONNECT,
    assistant_texts,
    creates,
    outputs_in_conversation,
    posted_outputs,
    refusing_service,
    utterance,
)
from .sdp_samples import BROWSER_OFFER, DATA_ONLY_OFFER, LISTEN_ONLY_OFFER

pytestmark = pytest.mark.anyio


@tool
def track_order(order_id: str) -> str:
    """Where an order is.

    Args:
        order_id: The order number.
    """
    return f"{order_id} is with the courier"


def shop_agent() -> Agent:
    return Agent("shop", "You help shop customers.", tools=[track_order], voice="alloy")


def shop_model() -> ScriptedModel:
    return ScriptedModel([[Call("track_order", {"order_id": "A-7"})], [Say("It is with the courier.")]])


@pytest.mark.parametrize("flavor", ["openai", "azure"])
async def test_create_call_posts_the_offer_and_the_agents_configuration(flavor: str) -> None:
    async with LocalRealtimeServer() as server:
        endpoint = (
            Endpoint.openai(str(server.api_key), base_url=f"{server.http_url}/v1")
            if flavor == "openai"
            else Endpoint.azure(server.http_url, "gpt-realtime", api_key=server.api_key)
        )
        with anyio.fail_after(10):
            answer = await create_call(endpoint, BROWSER_OFFER, shop_agent().session_config())
        call = server.calls[answer.call_id]
        assert answer.sdp.startswith("v=0")
        assert [m.kind for m in parse_offer(answer.sdp.replace("a=inactive", "a=sendrecv")).media] == [
            "audio",
            "application",
        ]
        # The call starts with the server's configuration: the browser never had to send it.
        assert call.connection.session.instructions == "You help shop customers."
        assert [t["name"] for t in call.connection.session.tools or []] == ["track_order"]
        assert call.connection.session.voice == "alloy"


async def test_webrtc_calls_answers_an_offer_and_runs_the_tools_here() -> None:
    async with (
        LocalRealtimeServer(model=shop_model()) as server,
        WebRTCCalls(shop_agent(), server.endpoint()) as calls,
    ):
        with anyio.fail_after(15):
            answer = await calls.answer(BROWSER_OFFER)
            session = calls.sessions[answer.call_id]
            call = server.calls[answer.call_id]
            async with session.events() as events:
                await call.hear(utterance("Where is order A-7?"))
                async for event in events:
                    if isinstance(event, TurnDone):
                        break
            [output] = outputs_in_conversation(call)
            assert output.output == "A-7 is with the courier"
            async with session.events() as events:
                await call.hang_up()
                async for _ in events:
                    pass  # the session ends with the call
            assert session.call_ended


@pytest.mark.parametrize(
    ("offer", "reason"),
    [
        ("", "empty"),
        ("hello, I am not SDP", "not SDP"),
        ("v=0\r\nthis line is wrong\r\n", "not SDP"),
        (LISTEN_ONLY_OFFER, "no audio to send"),
        (DATA_ONLY_OFFER, "no audio to send"),
        ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio x RTP\r\n", "malformed media line"),
        (BROWSER_OFFER.replace("m=audio 9", "m=audio 0"), "no audio to send"),  # the audio line refused
        (BROWSER_OFFER + "a=x-padding:" + "x" * 70_000 + "\r\n", "larger than 64 KiB"),
        (
            BROWSER_OFFER.replace("m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 96"),
            "no audio",
        ),
    ],
)
async def test_a_bad_offer_is_a_clear_error_and_no_call_is_made(offer: str, reason: str) -> None:
    async with (
        LocalRealtimeServer() as server,
        no_leaks(),
        WebRTCCalls(shop_agent(), server.endpoint()) as calls,
    ):
        with pytest.raises(SdpError, match=reason):
            await calls.answer(offer)
        assert server.calls == {}
        assert calls.sessions == {}


async def test_the_calls_endpoint_refuses_a_bad_offer_itself() -> None:
    async with LocalRealtimeServer() as server:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                server.endpoint().calls_url,
                files={"sdp": (None, LISTEN_ONLY_OFFER, "application/sdp")},
                headers={"Authorization": f"Bearer {server.api_key}"},
            )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_offer"
        assert server.calls == {}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": {"code": "invalid_api_key", "message": "Incorrect API key provided: sk-sec***"}}),
        (400, {"error": {"code": "invalid_offer", "message": "Invalid SDP offer"}}),
        (500, {"error": {"code": None, "message": "The server had an error"}}),
        (503, "upstream unavailable"),
    ],
)
async def test_a_refusal_of_the_calls_endpoint_is_a_call_error_without_the_key(
    status: int, body: object
) -> None:
    seen: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        content = json.dumps(body) if isinstance(body, dict) else str(body)
        return httpx.Response(status, text=content, headers={"x-request-id": "req_123"})

    endpoint = Endpoint.openai("sk-secret-key-value")
    with pytest.raises(CallError) as caught:
        await create_call(endpoint, BROWSER_OFFER, transport=httpx.MockTransport(service))
    assert caught.value.status == status
    assert "sk-secret-key-value" not in str(caught.value)
    assert "req_123" in str(caught.value)
    [request] = seen
    assert request.url == "https://api.openai.com/v1/realtime/calls"
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="sdp"' in request.content
    assert b'name="session"' in request.content


async def test_an_answer_without_a_call_id_is_a_call_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(201, text="v=0\r\n"))
    with pytest.raises(CallError, match="Location"):
        await create_call(Endpoint.openai("sk-x"), BROWSER_OFFER, transport=transport)


async def test_wrong_server_credentials_leave_nothing_running() -> None:
    async with LocalRealtimeServer() as server:
        endpoint = Endpoint.custom(server.url(), api_key="not-the-key")
        async with WebRTCCalls(shop_agent(), endpoint) as calls:
            with pytest.raises(CallError) as caught:
                await calls.answer(BROWSER_OFFER)
            assert caught.value.status == 401
            assert calls.sessions == {}
        assert server.calls == {}


async def _browser_makes_its_own_call(server: LocalRealtimeServer, secret: str) -> str:
    """What the page does with an ephemeral secret: post the bare offer itself, read the call id."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            server.endpoint().calls_url,
            content=BROWSER_OFFER,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/sdp"},
        )
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


async def test_a_browser_made_call_is_attached_only_with_a_secret_this_server_issued() -> None:
    async with LocalRealtimeServer() as server, WebRTCCalls(shop_agent(), server.endpoint()) as calls:
        with anyio.fail_after(15):
            secret = await calls.mint_secret()
            assert secret.value.startswith("ek_")
            call_id = await _browser_makes_its_own_call(server, secret.value)
            with pytest.raises(CallRefused, match="not issued by this server"):
                await calls.attach(call_id, "ek_made_up_by_the_browser")
            assert calls.sessions == {}
            await calls.attach(call_id, secret.value)
            assert call_id in calls.sessions
            assert server.calls[call_id].connection.session.instructions == "You help shop customers."
            other = await _browser_makes_its_own_call(server, secret.value)
            with pytest.raises(CallRefused, match="already used for another call"):
                await calls.attach(other, secret.value)
            assert other not in calls.sessions


async def test_a_secret_for_an_unknown_call_fails_the_attach_and_leaves_nothing() -> None:
    async with LocalRealtimeServer() as server, WebRTCCalls(shop_agent(), server.endpoint()) as calls:
        secret = await calls.mint_secret()
        with pytest.raises(HandshakeError) as caught, anyio.fail_after(10):
            await calls.attach("rtc_not_a_call", secret.value)
        assert caught.value.status == 404
        assert calls.sessions == {}


async def test_hanging_up_through_the_endpoint_ends_the_session() -> None:
    async with LocalRealtimeServer() as server, WebRTCCalls(shop_agent(), server.endpoint()) as calls:
        with anyio.fail_after(10):
            answer = await calls.answer(BROWSER_OFFER)
            session = calls.sessions[answer.call_id]
            async with session.events() as events, httpx.AsyncClient() as client:
                url = server.endpoint().calls_url + f"/{answer.call_id}/hangup"
                response = await client.post(url, headers={"Authorization": f"Bearer {server.api_key}"})
                assert response.status_code == 200
                again = await client.post(url, headers={"Authorization": f"Bearer {server.api_key}"})
                assert again.status_code == 404
                async for _ in events:
                    pass
            assert session.call_ended


async def test_a_served_call_whose_sideband_drops_mid_tool_is_answered_once_with_the_guard_quiet() -> None:
    """The guard runs across the re-attach: the output posted again on the new sideband is the
    session's own and the follow-up response its own, so nothing is undone, and the call's model
    sees one output and one answer."""
    started = anyio.Event()
    release = anyio.Event()

    @tool
    async def slow_track(order_id: str) -> str:
        """Where an order is, slowly."""
        started.set()
        await release.wait()
        return f"{order_id} is with the courier"

    model = ScriptedModel([[Call("slow_track", {"order_id": "A-7"})], [Say("It is with the courier.")]])
    agent = Agent("shop", "You help shop customers.", tools=[slow_track], reconnect=FAST_RECONNECT)
    async with LocalRealtimeServer(model=model) as server, WebRTCCalls(agent, server.endpoint()) as calls:
        with anyio.fail_after(20):
            answer = await calls.answer(BROWSER_OFFER)
            call = server.calls[answer.call_id]
            session = calls.sessions[answer.call_id]
            seen: list[object] = []
            async with session.events() as events:
                await call.hear(utterance("Where is order A-7?"))
                await started.wait()
                call.sidebands[0].cut()
                async for event in events:
                    seen.append(event)
                    if isinstance(event, Reconnected):
                        release.set()
                    if isinstance(event, TurnDone):
                        break
            await call.peer.wait_for(ResponseDone, count=2)
        assert len(call.sidebands) == 2
        assert not [e for e in seen if isinstance(e, PolicyEnforced)]
        assert calls.guards[answer.call_id].count == 0
        [output] = outputs_in_conversation(call)
        assert output.output == "A-7 is with the courier"
        assert len(posted_outputs(call)) == 1
        assert len(creates(call)) == 1
        assert assistant_texts(call) == ["It is with the courier."]
        done = [e for e in call.peer.received if isinstance(e, ResponseDone)]
        assert [d.response.status for d in done] == ["completed", "completed"]


SERVICE_FAILURES = [
    (400, b'{"error": {"code": "invalid_offer", "message": "Invalid SDP offer"}}'),
    (401, b'{"error": {"code": "invalid_api_key", "message": "Incorrect API key provided: sk-sec***"}}'),
    (429, b'{"error": {"code": "rate_limit_exceeded", "message": "Too many calls"}}'),
    (500, b'{"error": {"code": null, "message": "The server had an error"}}'),
    (503, b"upstream unavailable"),
    (201, b"not an SDP answer"),  # a success with nothing usable in it
]


@pytest.mark.parametrize(("status", "body"), SERVICE_FAILURES)
async def test_a_calls_endpoint_that_refuses_or_breaks_fails_the_offer_and_leaves_nothing_running(
    status: int, body: bytes
) -> None:
    async with refusing_service(status, body) as url:
        endpoint = Endpoint.openai("sk-secret-key-value", base_url=f"{url}/v1")
        async with no_leaks(), WebRTCCalls(shop_agent(), endpoint) as calls:
            with pytest.raises(CallError) as caught, anyio.fail_after(10):
                await calls.answer(BROWSER_OFFER)
            assert calls.sessions == {}
            assert calls.guards == {}
    message = str(caught.value)
    assert "sk-secret-key-value" not in message
    if status >= 400:
        assert caught.value.status == status
        assert str(status) in message
    else:
        assert "Location" in message or "SDP" in message


async def test_an_unreachable_calls_endpoint_is_a_call_error_and_leaves_nothing_running() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there now
    endpoint = Endpoint.openai("sk-secret-key-value", base_url=f"http://127.0.0.1:{port}/v1")
    async with no_leaks(), WebRTCCalls(shop_agent(), endpoint) as calls:
        with pytest.raises(CallError, match="could not reach") as caught, anyio.fail_after(10):
            await calls.answer(BROWSER_OFFER)
        assert calls.sessions == {}
    assert "sk-secret-key-value" not in str(caught.value)


async def test_a_foreign_call_id_is_refused_and_leaves_the_secret_for_the_right_call() -> None:
    """The ephemeral-secret path with the ids a browser may make up or borrow: each is refused
    clearly, nothing is attached, and a failed attach does not spend the secret."""
    async with (
        LocalRealtimeServer() as server,
        no_leaks(),
        WebRTCCalls(shop_agent(), server.endpoint()) as calls,
    ):
        with anyio.fail_after(15):
            served = await calls.answer(BROWSER_OFFER)  # another browser's call, made by this server
            secret = (await calls.mint_secret()).value
            with pytest.raises(CallRefused, match="already served for another caller"):
                await calls.attach(served.call_id, secret)
            with pytest.raises(CallRefused, match="call id"):
                await calls.attach("rtc_1&model=other", secret)
            with pytest.raises(HandshakeError) as caught:
                await calls.attach("rtc_nosuchcall", secret)  # not a call the service holds
            assert caught.value.status == 404
            assert set(calls.sessions) == {served.call_id}
            mine = await _browser_makes_its_own_call(server, secret)
            await calls.attach(mine, secret)  # the secret is still good for its own call
            await calls.attach(mine, secret)  # and a page reload claims it again
            assert set(calls.sessions) == {served.call_id, mine}
            assert len(server.calls[mine].sidebands) == 1
            with pytest.raises(CallRefused, match="not issued by this server"):
                await calls.attach(mine, "ek_made_up_by_the_browser")
            for call in server.calls.values():
                await call.hang_up()  # the calls live on the service; end them for the count below
