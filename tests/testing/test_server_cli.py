"""`agentkit local-server` prints the URLs it serves and answers on them."""

from __future__ import annotations

import os
import signal
import sys

import anyio
import anyio.abc
import pytest
from websockets.asyncio.client import connect

from agentkit.cli import build_parser

pytestmark = pytest.mark.anyio
REALISTIC = ("--timing", "realistic")


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["local-server", "--port", "0", "--api-key", "k"])
    assert args.port == 0
    assert args.api_key == "k"
    assert args.timing == "fast"
    assert callable(args.handler)
    assert build_parser().parse_args(["local-server", "--timing", "realistic"]).timing == "realistic"


async def test_local_server_command_serves_until_interrupted() -> None:
    process = await anyio.open_process(
        [sys.executable, "-m", "agentkit", "local-server", "--port", "0", "--api-key", "cli-key", *REALISTIC],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        with anyio.fail_after(20):
            buffer = b""
            while len(lines) < 8:
                buffer += await process.stdout.receive()
                lines = buffer.decode().splitlines()
        urls = {line.split()[0]: line.split()[1] for line in lines[:4]}
        assert set(urls) == {"openai-ga", "azure-ga", "azure-preview", "endpoint"}
        assert "/openai/realtime?api-version=" in urls["azure-preview"]
        assert lines[4] == "hearing: real speech, offline (pocketsphinx, biased to each session's tools)"
        assert lines[5].startswith("timing: realistic (0.6 s to think, speech at speaking rate;")
        assert lines[6].split()[0] == "voice-live"
        assert "/voice-live/realtime?api-version=" in lines[6]
        assert lines[7].split() == ["gpt-live", urls["openai-ga"].split("/v1/")[0] + "/v1/live/sessions"]
        assert "cli-key" not in buffer.decode()
        async with connect(urls["openai-ga"], additional_headers={"api-key": "cli-key"}) as websocket:
            with anyio.fail_after(5):
                assert '"session.created"' in str(await websocket.recv())
    finally:
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(10):
            code = await process.wait()
    assert code == 0


def test_an_impossible_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["local-server", "--port", "99999"])
    assert exit_info.value.code == 2
    assert "a port is 0 to 65535, not 99999" in capsys.readouterr().err


async def test_a_taken_port_is_a_clear_error_not_a_traceback() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        with anyio.fail_after(30):
            result = await anyio.run_process(
                [sys.executable, "-m", "agentkit", "local-server", "--port", str(port)], check=False
            )
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert f"agentkit local-server: cannot listen on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr
