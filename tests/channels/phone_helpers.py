"""Shared by the phone tests: an agent on the local server, behind phone routes on uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent
from agentkit.channels import PhoneLine, PhoneRoutes
from agentkit.channels.acs import AcsChannel
from agentkit.channels.server import AsgiServer
from agentkit.channels.twilio import TwilioChannel
from agentkit.engine import AppEvent
from agentkit.observer import NullObserver
from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem
from agentkit.testing import LocalRealtimeServer, RealtimeModel
from agentkit.testing.callers import LocalCallAutomation
from agentkit.testing.connection import ServerConnection
from examples.customer_service.bot import build_agent
from examples.customer_service.db import ShopDatabase

pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")

TWILIO_TOKEN = "twilio-auth-token-SECRET-1234"
ACS_EVENTS_SECRET = "acs-events-SECRET-5678"


class Recorder(NullObserver):
    """A session observer that keeps every app event of every call."""

    def __init__(self) -> None:
        self.events: list[AppEvent] = []

    def on_event(self, event: AppEvent) -> None:
        self.events.append(event)


@dataclass
class Phones:
    url: str
    model: LocalRealtimeServer
    line: PhoneLine
    twilio: TwilioChannel
    seen: Recorder
    acs: AcsChannel
    automation: LocalCallAutomation


@asynccontextmanager
async def phone_app(
    tmp_path: Path, agent: Agent | None = None, *, model: RealtimeModel | None = None, **line_options: Any
) -> AsyncIterator[Phones]:
    async with LocalRealtimeServer(model=model) as server:
        agent = agent or build_agent(ShopDatabase(tmp_path / "shop.sqlite3"), speak=True, listen=True)
        seen = Recorder()
        line = PhoneLine(agent, server.endpoint(), observer=seen, **line_options)  # type: ignore[arg-type]
        twilio = TwilioChannel(line, TWILIO_TOKEN)
        automation = LocalCallAutomation()
        acs = AcsChannel(line, automation, events_secret=ACS_EVENTS_SECRET)
        async with AsgiServer(PhoneRoutes({**twilio.routes(), **acs.routes()})) as app:
            yield Phones(app.http_url, server, line, twilio, seen, acs, automation)


def tool_outputs(connection: ServerConnection) -> list[FunctionCallOutputItem]:
    return [
        event.item
        for event in connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem)
    ]
