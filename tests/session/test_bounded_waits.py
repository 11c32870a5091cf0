"""A `response.create` the service never answers does not stall the session."""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent
from agentkit.engine import CREATE_TIMEOUT_CODE, ErrorReported
from agentkit.protocol import Dialect
from agentkit.testing import Faults, Say, ScriptedModel
from tests.session.helpers import endpoint_for, kinds, local_server

pytestmark = pytest.mark.anyio


async def test_an_unanswered_create_is_reported_and_asked_once_more() -> None:
    faults = Faults(ignore_creates=1)
    agent = Agent("a", create_timeout=0.2)
    async with local_server(ScriptedModel([[Say("Here now.")]]), faults=faults) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                turn = await session.ask("hello?")
                async for event in events:
                    if isinstance(event, ErrorReported):
                        break
        assert turn.text == "Here now."
        assert (event.error.code, event.fatal, event.handled) == (CREATE_TIMEOUT_CODE, False, True)
        assert kinds(server.connections[0]).count("create") == 2
        assert faults.ignore_creates == 0


def test_create_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="create_timeout"):
        Agent("a", create_timeout=0)
