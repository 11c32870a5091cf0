"""The voice page in a real browser: headless Chromium (the system's, never a download) driven by
Playwright, with a fake microphone playing a WAV file. The page connects through the relay, its
speech is detected upstream, a spoken answer plays, and a typed question gets a tool notice and an
answer. Skips (saying why) only when Chromium or Playwright is missing."""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit.protocol import InputAudioBufferAppend, InputAudioBufferSpeechStarted
from agentkit.relay import Relay, RelayServer
from agentkit.testing import LocalRealtimeServer
from agentkit.testing.speech import resample, silence, synthesize

from .relay_helpers import LABEL, make_agent, running_relay

pytestmark = pytest.mark.anyio

CHROMIUM = os.environ.get("AGENTKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
WAV_RATE = 48_000
STEP_MS = 20_000
"""Playwright's limit for each wait in the page (the whole test is bounded by `fail_after` too)."""


def chromium_args(wav: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]


def write_microphone_wav(path: Path) -> None:
    """A short question, then a long silence (Chromium loops the file: the typed turn fits in the quiet)."""
    speech = synthesize("Hello there, can you hear me?")
    pcm = silence(400) + speech + silence(12_000)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(resample(pcm, 24_000, WAV_RATE))


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); .ci/run installs it where apt works"
        )
    playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the test extra")
    wav = tmp_path / "microphone.wav"
    write_microphone_wav(wav)
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(wav), timeout=STEP_MS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_the_page_talks_to_the_agent_through_the_relay(browser: Any) -> None:
    async with running_relay() as (upstream, server):
        page = await browser.new_page(bypass_csp=True)  # the page's CSP forbids the test's eval()
        page.set_default_timeout(STEP_MS)
        with anyio.fail_after(90):
            await page.goto(server.http_url)
            await page.click("#start")  # a user gesture: the audio context may run
            await page.wait_for_function("window.agentkitRelay.state.connected")
            await page.wait_for_function("window.agentkitRelay.state.micActive")
            assert await page.title() == "shop"  # the agent's name, not "Voice agent"
            assert await page.locator("#listening").inner_text() in ("Listening", "Hearing you…")
            # The level meter moves with the fake microphone's speech.
            await page.wait_for_function("window.agentkitRelay.state.micPeak > 0.05")

            # The microphone streams through the relay and the model's VAD hears speech.
            connection = upstream.connections[0]
            while not any(isinstance(e, InputAudioBufferSpeechStarted) for e in connection.sent):  # noqa: ASYNC110
                await anyio.sleep(0.05)
            assert any(isinstance(e, InputAudioBufferAppend) for e in connection.received)

            # A spoken answer arrives and plays.
            await page.wait_for_function("window.agentkitRelay.state.receivedAudioMs > 0")
            await page.wait_for_function(
                "window.agentkitRelay.state.transcript.some(e => e.role === 'assistant' && e.text)"
            )
            assert await page.evaluate("window.agentkitRelay.state.sentAudioMs") > 0

            # A typed question: a tool notice, then an answer built from the tool's result.
            await page.fill("#message", "Where is my order A-1001?")
            await page.press("#message", "Enter")
            await page.wait_for_function(
                "window.agentkitRelay.state.notices.some(n => n.phase === 'finished' && n.ok)"
            )
            await page.wait_for_function("window.agentkitRelay.state.transcriptText.includes('TRK-A-1001')")

        # The relay's echo of the typed message keeps the page's id: it is shown once.
        typed = await page.evaluate(
            "window.agentkitRelay.state.transcript.filter(e => e.text === 'Where is my order A-1001?')"
        )
        assert [entry["role"] for entry in typed] == ["user"]
        notices = await page.evaluate("window.agentkitRelay.state.notices.map(n => [n.label, n.phase])")
        assert [LABEL, "finished"] in notices
        assert await page.evaluate("window.agentkitRelay.state.errors") == []
        assert await page.locator("#notices").inner_text() == f"{LABEL} ✓"
        await page.close()


ECHO_UNDER_ANOTHER_ID = """() => {
  const relay = window.agentkitRelay;
  relay.sendText("Hello from the page");
  relay.receive({
    type: "conversation.item.added",
    item: { id: "item_server9", type: "message", role: "user",
            content: [{ type: "input_text", text: "Hello from the page" }] },
  });
}"""


async def test_the_page_shows_a_typed_message_once_even_when_a_server_re_ids_it(browser: Any) -> None:
    async with running_relay() as (_, server):
        page = await browser.new_page(bypass_csp=True)
        page.set_default_timeout(STEP_MS)
        with anyio.fail_after(60):
            await page.goto(server.http_url)
            await page.click("#start")
            await page.wait_for_function("window.agentkitRelay.state.connected")
            await page.evaluate(ECHO_UNDER_ANOTHER_ID)
            await page.wait_for_function(
                "window.agentkitRelay.state.transcript.some(e => e.role === 'assistant' && e.text)"
            )
        users = await page.evaluate("window.agentkitRelay.state.transcript.filter(e => e.role === 'user')")
        assert [entry["text"] for entry in users] == ["Hello from the page"]
        assert await page.locator("#transcript li.user").count() == 1
        await page.close()


async def test_the_page_sends_its_ticket_in_a_subprotocol_never_in_the_url(browser: Any) -> None:
    from agentkit.relay import TicketSigner

    signer = TicketSigner("a-browser-test-secret-of-32-bytes")
    seen: list[tuple[str | None, str]] = []

    def recording(handshake: Any) -> bool:
        seen.append((handshake.query.get("ticket"), handshake.headers.get("sec-websocket-protocol", "")))
        return signer.auth()(handshake) is True

    async with running_relay(auth=recording) as (_, server):
        ticket = signer.issue("user-1")
        page = await browser.new_page(bypass_csp=True)
        page.set_default_timeout(STEP_MS)
        with anyio.fail_after(60):
            await page.goto(f"{server.http_url}?ticket={ticket}")
            assert "ticket" not in page.url  # the page takes it out of the address bar
            await page.click("#start")
            await page.wait_for_function("window.agentkitRelay.state.connected")
        assert seen[0][0] is None  # not in the WebSocket URL, so in no access log
        assert f"agentkit.ticket.{ticket}" in seen[0][1]


async def test_the_page_resumes_its_conversation_when_the_connection_drops(browser: Any) -> None:
    async with (
        LocalRealtimeServer() as upstream,
        RelayServer(Relay(make_agent(), upstream.endpoint())) as server,
    ):
        page = await browser.new_page(bypass_csp=True)
        page.set_default_timeout(STEP_MS)
        with anyio.fail_after(90):
            await page.goto(server.http_url)
            await page.click("#start")
            await page.wait_for_function("window.agentkitRelay.state.resumable")
            await page.evaluate("window.agentkitRelay.sendText('Where is my order A-1001?')")
            await page.wait_for_function("window.agentkitRelay.state.transcriptText.includes('TRK-A-1001')")
            first = upstream.connections[-1]
            assert server._server is not None
            for connection in list(server._server.connections):  # the network drops the page's socket
                connection.transport.abort()
            await page.wait_for_function("window.agentkitRelay.state.resumes === 1")
            await page.wait_for_function("window.agentkitRelay.state.connected")
            await page.evaluate("window.agentkitRelay.sendText('And where is order B-2002?')")
            await page.wait_for_function("window.agentkitRelay.state.transcriptText.includes('TRK-B-2002')")
        resumed = upstream.connections[-1]
        assert resumed is not first
        texts = [getattr(item, "text", "") for item in resumed.conversation.items]
        assert "Where is my order A-1001?" in texts  # the new upstream session has the earlier turn
