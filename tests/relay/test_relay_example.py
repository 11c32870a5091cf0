"""`python -m examples.customer_service --serve`: the bot behind the relay, offline (local server)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from examples.customer_service.app import Console, run
from examples.customer_service.serve import TOOL_LABELS
from tests.channels.rtc_client import Caller

from .relay_helpers import Client

pytestmark = pytest.mark.anyio


async def test_serve_mode_lets_a_browser_client_talk_to_the_bot(tmp_path: Path) -> None:
    stderr = io.StringIO()
    console = Console(io.StringIO(), io.StringIO(), stderr)
    argv = ["--serve", "--port", "0", "--db", str(tmp_path / "shop.sqlite3")]
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run(argv, console=console, environ={}))
        with anyio.fail_after(20):
            while not (found := re.search(r"Open (http://\S+/) in a browser", stderr.getvalue())):  # noqa: ASYNC110
                await anyio.sleep(0.02)
            url = found.group(1)
            async with httpx.AsyncClient() as http:
                assert (await http.get(url)).status_code == 200
            async with connect(url.replace("http://", "ws://") + "realtime") as websocket:
                user = Client(websocket)
                await user.until_type("session.created")
                await user.say("Where is my order A-1001?")
                answer = await user.answer()
                assert "A-1001" in answer
                notices = [e["label"] for e in user.events if e["type"] == "agentkit.tool_activity"]
                assert TOOL_LABELS["lookup_order"] in notices
                assert "lookup_order" not in "\n".join(user.frames)
        tg.cancel_scope.cancel()


async def test_serve_mode_offers_webrtc_on_its_page_and_takes_a_call(tmp_path: Path) -> None:
    stderr = io.StringIO()
    console = Console(io.StringIO(), io.StringIO(), stderr)
    argv = ["--serve", "--port", "0", "--db", str(tmp_path / "shop.sqlite3")]
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run(argv, console=console, environ={}))
        with anyio.fail_after(20):
            while not (found := re.search(r"Open (http://\S+/) in a browser", stderr.getvalue())):  # noqa: ASYNC110
                await anyio.sleep(0.02)
            url = found.group(1)
            async with httpx.AsyncClient() as http:
                page = (await http.get(url)).text
                assert '<meta name="agentkit-relay-webrtc" content="webrtc/offer" />' in page
                caller = Caller()
                try:
                    offer = await caller.offer()
                    answer = await http.post(
                        url + "webrtc/offer", content=offer, headers={"Content-Type": "application/sdp"}
                    )
                    assert answer.status_code == 201, answer.text
                    await caller.accept(answer.text)
                    await caller.wait(lambda: "session.updated" in caller.types())
                finally:
                    await caller.close()
        tg.cancel_scope.cancel()
