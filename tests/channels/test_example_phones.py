"""The example bot on the phone: `--serve` answers on the carriers' exact paths, `--phone-demo` places
a simulated Twilio call offline."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import anyio
import httpx
import pytest

from agentkit.testing.callers import TwilioCaller
from examples.customer_service.app import Console, run

pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")
pytestmark = pytest.mark.anyio

TOKEN = "example-twilio-token-SECRET"
SECRET = "whsec_" + base64.b64encode(b"example-sip-webhook-secret-32byt").decode()


async def test_phone_demo_prints_the_call_with_its_tool_lines(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = await run(
        ["--phone-demo", "--db", str(tmp_path / "shop.sqlite3")],
        console=Console(io.StringIO(), out, err),
        environ={},
    )
    text = out.getvalue()
    assert status == 0, err.getvalue()
    assert "simulated Twilio call" in text
    assert "lookup_order(order_id='A-1001')" in text
    assert "search_faq(" in text
    assert "Order A-1001 has been delivered" in text
    assert re.search(r"heard [0-9.]+ s of answers in [1-9][0-9]* mu-law frames", text)
    assert "closed with code 1000" in text


async def test_serve_answers_every_carrier_on_its_path(tmp_path: Path) -> None:
    stderr = io.StringIO()
    console = Console(io.StringIO(), io.StringIO(), stderr)
    environ = {"TWILIO_AUTH_TOKEN": TOKEN, "OPENAI_WEBHOOK_SECRET": SECRET}
    argv = ["--serve", "--port", "0", "--db", str(tmp_path / "shop.sqlite3"), "--approvals", "allow"]
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run(argv, console=console, environ=environ))
        with anyio.fail_after(20):
            while not (found := re.search(r"Open (http://\S+)/ in a browser", stderr.getvalue())):  # noqa: ASYNC110
                await anyio.sleep(0.02)
        url = found.group(1)
        for path in ("/twilio/voice", "/twilio/stream", "/acs/stream", "/acs/events", "/sip/webhook"):
            assert f"{url}{path}" in stderr.getvalue()
        async with httpx.AsyncClient() as http:
            assert (await http.get(url + "/")).status_code == 200  # the voice page is still there
            unsigned = await http.post(url + "/twilio/voice", data={"CallSid": "CA1"})
            assert unsigned.status_code == 403
            forged = await http.post(url + "/sip/webhook", content=b"{}", headers={"webhook-id": "x"})
            assert forged.status_code == 401
            unconfigured = await http.post(url + "/acs/events", json=[])
            assert unconfigured.status_code == 503
            assert "ACS_CONNECTION_STRING" in unconfigured.text
        # A whole phone call to the served bot.
        async with TwilioCaller(url, TOKEN, pace=0.5) as call:
            await call.say("Where is my order A-1001?")
            assert await call.wait_answer()
        assert call.close_code == 1000
        tg.cancel_scope.cancel()
    assert TOKEN not in stderr.getvalue()
