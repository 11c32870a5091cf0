"""A session attached to a call by its id (the sideband): the caller speaks over WebRTC (here the
local server's in-process caller), the tools run here, and every engine guarantee holds."""

from __future__ import annotations

import json

import anyio
import pytest

from agentkit import Agent, Endpoint, tool
from agentkit.connection import EndpointError, HandshakeError
from agentkit.engine import (
    Interrupted,
    OutputAudioCleared,
    OutputAudioStarted,
    OutputAudioStopped,
    Reconnected,
    TurnDone,
)
from agentkit.protocol import (
    Dialect,
    OutputAudioBufferCleared,
    ResponseDone,
    SessionConfig,
)
from agentkit.testing import Call, LocalRealtimeServer, Say, ScriptedModel, Timing
from tests.reliability.leaks import no_leaks

from .calls import (
    FAST_RECONNECT,
    assistant_texts,
    creates,
    outputs_in_conversation,
    posted_outputs,
    utterance,
)

pytestmark = pytest.mark.anyio


@tool
async def lookup_order(order_id: str) -> dict[str, str]:
    """Find an order.

    Args:
        order_id: The order number.
    """
    return {"order_id": order_id, "status": "shipped"}


def shop_model() -> ScriptedModel:
    return ScriptedModel(
        [[Say("Let me check."), Call("lookup_order", {"order_id": "A-10"})], [Say("It shipped.")]]
    )


async def test_an_attached_session_runs_the_tools_of_a_call_it_did_not_start() -> None:
    async with LocalRealtimeServer(model=shop_model()) as server:
        call = await server.create_call()
        agent = Agent("shop", "You help shop customers.", tools=[lookup_order])
        with anyio.fail_after(15):
            async with agent.connect(server.endpoint(), call_id=call.id) as session:
                assert session.connected
                assert session.call_id == call.id
                async with session.events() as events:
                    await call.hear(utterance("Where is A-10?"))
                    seen = []
                    async for event in events:
                        seen.append(event)
                        playing = sum(isinstance(e, OutputAudioStarted) for e in seen) - sum(
                            isinstance(e, OutputAudioStopped) for e in seen
                        )
                        if any(isinstance(e, TurnDone) for e in seen) and playing == 0:
                            break  # the answer is done and the caller has heard all of it
        [sideband] = call.sidebands
        # The call sends no session.created to a sideband: the session spoke first.
        assert sideband.sent_types()[0] == "session.update"
        assert "session.created" not in sideband.received_types()
        # What the call's model uses now is the server's configuration, not the caller's.
        assert call.connection.session.instructions == "You help shop customers."
        assert [t["name"] for t in call.connection.session.tools or []] == ["lookup_order"]
        [output] = outputs_in_conversation(call)
        assert json.loads(output.output) == {"order_id": "A-10", "status": "shipped"}
        assert len(creates(call)) == 1  # the service started the first response (VAD); we asked once
        assert assistant_texts(call) == ["Let me check.", "It shipped."]
        turn = next(e.turn for e in seen if isinstance(e, TurnDone))
        assert [(c.name, c.status) for c in turn.tool_calls] == [("lookup_order", "ok")]
        assert turn.text == "Let me check.\nIt shipped."
        # The WebRTC-only events reach the application; the audio itself went to the caller as media.
        started = [e.response_id for e in seen if isinstance(e, OutputAudioStarted)]
        stopped = [e.response_id for e in seen if isinstance(e, OutputAudioStopped)]
        assert started
        assert started == stopped
        assert call.played
        assert all(d.response_id in started for d in call.played)
        assert "response.output_audio.delta" not in sideband.received_types()


@pytest.mark.parametrize("release_after_reattach", [True, False])
async def test_a_sideband_dropped_mid_tool_reattaches_and_the_call_is_answered_once(
    release_after_reattach: bool,
) -> None:
    started = anyio.Event()
    release = anyio.Event()

    @tool
    async def slow_lookup(order_id: str) -> str:
        """Find an order, slowly."""
        started.set()
        await release.wait()
        return f"{order_id} shipped"

    model = ScriptedModel(
        [[Say("Let me check."), Call("slow_lookup", {"order_id": "A-10"})], [Say("It shipped.")]]
    )
    async with LocalRealtimeServer(model=model) as server:
        call = await server.create_call()
        agent = Agent("shop", "Help.", tools=[slow_lookup], reconnect=FAST_RECONNECT)
        with anyio.fail_after(15):
            async with (
                agent.connect(server.endpoint(), call_id=call.id) as session,
                session.events() as events,
            ):
                await call.hear(utterance("Where is A-10?"))
                await started.wait()
                call.sidebands[0].cut()
                if not release_after_reattach:
                    release.set()  # the tool may finish while no sideband is attached
                async for event in events:
                    if isinstance(event, Reconnected):
                        assert event.replayed_items == 0
                        release.set()
                    if isinstance(event, TurnDone):
                        break
        assert len(call.sidebands) == 2
        [call_id] = {c for c in posted_outputs(call)}
        assert posted_outputs(call) == [call_id]  # one output, posted once, on the new sideband
        assert len(outputs_in_conversation(call)) == 1
        assert len(creates(call)) == 1
        assert assistant_texts(call) == ["Let me check.", "It shipped."]
        # Nothing was replayed into the call that still holds the conversation.
        second = call.sidebands[1].sent_types()
        assert second[0] == "session.update"
        assert second.count("conversation.item.create") == 1


async def test_barge_in_on_a_call_cancels_the_response_and_clears_what_the_caller_would_hear() -> None:
    long_answer = "This is a long answer that keeps going for quite a while, word after word after word."
    async with LocalRealtimeServer(
        model=ScriptedModel([[Say(long_answer)]]), timing=Timing(delta_delay=0.05)
    ) as server:
        call = await server.create_call()
        agent = Agent("shop", "Help.")
        with anyio.fail_after(15):
            async with agent.connect(server.endpoint(), call_id=call.id) as session:
                async with session.events() as events:
                    await call.hear(utterance("Tell me a story."))
                    async for event in events:
                        if isinstance(event, OutputAudioStarted):
                            await session.interrupt()
                        if isinstance(event, Interrupted):
                            assert event.item_id is None  # nothing to truncate: the service knows
                        if isinstance(event, OutputAudioCleared):
                            break
                await call.peer.wait_for(ResponseDone)
        sent = call.sidebands[0].sent_types()
        assert sent.index("response.cancel") < sent.index("output_audio_buffer.clear")
        assert "conversation.item.truncate" not in sent
        assert await call.peer.wait_for(OutputAudioBufferCleared)
        [done] = await call.peer.wait_for(ResponseDone)
        assert isinstance(done, ResponseDone)
        assert done.response.status == "cancelled"


async def test_the_session_ends_cleanly_when_the_call_is_hung_up() -> None:
    async with LocalRealtimeServer(model=ScriptedModel([])) as server:
        call = await server.create_call()
        agent = Agent("shop", "Help.", reconnect=FAST_RECONNECT)
        with anyio.fail_after(10):
            async with agent.connect(server.endpoint(), call_id=call.id) as session:
                async with session.events() as events:
                    await call.hang_up()
                    async for _ in events:
                        pass  # the stream ends when the call does
                assert session.call_ended
                assert session.closed
                assert session.failure is None
        assert len(call.sidebands) == 1  # no attempt to re-attach to a call that is over


async def test_an_unknown_call_id_is_refused_with_the_services_error() -> None:
    async with LocalRealtimeServer() as server:
        agent = Agent("shop", "Help.")
        async with no_leaks():  # the refused attach leaves no task and no socket behind
            with pytest.raises(HandshakeError) as caught, anyio.fail_after(10):
                async with agent.connect(server.endpoint(), call_id="rtc_nosuchcall"):
                    pass
        assert caught.value.status == 404
        assert caught.value.code == "call_id_not_found"


async def test_a_call_that_ended_cannot_be_attached_again() -> None:
    async with LocalRealtimeServer() as server:
        call = await server.create_call()
        await call.hang_up()
        with pytest.raises(HandshakeError) as caught, anyio.fail_after(10):
            async with Agent("shop").connect(server.endpoint(), call_id=call.id):
                pass
        assert caught.value.status == 404


async def test_a_refused_session_update_fails_the_attach_clearly() -> None:
    async with LocalRealtimeServer() as server:
        call = await server.create_call()
        agent = Agent("shop", "Help.", session_options=SessionConfig(type="transcription"))
        agent.voice = "alloy"  # a voice on a transcription session is refused by the service
        with pytest.raises(HandshakeError, match=r"refused the session\.update"), anyio.fail_after(10):
            async with agent.connect(server.endpoint(), call_id=call.id):
                pass
        assert not call.ended  # the caller's call goes on; only our attach failed


def test_sideband_urls_for_openai_and_azure_keep_credentials_out_of_the_url() -> None:
    openai = Endpoint.openai("sk-test", "gpt-realtime").for_call("rtc_abc123")
    assert openai.url == "wss://api.openai.com/v1/realtime?call_id=rtc_abc123"
    assert openai.call_id == "rtc_abc123"
    azure = Endpoint.azure("https://res.openai.azure.com", "my-deployment", api_key="k").for_call("rtc_x")
    assert azure.url == "wss://res.openai.azure.com/openai/v1/realtime?call_id=rtc_x"
    assert (
        azure.auth.description
        == Endpoint.azure("https://res.openai.azure.com", "d", api_key="k").auth.description
    )
    entra = Endpoint.azure("https://res.openai.azure.com", "dep", credential=object()).for_call("rtc_x")  # type: ignore[arg-type]
    assert "Entra" in entra.auth.description or "token" in entra.auth.description.lower()
    with pytest.raises(EndpointError, match="GA"):
        Endpoint.azure(
            "https://res.openai.azure.com", "d", api_key="k", api_version="2025-04-01-preview"
        ).for_call("rtc_x")
    for bad in ("", "rtc x", "rtc_1&model=other", "../../x"):
        with pytest.raises(EndpointError, match="call id"):
            Endpoint.openai("sk-test").for_call(bad)
    assert Dialect.GA is openai.dialect
