"""The agent's observers: instances are shared by every session, factories make one per session."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import anyio
import pytest

from agentkit import Agent
from agentkit.engine import AppEvent, ToolCallStarted, TurnDone
from agentkit.observer import SessionInfo
from agentkit.protocol import Dialect
from agentkit.testing import Say, ScriptedModel
from tests.session.helpers import endpoint_for, local_server

pytestmark = pytest.mark.anyio


class Recorder:
    """Remembers the sessions it was started for and the turns it saw."""

    made = 0

    def __init__(self) -> None:
        Recorder.made += 1
        self.sessions: list[str] = []
        self.turns = 0

    def session_started(self, info: SessionInfo, now: float) -> None:
        self.sessions.append(info.session_id)

    def on_event(self, event: AppEvent) -> None:
        self.turns += isinstance(event, TurnDone)

    def connection_event(self, name: str, now: float, **attributes: Any) -> None:
        pass

    def tool_scope(self, call: ToolCallStarted) -> AbstractContextManager[None]:
        return nullcontext()

    def session_closed(self, now: float) -> None:
        pass


async def test_factories_make_one_observer_per_session_and_instances_are_shared() -> None:
    shared = Recorder()
    Recorder.made = 0
    made: list[Recorder] = []

    def factory() -> Recorder:
        made.append(Recorder())
        return made[-1]

    agent = Agent("observed", observers=[shared, factory])
    async with local_server(ScriptedModel([[Say("one")], [Say("two")]])) as server:
        endpoint = endpoint_for(server, Dialect.GA)
        with anyio.fail_after(10):
            async with agent.connect(endpoint) as first, agent.connect(endpoint) as second:
                await first.ask("hi")
                await second.ask("hello")
    assert len(made) == 2
    assert [m.sessions for m in made] == [[first.id], [second.id]]
    assert [m.turns for m in made] == [1, 1]
    assert sorted(shared.sessions) == sorted([first.id, second.id])
    assert shared.turns == 2


async def test_a_class_is_a_factory() -> None:
    Recorder.made = 0
    agent = Agent("observed", observers=[Recorder])
    async with local_server(ScriptedModel([[Say("one")]])) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                await session.ask("hi")
    assert Recorder.made == 1
