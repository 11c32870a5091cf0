"""The result of one tool call: exactly the text the model will see, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic_core import to_json

ToolStatus = Literal[
    "ok", "invalid_arguments", "tool_error", "error", "timeout", "cancelled", "unknown_tool", "blocked"
]

COMPLETED = '{"status": "done"}'
"""What the model sees when a tool returns `None`: short, and clearly not an error."""


@dataclass(frozen=True)
class ToolOutcome:
    """One call's answer. `output` goes verbatim into the `function_call_output` item."""

    call_id: str
    name: str
    output: str
    status: ToolStatus = "ok"
    error: BaseException | None = None
    value: Any = None
    thread_abandoned: bool = False
    """A sync tool timed out and its worker thread was left running (Python cannot stop it)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def cancelled(cls, call_id: str, name: str, reason: str = "") -> ToolOutcome:
        """For a call whose task was cancelled (barge-in, session closing): the model still gets
        an output, so the conversation never holds a call without an answer."""
        detail = f": {reason}" if reason else ""
        return cls(call_id, name, f"tool {name} was cancelled{detail}", status="cancelled")


def render_result(value: Any) -> str:
    """str as is; None as a completion marker; anything else as JSON via pydantic."""
    if isinstance(value, str):
        return value
    if value is None:
        return COMPLETED
    return to_json(value).decode()
