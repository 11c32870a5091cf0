"""agentkit's pytest plugin, registered by the `pytest11` entry point when agentkit is installed.

Fixtures (all named `agentkit_*`, so they meet no project's own):

- `agentkit_server`: a `LocalRealtimeServer` running for the test (in a thread of its own, so it
  serves sync and async tests alike); its model comes from `agentkit_model`, and can be swapped by
  setting `agentkit_server.model`.
- `agentkit_model`: override it to give the server a model (default: the keyword model).
- `agentkit_agent`: override it to return your `Agent`; the session fixtures need it.
- `agentkit_tool_mocks`: a fresh `ToolMocks`, installed into `agentkit_session`.
- `agentkit_session`: an open `Session` of `agentkit_agent` on `agentkit_server` (async: mark the
  test `@pytest.mark.anyio`).
- `agentkit_caller`: a `Caller` on that session, for multi-turn scripts.
- `agentkit_judge`: a `Judge` when model credentials are set; otherwise the test is skipped, saying so.

Importing this module costs almost nothing: agentkit itself loads when a fixture is first used.
`-p no:agentkit` turns the plugin off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from agentkit import Agent, Session
    from agentkit.testing import LocalRealtimeServer, RealtimeModel
    from agentkit.testing.kit import Caller, Judge, ToolMocks

NO_AGENT = (
    "the agentkit_session fixture needs your agent: define a fixture named `agentkit_agent` (in "
    "conftest.py or the test module) that returns the Agent to test"
)


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
async def agentkit_session(
    agentkit_agent: Agent, agentkit_server: LocalRealtimeServer, agentkit_tool_mocks: ToolMocks
) -> AsyncIterator[Session]:
    """An open session of `agentkit_agent` on the local server, with the test's tool mocks."""
    session = agentkit_agent.connect(agentkit_server.endpoint())
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
