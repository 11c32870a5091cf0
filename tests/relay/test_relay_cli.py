"""`agentkit relay MODULE:AGENT`: registered with the CLI; clear errors for bad targets and no endpoint."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from agentkit.cli import build_parser, main
from agentkit.relay import Relay, bearer_auth
from agentkit.relay import cli as relay_cli
from agentkit.relay.cli import TargetError, exposure_warning, is_loopback, load_target

from .relay_helpers import Client, make_agent

ROOT = Path(__file__).resolve().parents[2]

agent = make_agent()
relay = Relay(agent, path="/voice")
not_an_agent = 42


def test_relay_command_is_registered() -> None:
    args = build_parser().parse_args(
        ["relay", "pkg.mod:agent", "--port", "9000", "--allow-origin", "https://a.example"]
    )
    assert args.target == "pkg.mod:agent"
    assert args.port == 9000
    assert args.origins == ["https://a.example"]
    assert args.handler is not None


def test_targets_load_agents_relays_and_factories() -> None:
    assert load_target(f"{__name__}:agent") is agent
    assert load_target(f"{__name__}:relay") is relay
    assert isinstance(load_target(f"{__name__}:make_agent"), type(agent))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_colon", "expected MODULE:AGENT"),
        ("no_such_module_xyz:agent", "cannot import no_such_module_xyz"),
        (f"{__name__}:not_an_agent", "is not an Agent or Relay (got int)"),
        (f"{__name__}:missing", f"{__name__} has no attribute 'missing'"),
        ("no_such_file.py:agent", "cannot import no_such_file.py: no such Python file"),
    ],
)
def test_bad_targets_say_what_is_wrong(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_target(target)


def test_the_command_exits_with_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT_NAME",
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["relay", "no_colon"]) == 2
    assert "expected MODULE:AGENT" in capsys.readouterr().err
    assert main(["relay", f"{__name__}:agent"]) == 2
    assert "no model endpoint" in capsys.readouterr().err


def test_a_half_configured_environment_is_a_clear_error_without_the_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_OPENAI_DEPLOYMENT_NAME", raising=False)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.invalid")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sk-relay-secret-8080")
    assert main(["relay", f"{__name__}:agent"]) == 2
    err = capsys.readouterr().err
    assert "agentkit relay: AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_DEPLOYMENT_NAME is not" in err
    assert "sk-relay-secret-8080" not in err


@pytest.mark.parametrize(("port", "message"), [("70000", "a port is 0 to 65535"), ("http", "not a port")])
def test_a_bad_port_is_refused_by_the_parser(
    port: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["relay", f"{__name__}:agent", "--port", port])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


BOT_FILE = '''
from agentkit import Agent, tool


@tool
def lookup_order(order_id: str) -> dict:
    """Look up an order by its order id and tell its delivery status.

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "shipped", "tracking_number": "TRK-" + order_id}


agent = Agent("filebot", "Help customers.", tools=[lookup_order])
'''


async def serve_and_ask(
    target: str, question: str, expected: str, banner_name: str, env: dict[str, str]
) -> list[dict[str, Any]]:
    """Run `agentkit relay TARGET --local` as a user does, ask one typed question on its WebSocket,
    stop it with Ctrl-C; returns the events the client saw."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "agentkit", "relay", target]
    options = ["--local", "--tool-notices", "--host", "127.0.0.1", "--port", str(port)]
    async with await anyio.open_process([*command, *options], cwd=ROOT, env=env) as process:
        assert process.stdout is not None
        try:
            with anyio.fail_after(30):
                banner = b""
                while b"\n" not in banner:
                    banner += await process.stdout.receive()
                assert f"agentkit relay: {banner_name} at http://127.0.0.1:{port}/".encode() in banner
                async with httpx.AsyncClient() as http:
                    page = await http.get(f"http://127.0.0.1:{port}/")
                assert page.status_code == 200
                async with connect(f"ws://127.0.0.1:{port}/realtime") as websocket:
                    user = Client(websocket)
                    await user.until_type("session.created")
                    await user.say(question)
                    assert expected in await user.answer()
                process.send_signal(signal.SIGINT)
                assert await process.wait() == 0
        finally:
            if process.returncode is None:
                process.kill()
    return user.events


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_"))}
    return {**env, **extra}


@pytest.mark.anyio
@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")
async def test_the_standalone_command_serves_the_page_and_a_conversation() -> None:
    events = await serve_and_ask(
        "tests.relay.relay_helpers:make_agent",
        "Where is my order A-1001?",
        "TRK-A-1001",
        "shop",
        offline_env(),
    )
    assert any(e["type"] == "agentkit.tool_activity" for e in events)


@pytest.mark.anyio
@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")
async def test_the_command_serves_an_agent_from_a_py_file(tmp_path: Path) -> None:
    bot = tmp_path / "filebot.py"
    bot.write_text(BOT_FILE)
    await serve_and_ask(f"{bot}:agent", "Where is my order A-1003?", "TRK-A-1003", "filebot", offline_env())


@pytest.mark.anyio
@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")
async def test_the_example_bot_is_a_ready_target_on_the_default_database(tmp_path: Path) -> None:
    env = offline_env(XDG_DATA_HOME=str(tmp_path / "data"))  # the default database, in a fresh home
    await serve_and_ask(
        "examples.customer_service:agent", "Where is my order A-1002?", "A-1002", "shop assistant", env
    )
    assert (tmp_path / "data" / "agentkit" / "customer_service.sqlite3").is_file()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts_need_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert exposure_warning(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.20", "shop.example"])
def test_other_hosts_warn_unless_clients_authenticate(host: str) -> None:
    assert not is_loopback(host)
    warning = exposure_warning(host, None)
    assert warning is not None
    assert "no client authentication" in warning
    assert exposure_warning(host, bearer_auth({"a-client-token"})) is None


unguarded_relay = Relay(agent)
guarded_relay = Relay(agent, auth=bearer_auth({"a-client-token"}))


@pytest.mark.parametrize(
    ("target", "host", "warns"),
    [
        (f"{__name__}:agent", "0.0.0.0", True),
        (f"{__name__}:unguarded_relay", "0.0.0.0", True),
        (f"{__name__}:guarded_relay", "0.0.0.0", False),
        (f"{__name__}:agent", "127.0.0.1", False),
    ],
)
def test_the_command_warns_on_stderr_before_serving_an_open_relay_beyond_loopback(
    target: str, host: str, warns: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []

    async def serve_nothing(target: object, args: object) -> None:  # no socket is opened
        served.append(host)

    monkeypatch.setattr(relay_cli, "_serve", serve_nothing)
    assert main(["relay", target, "--local", "--host", host]) == 0
    assert served == [host]
    printed = capsys.readouterr()
    assert printed.out == ""
    expected = f"agentkit relay: warning: listening on {host} with no client authentication"
    assert (expected in printed.err) is warns
    assert printed.err.count("\n") == (1 if warns else 0)


def test_the_command_serves_loopback_its_listening_name_and_the_allowed_hosts() -> None:
    from agentkit.relay.cli import served_names
    from agentkit.relay.hosts import AllowedHosts

    assert AllowedHosts(served_names("127.0.0.1", [])).allows("localhost:8080")
    assert not AllowedHosts(served_names("0.0.0.0", [])).allows("0.0.0.0:8080")
    assert AllowedHosts(served_names("voice.lan", [])).allows("voice.lan:8080")
    allowed = AllowedHosts(served_names("0.0.0.0", ["shop.example"]))
    assert allowed.allows("shop.example")
    assert allowed.allows("127.0.0.1:80")
    assert not allowed.allows("rebind.attacker.example:8080")
