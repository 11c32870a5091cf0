"""`agentkit relay MODULE:AGENT --workers N`: N uvicorn workers on one port; SIGTERM drains each
(the client is told to resume with 1012 and its token) and the command exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect

from tests.relay.relay_helpers import Client
from tests.scale.cluster import free_port, http_status, until
from tests.terminal import offline_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
pytest.importorskip("uvicorn", reason="--workers needs uvicorn (the serve extra; in the test extra)")


async def test_workers_share_one_port_and_drain_on_sigterm() -> None:
    port = free_port()
    command = [sys.executable, "-m", "agentkit", "relay", "examples.customer_service:agent", "--local"]
    process = subprocess.Popen(  # noqa: ASYNC220 (it runs for the whole test)
        [*command, "--port", str(port), "--workers", "2", "--drain-seconds", "10"],
        env=offline_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await until(lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, "the workers", 60)
        async with connect(f"ws://127.0.0.1:{port}/realtime") as websocket:
            user = Client(websocket)
            await user.until_type("session.created")
            await user.until_type("agentkit.resume")
            await user.say("Where is my order A-1001?")
            assert "A-1001" in await user.answer()
            process.send_signal(signal.SIGTERM)
            closing = await user.until_type("agentkit.resume", within=20)  # the token, again, then 1012
            assert closing["token"]
            await websocket.wait_closed()
            assert websocket.close_code == 1012
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert output.count(b"Started server process") == 2
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
