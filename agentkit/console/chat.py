"""An interactive text chat with an `Agent` in a terminal (`agentkit chat`, the example bot)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from agentkit.connection import Endpoint
from agentkit.console.turns import EventHook, converse, read_lines
from agentkit.console.view import ChatView
from agentkit.observer import SessionObserver

if TYPE_CHECKING:
    from agentkit.agent import Agent


def styled(out: TextIO) -> bool:
    """Whether `out` is a terminal that wants colour (honours the NO_COLOR convention)."""
    return out.isatty() and not os.environ.get("NO_COLOR")


async def run_chat(
    agent: Agent,
    endpoint: Endpoint,
    *,
    source: TextIO | None = None,
    out: TextIO | None = None,
    observer: SessionObserver | None = None,
    turn_timeout: float = 120.0,
    on_event: EventHook | None = None,
) -> int:
    """Chat until end of input; returns how many turns were taken.

    On a terminal it prompts and shows tool arguments as they stream; with piped input it echoes
    each line as the user's, so the transcript reads the same. `on_event` sees every event too.
    """
    source = sys.stdin if source is None else source
    out = sys.stdout if out is None else out
    interactive = source.isatty()
    view = ChatView(out, live=out.isatty(), color=styled(out), assistant=agent.name)
    tools = ", ".join(agent.toolset.names()) or "none"
    view.note(f"Chatting with {agent.name!r} (tools: {tools})." + (" Ctrl-D ends." if interactive else ""))
    async with agent.connect(endpoint, observer=observer) as session:
        lines = read_lines(source, prompt="you › " if interactive else None)
        taken = await converse(
            session, lines, view, turn_timeout=turn_timeout, echo=not interactive, on_event=on_event
        )
    view.finish()
    return taken
