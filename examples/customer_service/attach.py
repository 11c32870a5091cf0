"""`--attach CALL_ID`: serve a call someone else started (a browser over WebRTC, a phone over SIP).

The caller's audio goes straight between the device and the model; this process attaches to the
call's sideband with the bot's instructions and tools, runs the tools here, and prints one line per
tool call. It returns when the service closes the call.
"""

from __future__ import annotations

import json
from typing import TextIO

from agentkit import Agent, Endpoint, ToolCallFinished
from agentkit.observer import SessionObserver


def tool_line(event: ToolCallFinished) -> str:
    """One line per tool call: name, arguments, status."""
    try:
        arguments = json.dumps(json.loads(event.arguments), ensure_ascii=False, sort_keys=True)
    except ValueError:
        arguments = event.arguments
    return f"tool {event.name} {arguments} -> {event.status}"


async def attach(
    agent: Agent, endpoint: Endpoint, call_id: str, out: TextIO, observer: SessionObserver | None
) -> None:
    """Serve the call until it ends; a connection lost for good raises (the session's failure)."""
    async with agent.connect(endpoint, call_id=call_id, observer=observer) as session:
        async with session.events() as events:
            async for event in events:
                if isinstance(event, ToolCallFinished):
                    print(tool_line(event), file=out, flush=True)
        if session.failure is not None:
            raise session.failure
