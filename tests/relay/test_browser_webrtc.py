"""The voice page over WebRTC in a real browser: headless Chromium (the system's) with a fake
microphone playing real speech (espeak-ng) posts its offer to the relay's offer endpoint with its
ticket; the local server answers with real media (aiortc), hears the question (Opus, then
pocketsphinx), and the model calls a tool that runs in this process; the spoken answer reaches the
page's audio element (measured with WebAudio in the page). The browser gets the call's events (and
so tool traffic) only when the operator allows a data channel, and shows notices only when allowed."""

from __future__ import annotations

import shutil
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.relay import Relay, RelayPolicy, RelayServer
from agentkit.relay.auth import TicketSigner
from agentkit.state import SharedState
from agentkit.testing import LocalRealtimeServer
from agentkit.testing.hearing import SphinxRecogniser
from agentkit.testing.speech import espeak_speech, resample, silence

from .test_browser_page import CHROMIUM, STEP_MS, WAV_RATE, chromium_args

pytestmark = pytest.mark.anyio

LABEL = "Looking up your order"
ran: list[str] = []


@tool
def lookup_order(order_id: str) -> str:
    """Look up an order by its id.

    Args:
        order_id: The order number, like A-1003.
    """
    ran.append(order_id)
    return f"order {order_id} shipped yesterday"


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (.ci/run installs it): the question must be real speech")
    playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the test extra")
    question = espeak_speech("Where is my order A-1003?")
    assert question is not None
    wav = tmp_path / "question.wav"
    with wave.open(str(wav), "wb") as out:  # Chromium loops the file: one question, then a long quiet
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(resample(silence(500) + question + silence(20_000), 24_000, WAV_RATE))
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(wav), timeout=STEP_MS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.mark.parametrize("notices", [False, True], ids=["audio only", "notices allowed"])
async def test_the_page_calls_over_webrtc_and_the_tool_runs_on_the_server(
    browser: Any, notices: bool
) -> None:
    ran.clear()
    signer = TicketSigner(b"w" * 32)
    agent = Agent("shop", "You help shop customers.", tools=[lookup_order])
    policy = RelayPolicy(tool_notices=notices, tool_labels={"lookup_order": LABEL})
    async with LocalRealtimeServer(hearing=SphinxRecogniser(), transcribe=lambda pcm: None) as server:
        relay = Relay(
            agent,
            server.endpoint(),
            policy=policy,
            webrtc=True,
            webrtc_data_channel=notices,
            auth=signer.auth(),
            state=SharedState.memory(),
        )
        async with RelayServer(relay) as relay_server:
            page = await browser.new_page(bypass_csp=True)  # the page's CSP forbids the test's eval()
            page.set_default_timeout(STEP_MS)
            with anyio.fail_after(40):
                await page.goto(f"{relay_server.http_url}?ticket={signer.issue('user-1')}")
                await page.click("#start")
                await page.wait_for_function("window.agentkitRelay.state.transport === 'webrtc'")
                await page.wait_for_function("window.agentkitRelay.state.connected")
                [call] = server.calls.values()
                assert call.media is not None
                # The spoken answer plays on the page: WebAudio hears it on the answer's track.
                await page.wait_for_function("window.agentkitRelay.state.answerLoudMs > 300")
                if notices:
                    await page.wait_for_function(
                        "window.agentkitRelay.state.notices.some(n => n.phase === 'finished')"
                    )
            state = await page.evaluate(
                "(({state}) => ({notices: state.notices.map(n => [n.label, n.phase]),"
                " events: state.dataChannelEvents, peak: state.answerPeak, micPeak: state.micPeak}))"
                "(window.agentkitRelay)"
            )
            await page.close()
    assert ran == ["A-1003"], "the tool ran in this process, with the order id the browser spoke"
    assert state["peak"] > 0.05
    assert state["micPeak"] > 0.05
    assert call.media.heard_ms > 1000, "the browser's microphone reached the call's hearing"
    if notices:
        assert [LABEL, "finished"] in state["notices"]
        assert "session.created" in state["events"]
    else:
        assert state["events"] == [], "no data channel: the browser received no event of the call"
        assert state["notices"] == []
        assert not call.media.had_data_channel


async def test_a_browser_without_webrtc_falls_back_to_the_websocket(browser: Any) -> None:
    signer = TicketSigner(b"w" * 32)
    agent = Agent("shop", "You help shop customers.", tools=[lookup_order])
    async with LocalRealtimeServer(hearing=None) as server:
        relay = Relay(agent, server.endpoint(), webrtc=True, auth=signer.auth(), state=SharedState.memory())
        async with RelayServer(relay) as relay_server:
            page = await browser.new_page(bypass_csp=True)
            page.set_default_timeout(STEP_MS)
            await page.add_init_script("delete window.RTCPeerConnection")
            with anyio.fail_after(20):
                await page.goto(f"{relay_server.http_url}?ticket={signer.issue('user-1')}")
                assert await page.evaluate("window.agentkitRelay.config.webrtcPath") == "webrtc/offer"
                await page.click("#start")
                await page.wait_for_function("window.agentkitRelay.state.connected")
                transport = await page.evaluate("window.agentkitRelay.state.transport")
            await page.close()
        assert transport == "websocket"
        assert server.calls == {}, "no WebRTC call was made"
        assert len(server.connections) == 1, "the relay's WebSocket session"
