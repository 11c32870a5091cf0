"""`agentkit chat MODULE:ATTRIBUTE`: piped input, a real terminal (pty), bad targets, and the view."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.console import ChatView
from agentkit.engine import ArgumentsDelta, TextDelta, ToolCallFinished, ToolCallStarted
from tests.terminal import interrupt_at_prompt, offline_env, run_on_terminal

ROOT = Path(__file__).resolve().parents[1]

AGENT_MODULE = '''
from agentkit import Agent, ToolError, tool


@tool
def lookup_order(order_id: str) -> dict:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    if order_id == "A-1002":
        raise ToolError("No order A-1002.")
    return {"order_id": order_id, "status": "shipped"}


agent = Agent("shopbot", "Help customers.", tools=[lookup_order], output_modalities=["text"])
not_an_agent = 42
'''


@pytest.fixture
def bot_file(tmp_path: Path) -> Path:
    path = tmp_path / "shopbot.py"
    path.write_text(AGENT_MODULE)
    return path


def chat(
    target: str, stdin: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentkit", "chat", target],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or offline_env(),
        timeout=60,
        check=False,
    )


def test_piped_lines_are_echoed_and_answered_with_tool_calls(bot_file: Path) -> None:
    result = chat("shopbot:agent", "Hello\nCan you check orders A-1001 and A-1002?\n", bot_file.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("local Realtime server") == 1
    out = result.stdout
    assert "Chatting with 'shopbot' (tools: lookup_order)." in out
    assert "you › Hello\nshopbot › Hello!" in out
    assert "you › Can you check orders A-1001 and A-1002?" in out
    assert "⚙ lookup_order(order_id='A-1001')" in out
    assert "✓ lookup_order(order_id='A-1001') · " in out
    assert "✗ lookup_order(order_id='A-1002') · tool_error after " in out
    assert "No order A-1002." in out
    assert out.count("⏱ turn ") == 2
    assert "\x1b[" not in out  # not a terminal: no colours, no line rewriting


def test_a_py_file_target_loads_too(bot_file: Path, tmp_path: Path) -> None:
    result = chat(f"{bot_file}:agent", "Hello\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shopbot › Hello!" in result.stdout


@pytest.mark.parametrize(
    "target", ["examples.customer_service:agent", "examples.customer_service.bot:build_agent"]
)
def test_the_example_bot_is_a_ready_target_on_the_default_database(tmp_path: Path, target: str) -> None:
    """A fresh clone: `agentkit chat examples.customer_service:agent` (or its factory) creates and
    seeds the default shop database (here under a fresh XDG_DATA_HOME) and answers from it."""
    env = {**offline_env(), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = chat(target, "Where is my order A-1002?\n", ROOT, env)
    assert result.returncode == 0, result.stderr
    assert "Chatting with 'shop assistant'" in result.stdout
    assert "lookup_order(order_id='A-1002')" in result.stdout
    assert "27-inch monitor" in result.stdout
    assert (tmp_path / "data" / "agentkit" / "customer_service.sqlite3").is_file()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("shopbot", "expected MODULE:ATTRIBUTE"),
        ("shopbot:missing", "has no attribute 'missing'"),
        ("shopbot:not_an_agent", "shopbot:not_an_agent is not an Agent (got int)"),
        ("no_such_module_here:agent", "No module named 'no_such_module_here'"),
    ],
)
def test_bad_targets_are_clear_errors(bot_file: Path, target: str, message: str) -> None:
    result = chat(target, "", bot_file.parent)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_module_that_fails_to_import_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def agent(:\n")
    result = chat(f"{broken}:agent", "", tmp_path)
    assert result.returncode == 2
    assert f"cannot load {broken}:agent: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_endpoint_is_a_clear_error_without_the_key(bot_file: Path) -> None:
    secret = "sk-chat-secret-5150"
    env = {
        **offline_env(),
        "AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "AZURE_OPENAI_API_KEY": secret,
        "AZURE_OPENAI_DEPLOYMENT_NAME": "gpt-realtime",
    }
    result = chat(f"{bot_file}:agent", "Hello\n", bot_file.parent, env)
    assert result.returncode == 1
    assert "Connecting to Azure OpenAI at ws://127.0.0.1:" in result.stderr
    assert "agentkit chat: could not open the WebSocket" in result.stderr
    assert "Traceback" not in result.stderr
    assert secret not in result.stderr + result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_it_prompts_and_streams_arguments_live(bot_file: Path) -> None:
    text = run_on_terminal(
        [sys.executable, "-m", "agentkit", "chat", "shopbot:agent"],
        b"Check order A-1001\n\x04",  # Ctrl-D at the next prompt ends the chat
        bot_file.parent,
    )
    assert "you › " in text
    assert "\r\x1b[K" in text  # the call's line was rewritten as its arguments streamed
    assert "lookup_order(order_id='A-1001')" in text
    assert "Ctrl-D ends." in text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_ctrl_c_at_the_prompt_quits_at_once(bot_file: Path) -> None:
    status, text = interrupt_at_prompt(
        [sys.executable, "-m", "agentkit", "chat", "shopbot:agent"], "you › ".encode(), bot_file.parent
    )
    assert status == 130
    assert "Traceback" not in text
    assert "Exception ignored" not in text
    assert "KeyboardInterrupt" not in text


def test_the_view_rewrites_a_call_line_while_its_arguments_stream() -> None:
    out = io.StringIO()
    view = ChatView(out, live=True)
    view.show(TextDelta(time=0.0, response_id="r", item_id="i", delta="Let me look."))
    for so_far in ('{"order_id": "A-', '{"order_id": "A-1001"}'):
        view.show(
            ArgumentsDelta(
                time=0.1, call_id="c1", name="lookup_order", delta="", arguments_so_far=so_far, partial={}
            )
        )
    view.show(
        ToolCallStarted(
            time=0.2, call_id="c1", name="lookup_order", arguments='{"order_id": "A-1001"}', response_id="r"
        )
    )
    view.show(
        ToolCallFinished(
            time=0.45,
            call_id="c1",
            name="lookup_order",
            arguments='{"order_id": "A-1001"}',
            output="{}",
            status="ok",
        )
    )
    assert out.getvalue() == (
        "assistant › Let me look.\n"
        '\r\x1b[K  ⚙ lookup_order {"order_id": "A-'
        '\r\x1b[K  ⚙ lookup_order {"order_id": "A-1001"}'
        "\r\x1b[K  ⚙ lookup_order(order_id='A-1001')\n"
        "  ✓ lookup_order(order_id='A-1001') · 250 ms\n"
    )


def test_trace_file_without_the_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """The advice works from a checkout too: `pip install 'agentkit[trace]'` would fetch a package."""
    from agentkit.console.tracefile import TraceFileUnavailable, trace_file_observer

    monkeypatch.setitem(sys.modules, "agentkit.tracing.jsonl", None)  # importing it raises ImportError
    with (
        pytest.raises(
            TraceFileUnavailable, match=r"needs the OpenTelemetry SDK .*: pip install opentelemetry-sdk$"
        ),
        trace_file_observer("spans.jsonl"),
    ):
        pass


def test_the_view_shows_approvals_and_handoffs_and_who_speaks() -> None:
    from agentkit import ApprovalDecided, ApprovalRequested, HandedOff

    out = io.StringIO()
    view = ChatView(out)
    arguments = '{"order_id": "A-1001"}'
    view.show(
        ApprovalRequested(
            time=0.0, call_id="c1", name="refund_order", arguments=arguments, response_id="r", deadline=None
        )
    )
    view.show(ApprovalDecided(time=0.1, call_id="c1", name="refund_order", verdict="approved"))
    view.show(HandedOff(time=0.2, from_agent="triage", to_agent="refunds", reason="a refund", call_id="c2"))
    view.show(TextDelta(time=0.3, response_id="r2", item_id="i", delta="Refunds here."))
    view.finish()
    assert out.getvalue() == (
        "  ⏸ refund_order(order_id='A-1001') waits for approval\n"
        "  ▶ refund_order: approved\n"
        "  → triage handed over to refunds: a refund\n"
        "refunds › Refunds here.\n"
    )
