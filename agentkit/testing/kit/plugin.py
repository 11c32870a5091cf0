"""agentkit's pytest plugin, registered by the `pytest11` entry point when agentkit is installed.

Fixtures (all named `agentkit_*`, so they meet no project's own):

- `agentkit_server`: a `LocalRealtimeServer` running for the test (in a thread of its own, so it
  serves sync and async tests alike); its model comes from `agentkit_model`, and can be swapped by
  setting `agentkit_server.model`.
- `agentkit_model`: override it to give the server a model (default: the keyword model).
- `agentkit_agent`: override it to return your `Agent`; the session fixtures need it.
- `agentkit_tool_mocks`: a fresh `ToolMocks`, installed into `agentkit_session`.
- `agentkit_endpoint`: where sessions connect: the local server, or with `--agentkit-live` the model
  the environment names (AZURE_OPENAI_ENDPOINT / OPENAI_API_KEY; tests skip, saying so, without one).
- `agentkit_session`: an open `Session` of `agentkit_agent` at `agentkit_endpoint` (async: mark the
  test `@pytest.mark.anyio`).
- `agentkit_caller`: a `Caller` on that session, for multi-turn scripts.
- `agentkit_judge`: a `Judge` when model credentials are set; otherwise the test is skipped, saying so.

`--agentkit-live` runs the same conversations against a real model (a nightly job, say); tests that
script the local server or inject its faults are marked `@pytest.mark.agentkit_offline` and skipped.

Importing this module costs almost nothing: agentkit itself loads when a fixture is first used.
`-p no:agentkit` turns the plugin off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from agentkit import Agent, Endpoint, Session
    from agentkit.testing import LocalRealtimeServer, RealtimeModel
    from agentkit.testing.kit import Caller, Judge, ToolMocks

NO_AGENT = (
    "the agentkit_session fixture needs your agent: define a fixture named `agentkit_agent` (in "
    "conftest.py or the test module) that returns the Agent to test"
)


LIVE_OPTION = "--agentkit-live"
OFFLINE_MARK = "agentkit_offline"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        LIVE_OPTION,
        action="store_true",
        default=False,
        help="run agentkit_session against the model the environment names (AZURE_OPENAI_ENDPOINT or "
        "OPENAI_API_KEY) instead of agentkit's local server; tests marked agentkit_offline are skipped",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OFFLINE_MARK}: needs agentkit's local server (a scripted model, faults); "
        f"skipped with {LIVE_OPTION}",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption(LIVE_OPTION):
        return
    skip = pytest.mark.skip(reason=f"{OFFLINE_MARK}: runs on the local server only, not with {LIVE_OPTION}")
    for item in items:
        if item.get_closest_marker(OFFLINE_MARK) is not None:
            item.add_marker(skip)


@pytest.fixture
def agentkit_model() -> RealtimeModel | None:
    """The local server's model; override to script it (None: the keyword model)."""
    return None


@pytest.fixture
def agentkit_server(agentkit_model: RealtimeModel | None) -> Iterator[LocalRealtimeServer]:
    """A local Realtime server for this test, on a free loopback port."""
    from agentkit.testing import LocalRealtimeServer

    with LocalRealtimeServer(model=agentkit_model).running_in_thread() as server:
        yield server


@pytest.fixture
def agentkit_agent() -> Agent:
    """Override this fixture to return the agent under test."""
    pytest.fail(NO_AGENT, pytrace=False)


@pytest.fixture
def agentkit_tool_mocks() -> ToolMocks:
    """Tool replacements for this test, installed into `agentkit_session` (and any session you
    `install` them into)."""
    from agentkit.testing.kit import ToolMocks

    return ToolMocks()


@pytest.fixture
def agentkit_endpoint(request: pytest.FixtureRequest) -> Endpoint:
    """The local server's endpoint; with `--agentkit-live`, the model the environment names."""
    if not request.config.getoption(LIVE_OPTION):
        server: LocalRealtimeServer = request.getfixturevalue("agentkit_server")
        return server.endpoint()
    from agentkit.connection import Endpoint
    from agentkit.testing.kit.judge import MODEL_VARIABLES

    endpoint = Endpoint.from_env()
    if endpoint is None:
        pytest.skip(f"{LIVE_OPTION}: no model to talk to: {MODEL_VARIABLES}")
    return endpoint


@pytest.fixture
async def agentkit_session(
    agentkit_agent: Agent, agentkit_endpoint: Endpoint, agentkit_tool_mocks: ToolMocks
) -> AsyncIterator[Session]:
    """An open session of `agentkit_agent` at `agentkit_endpoint`, with the test's tool mocks."""
    session = agentkit_agent.connect(agentkit_endpoint)
    agentkit_tool_mocks.install(session)
    async with session:
        yield session


@pytest.fixture
def agentkit_caller(agentkit_session: Session) -> Caller:
    """A simulated caller on `agentkit_session`: `says`, `speaks`, `run(script)`, `turns`."""
    from agentkit.testing.kit import Caller

    return Caller(agentkit_session)


@pytest.fixture
def agentkit_judge() -> Judge:
    """A judge with the model the environment names; skips the test when there is none."""
    from agentkit.testing.kit.judge import NO_CREDENTIALS, Judge

    judge = Judge.from_env()
    if judge is None:
        pytest.skip(NO_CREDENTIALS)
    return judge
