"""Real WebRTC media on the local server (aiortc): a caller's offer through the relay's offer endpoint
gets a real answer; its spoken question (real speech, Opus-coded, heard by pocketsphinx) makes the
model call a tool that runs in this process; the spoken answer comes back as audio; the data channel
carries the call's events. Offers aiortc cannot negotiate are a clear 400 that leaves nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import anyio
import httpx
import pytest

from agentkit import Agent, tool
from agentkit.relay import Relay, RelayServer
from agentkit.relay.auth import TicketSigner
from agentkit.state import SharedState
from agentkit.testing import LocalRealtimeServer, Say, ScriptedModel
from agentkit.testing.hearing import SphinxRecogniser
from agentkit.testing.speech import espeak_speech, silence
from tests.reliability.leaks import no_leaks

from .rtc_client import Caller

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (.ci/run)"),
]

ran: list[str] = []


@tool
def lookup_order(order_id: str) -> str:
    """Look up an order by its id.

    Args:
        order_id: The order number, like A-1003.
    """
    ran.append(order_id)
    return f"order {order_id} shipped yesterday"


def relay_for(server: LocalRealtimeServer) -> tuple[Relay, TicketSigner]:
    signer = TicketSigner(b"m" * 32)
    agent = Agent("shop", "You help shop customers.", tools=[lookup_order])
    relay = Relay(agent, server.endpoint(), webrtc=True, auth=signer.auth(), state=SharedState.memory())
    return relay, signer


async def post_offer(url: str, offer: str, ticket: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{url}?ticket={ticket}", content=offer, headers={"Content-Type": "application/sdp"}
        )


async def test_a_spoken_question_over_webrtc_runs_the_tool_here_and_the_answer_comes_back_as_audio() -> None:
    ran.clear()
    question = espeak_speech("Where is my order A-1003?")
    assert question is not None
    async with LocalRealtimeServer(hearing=SphinxRecogniser(), transcribe=lambda pcm: None) as server:
        relay, signer = relay_for(server)
        async with RelayServer(relay) as relay_server:
            caller = Caller()
            try:
                with anyio.fail_after(25):
                    offer_url = relay_server.http_url.rstrip("/") + "/webrtc/offer"
                    response = await post_offer(offer_url, await caller.offer(), signer.issue("user-1"))
                    assert response.status_code == 201, response.text
                    await caller.accept(response.text)
                    [call] = server.calls.values()
                    assert call.media is not None
                    await caller.wait(lambda: "session.created" in caller.types())
                    caller.microphone.say(silence(300) + question + silence(1200))
                    await caller.wait(lambda: "response.done" in caller.types() and caller.loud_ms >= 300)
                    await caller.wait(lambda: caller.types().count("response.done") >= 2)
            finally:
                await caller.close()
            assert ran == ["A-1003"], "the tool ran in this process, with the spoken order id"
            assert call.media.heard_ms >= 2500, "the caller's audio reached the call's hearing"
            [arguments] = [e for e in caller.events if e["type"] == "response.function_call_arguments.done"]
            assert arguments["arguments"] == '{"order_id": "A-1003"}', (
                "the data channel carries server events"
            )
            assert caller.loud_ms >= 300, "the spoken answer came back as audio on the track"
            assert "output_audio_buffer.started" in caller.types()
            assert server.calls[call.id].media is call.media


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda sdp: sdp.replace("a=setup:actpass", "a=setup:sideways"), "could not be negotiated"),
        (lambda sdp: sdp.replace("m=audio", "m=video"), "no audio"),
    ],
    ids=["bad DTLS role", "no audio"],
)
async def test_a_real_offer_aiortc_cannot_use_is_a_400_and_leaves_nothing(
    mangle: Callable[[str], str], reason: str
) -> None:
    async with LocalRealtimeServer(hearing=None) as server:
        caller = Caller()
        try:
            offer = await caller.offer()
        finally:
            await caller.close()
        async with no_leaks(), httpx.AsyncClient() as client:
            response = await client.post(
                f"{server.http_url}/v1/realtime/calls",
                content=mangle(offer),
                headers={"Content-Type": "application/sdp", "Authorization": "Bearer local-key"},
            )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_offer"
        assert reason in response.json()["error"]["message"]
        assert server.calls == {}


async def test_a_relay_that_takes_audio_only_calls_refuses_an_offer_with_a_data_channel() -> None:
    async with LocalRealtimeServer(hearing=None) as server:
        signer = TicketSigner(b"m" * 32)
        relay = Relay(
            Agent("shop", "Help.", tools=[lookup_order]),
            server.endpoint(),
            webrtc=True,
            webrtc_data_channel=False,
            auth=signer.auth(),
            state=SharedState.memory(),
        )
        async with RelayServer(relay) as relay_server:
            caller = Caller()
            try:
                offer = await caller.offer()
            finally:
                await caller.close()
            with anyio.fail_after(10):
                offer_url = relay_server.http_url.rstrip("/") + "/webrtc/offer"
                response = await post_offer(offer_url, offer, signer.issue("user-1"))
            assert response.status_code == 400
            assert "without a data channel" in response.text
            assert server.calls == {}
            assert relay.active == 0
            page = relay.page("/")
            assert page is not None
            assert b'<meta name="agentkit-relay-webrtc-events" content="off" />' in page[0]


async def test_the_caller_hanging_up_ends_the_call_and_its_media() -> None:
    async with LocalRealtimeServer(hearing=None) as server:
        caller = Caller()
        try:
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    f"{server.http_url}/v1/realtime/calls",
                    content=await caller.offer(),
                    headers={"Content-Type": "application/sdp", "Authorization": "Bearer local-key"},
                )
            assert response.status_code == 201, response.text
            await caller.accept(response.text)
            with anyio.fail_after(10):
                await caller.wait(lambda: "session.created" in caller.types())
        finally:
            await caller.close()
        [call] = server.calls.values()
        assert call.media is not None
        with anyio.fail_after(10):
            await call.wire.ended.wait()
        assert call.media.state == "closed"


async def test_speaking_over_the_answer_stops_its_audio_on_the_track() -> None:
    long_answer = "Let me tell you all about our shop, its history, its opening hours and every product. " * 3
    model = ScriptedModel([[Say(long_answer)], [Say("Sure.")]])
    hello = espeak_speech("Hello there, can you help me?")
    assert hello is not None
    async with LocalRealtimeServer(model=model, hearing=None) as server:
        caller = Caller()
        try:
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    f"{server.http_url}/v1/realtime/calls",
                    content=await caller.offer(),
                    headers={"Content-Type": "application/sdp", "Authorization": "Bearer local-key"},
                )
            await caller.accept(response.text)
            with anyio.fail_after(20):
                await caller.wait(lambda: "session.created" in caller.types())
                caller.microphone.say(silence(300) + hello + silence(800))
                await caller.wait(lambda: caller.loud_ms >= 500)  # the long answer is playing
                assert "output_audio_buffer.stopped" not in caller.types(), "still playing: not stopped"
                caller.microphone.say(hello + silence(800))
                await caller.wait(lambda: "output_audio_buffer.cleared" in caller.types())
                loud_at_clear = caller.loud_ms
                await caller.wait(lambda: caller.types().count("input_audio_buffer.speech_stopped") >= 2)
                loud_after = caller.loud_ms
        finally:
            await caller.close()
    assert loud_after - loud_at_clear < 250, "the rest of the answer was dropped, not played"
    [first] = [e for e in caller.events if e["type"] == "response.done"][:1]
    assert first["response"]["status"] == "completed"
