"""The contract `python -m examples.customer_service --attach CALL_ID`: the bot, as its own process,
attaches to a call the local server holds (the endpoint from the usual environment variables), runs
the tool the caller's speech asks for, prints one line for it, and exits 0 when the call ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import anyio.abc
import pytest

from agentkit.protocol import ResponseDone, SessionUpdated
from agentkit.testing import LocalRealtimeServer
from tests.channels.calls import outputs_in_conversation, utterance
from tests.terminal import offline_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.anyio


async def test_attach_serves_the_call_prints_each_tool_call_and_exits_0_when_it_ends(tmp_path: Path) -> None:
    async with LocalRealtimeServer() as server:
        call = await server.create_call()
        env = {
            **offline_env(),
            "OPENAI_API_KEY": str(server.api_key),
            "OPENAI_BASE_URL": f"{server.http_url}/v1",
        }
        command = [
            sys.executable,
            "-m",
            "examples.customer_service",
            "--attach",
            call.id,
            "--db",
            str(tmp_path / "db"),
        ]
        with anyio.fail_after(60):
            async with await anyio.open_process(command, cwd=ROOT, env=env) as process:
                await call.peer.wait_for(SessionUpdated)
                await call.hear(utterance("Please track order A-1002"))
                await call.peer.wait_for(ResponseDone, count=2)  # the tool round and the answer
                await call.hang_up()
                status = await process.wait()
                assert process.stdout is not None
                assert process.stderr is not None
                out = (await _read_all(process.stdout)).decode()
                err = (await _read_all(process.stderr)).decode()
    assert status == 0, err
    assert out.splitlines() == ['tool track_shipment {"order_id": "A-1002"} -> ok']
    assert f"Attaching to call {call.id}" in err
    assert f"Call {call.id} ended." in err
    assert "local-key" not in out + err
    [output] = outputs_in_conversation(call)
    assert "FedEx" in output.output


async def _read_all(stream: anyio.abc.ByteReceiveStream) -> bytes:
    chunks = []
    async for chunk in stream:
        chunks.append(chunk)
    return b"".join(chunks)


def test_attach_without_an_endpoint_says_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "examples.customer_service",
            "--attach",
            "rtc_x",
            "--db",
            str(tmp_path / "db"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=offline_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "--attach needs the service that holds the call" in result.stderr
