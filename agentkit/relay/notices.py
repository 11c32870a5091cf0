"""The relay's own server event: a typed tool-activity notice that replaces hidden tool traffic."""

from __future__ import annotations

from typing import ClassVar, Literal

from agentkit.protocol import ServerEvent

ToolPhase = Literal["started", "finished"]


class ToolActivity(ServerEvent):
    """A tool started or finished: enough for a page to show progress, never arguments or results.

    `call_id` is an opaque id made up per connection (the model's call id stays hidden) that pairs
    a `started` notice with its `finished` one.
    """

    kind: ClassVar[str] = "agentkit.tool_activity"
    call_id: str
    label: str
    """The operator's label for the tool ("Looking up your order"), or the tool's name."""
    phase: ToolPhase
    ok: bool | None = None
    """Whether the tool succeeded; only on `finished`."""
