"""Collects one turn as it happens, and freezes it into the `Turn` that `TurnDone` carries."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentkit.engine.app_events import ToolCallRecord, Turn
from agentkit.engine.calls import ToolCall
from agentkit.protocol import TokenDetails, Usage


def _add_details(a: TokenDetails | None, b: TokenDetails | None) -> TokenDetails | None:
    """Field by field; a count neither side reported stays unreported (nested details too)."""
    if a is None or b is None:
        return a or b
    summed: dict[str, object] = {}
    for name in TokenDetails.model_fields:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, TokenDetails) or isinstance(right, TokenDetails):
            summed[name] = _add_details(left, right)
        elif left is not None or right is not None:
            summed[name] = (left or 0) + (right or 0)
    return TokenDetails.model_validate(summed)


def add_usage(a: Usage, b: Usage) -> Usage:
    return Usage(
        total_tokens=a.total_tokens + b.total_tokens,
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        input_token_details=_add_details(a.input_token_details, b.input_token_details),
        output_token_details=_add_details(a.output_token_details, b.output_token_details),
    )


@dataclass(eq=False)
class TurnBuilder:
    started_at: float
    user_input: list[str] = field(default_factory=list)
    response_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    interrupted: bool = False

    @property
    def has_activity(self) -> bool:
        return bool(self.user_input or self.response_ids or self.calls)

    def add_message(self, item_id: str) -> None:
        if item_id not in self.message_ids:
            self.message_ids.append(item_id)

    def freeze(self, texts: list[str], now: float) -> Turn:
        return Turn(
            user_input="\n".join(t for t in self.user_input if t),
            text="\n".join(t for t in texts if t),
            tool_calls=tuple(
                ToolCallRecord(c.call_id, c.name, c.arguments, c.output or "", c.status or "")
                for c in self.calls
            ),
            usage=self.usage,
            interrupted=self.interrupted,
            response_ids=tuple(self.response_ids),
            started_at=self.started_at,
            ended_at=now,
        )
