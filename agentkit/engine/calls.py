"""One function call's life, from its first argument delta to its one output.

A call is found by its item (item id, else response id + output index), never by arrival order, so
the deltas of N interleaved calls land where they belong.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pydantic_core

from agentkit.engine.actions import CallPolicy


class Phase(enum.Enum):
    STREAMING = "streaming"
    """Arguments still arriving (or the name is not known yet)."""
    AWAITING_APPROVAL = "awaiting_approval"
    """Arguments complete; a person must approve it before it runs (see `approvals`)."""
    RUNNING = "running"
    """Started; waiting for the shell's result."""
    SETTLED = "settled"
    """Its one output is decided; nothing about it changes any more."""


@dataclass(eq=False)
class ToolCall:
    call_id: str
    item_key: str
    response_id: str
    item_id: str = ""
    name: str = ""
    arguments: str = ""
    arguments_done: bool = False
    phase: Phase = Phase.STREAMING
    policy: CallPolicy | None = None
    """Known once started; a call settled without running asks for no follow-up."""
    output: str | None = None
    status: str | None = None
    posted: bool = False
    """Its output went out on the current connection (or was replayed into it)."""
    acked_seq: int | None = None
    """When the server confirmed the output item (sequence number of that event)."""
    started_at: float | None = None
    """When its arguments were complete (it started, or began to wait for approval)."""

    @property
    def wants_follow_up(self) -> bool:
        return self.policy is not None and self.policy.follow_up

    @property
    def speaks_late(self) -> bool:
        """Its result is worth a follow-up even after the user moved on (policy `late="speak"`)."""
        return self.wants_follow_up and self.policy is not None and self.policy.late == "speak"


def item_key(item_id: str | None, response_id: str, output_index: int) -> str:
    return item_id or f"{response_id}#{output_index}"


def _load_partial(text: str) -> Any:
    try:
        return pydantic_core.from_json(text, allow_partial="trailing-strings")
    except TypeError:  # pragma: no cover - pydantic-core before 2.22 knows only True/False
        return pydantic_core.from_json(text, allow_partial=True)


def parse_partial(arguments: str) -> dict[str, Any]:
    """The arguments so far as a dict, best effort: `{}` until there is an object to show."""
    try:
        value = _load_partial(arguments)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cancelled_output(reason: str) -> str:
    """What the model is told about a call that did not run to the end."""
    return f"The call was cancelled ({reason}) and produced no result."
