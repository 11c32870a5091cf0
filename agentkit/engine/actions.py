"""What the engine asks its I/O shell to do, and the per-tool policy the shell hands the engine.

Actions are plain data, returned in order from every engine input: the shell carries them out in
that order (send a frame, start or cancel a tool run, hand an event to the application).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from agentkit.engine.app_events import AppEvent
from agentkit.protocol import ClientEvent


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How the engine treats calls of one tool.

    `follow_up`: its output asks the model to go on (a `response.create` after the batch); state-only
    tools say False. `cancel_on_interrupt`: a barge-in cancels the running call (or one waiting for
    approval).
    """

    follow_up: bool = True
    cancel_on_interrupt: bool = False
    filler: str | None = None
    """Instructions for a short out-of-band line when a call runs past the engine's `filler_after`
    (None: this tool gets no filler)."""
    late: str = "silent"
    """A result that arrives after a new user turn: `silent`, `speak` or `drop` (see `fillers`)."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send this client event (its `event_id` is already set, so a server error correlates)."""

    event: ClientEvent


@dataclass(frozen=True, slots=True)
class StartCall:
    """Run this tool now; answer with `TurnEngine.call_finished(call_id, ...)`."""

    call_id: str
    name: str
    arguments: str
    response_id: str


@dataclass(frozen=True, slots=True)
class CancelCall:
    """Stop this running tool; the engine has already answered the model for it."""

    call_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Emit:
    """Hand this event to the application (and to tracing)."""

    event: AppEvent


Action: TypeAlias = Send | StartCall | CancelCall | Emit
