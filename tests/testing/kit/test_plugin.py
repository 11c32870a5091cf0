"""The pytest plugin as a user meets it: installed with agentkit, found through its entry point, in
a project of its own (a subprocess, so this suite's own conftest plays no part)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

from agentkit.testing import LocalRealtimeServer
from agentkit.testing.kit.judge import NO_CREDENTIALS
from agentkit.testing.kit.plugin import NO_AGENT

USER_TESTS = '''
import pytest

from agentkit import Agent, tool
from agentkit.testing.kit import expect


@tool
def lookup_order(order_id: str) -> dict:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "shipped"}


@pytest.fixture
def agentkit_agent():
    return Agent("shop", tools=[lookup_order], output_modalities=["text"])


@pytest.mark.anyio
async def test_an_order_is_looked_up(agentkit_caller):
    turn = await agentkit_caller.says("Where is my order A-1001?")
    expect(turn).called("lookup_order", order_id="A-1001").said("shipped")


@pytest.mark.anyio
async def test_a_wrong_expectation_shows_the_conversation(agentkit_caller):
    turn = await agentkit_caller.says("Where is my order A-1001?")
    expect(turn).no_tool_called()


@pytest.mark.anyio
async def test_the_judge_needs_credentials(agentkit_caller, agentkit_judge):
    raise AssertionError("never runs offline")
'''

NO_AGENT_TESTS = """
import pytest


@pytest.mark.anyio
async def test_forgot_the_agent(agentkit_session):
    raise AssertionError("never runs")
"""


DOCS = Path(__file__).resolve().parents[3] / "docs" / "testing.md"


def docs_pytest_module() -> str:
    """The pytest module shown in docs/testing.md (the block that starts `# test_shop.py`)."""
    text = DOCS.read_text()
    start = text.index("```python\n# test_shop.py\n") + len("```python\n")
    return text[start : text.index("```", start)]


def run_pytest(folder: Path, *options: str, env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *options, str(folder)],
        cwd=folder,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout


def test_the_plugin_is_an_entry_point() -> None:
    [plugin] = [e for e in entry_points(group="pytest11") if e.name == "agentkit"]
    assert plugin.value == "agentkit.testing.kit.plugin"


def test_a_users_project_gets_the_fixtures_and_readable_failures(tmp_path: Path) -> None:
    (tmp_path / "test_shop.py").write_text(textwrap.dedent(USER_TESTS))
    (tmp_path / "test_forgot.py").write_text(textwrap.dedent(NO_AGENT_TESTS))
    (tmp_path / "test_docs_sample.py").write_text(docs_pytest_module())
    out = run_pytest(tmp_path)
    assert "5 passed" in out, out
    assert "1 failed" in out, out
    assert "1 error" in out, out
    assert "1 skipped" in out, out
    assert "expected no tool calls; the conversation was:" in out
    assert "caller: Where is my order A-1001?" in out
    assert "tool:   lookup_order(order_id='A-1001') -> ok: " in out
    assert "def no_tool_called" not in out, "the kit's own frames are hidden from the traceback"
    assert NO_CREDENTIALS in " ".join(out.split())
    assert NO_AGENT in " ".join(out.split())


LIVE_TESTS = '''
import pytest

from agentkit import Agent, tool
from agentkit.testing.kit import expect


@tool
def lookup_order(order_id: str) -> dict:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "shipped"}


@pytest.fixture
def agentkit_agent():
    return Agent("shop", tools=[lookup_order], output_modalities=["text"])


@pytest.mark.anyio
async def test_an_order_is_looked_up(agentkit_caller):
    turn = await agentkit_caller.says("Where is my order A-1001?")
    expect(turn).called("lookup_order", order_id="A-1001")


@pytest.mark.agentkit_offline
def test_needs_the_local_server(agentkit_server):
    assert agentkit_server.port
'''


def test_live_mode_talks_to_the_model_the_environment_names(tmp_path: Path) -> None:
    (tmp_path / "test_live.py").write_text(textwrap.dedent(LIVE_TESTS))
    offline = run_pytest(tmp_path, "--agentkit-live")
    assert "2 skipped" in offline, offline
    assert "--agentkit-live: no model to talk to: set AZURE_OPENAI_ENDPOINT" in " ".join(offline.split())
    assert "agentkit_offline: runs on the local server only" in offline

    with LocalRealtimeServer(api_key="live-key").running_in_thread() as service:
        env = {"OPENAI_API_KEY": "live-key", "OPENAI_BASE_URL": f"{service.http_url}/v1"}
        live = run_pytest(tmp_path, "--agentkit-live", env=env)
        assert "1 passed, 1 skipped" in live, live
        assert len(service.connections) == 1, "the session went to the named service"
    assert "2 passed" in run_pytest(tmp_path), "without the option both run on the local server"
