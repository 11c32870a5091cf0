"""Guardrails in the I/O shell: screens the server's events through the output guardrails (before the
application or the relay's client sees them) and calls through the tool guardrails.

The rules live in `agentkit.guardrails`; this module only places them: a stopped response's remaining
events are held back (its `response.done` is passed on without its messages, so a client still learns
that it ended), and the engine is asked to stop it (`TurnEngine.stop_output`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentkit.engine import AppEvent, StartCall
from agentkit.guardrails import (
    GuardrailTripped,
    OutputGuard,
    OutputGuardrail,
    Stop,
    ToolGuard,
    ToolInputGuardrail,
    ToolOutputGuardrail,
)
from agentkit.protocol import (
    MessageItem,
    ResponseAudioTranscriptDelta,
    ResponseDone,
    ResponseParams,
    ResponseTextDelta,
    ServerEvent,
)
from agentkit.tools import ToolContext, ToolOutcome, Toolset
from agentkit.tools.schema import InvalidArguments

_OPEN_NUMBER = re.compile(r"\d[\d -]*$")
"""Text that ends in a number which may go on (a card number is spoken in groups)."""


@dataclass(frozen=True, slots=True)
class StopRequest:
    """What the engine is asked to do when an output guardrail trips."""

    response_id: str
    item_id: str
    kept_chars: int
    replacement: ResponseParams | None


def _ignore(event: AppEvent) -> None:
    pass


def _never() -> float:
    return 0.0


def replacement_params(say: str) -> ResponseParams:
    """A response that says `say` and nothing else (no tools)."""
    return ResponseParams(
        instructions=f"Say exactly this to the user, and nothing else: {say}", tool_choice="none"
    )


class SessionGuards:
    def __init__(
        self,
        output: list[OutputGuardrail],
        tool_inputs: list[ToolInputGuardrail],
        tool_outputs: list[ToolOutputGuardrail],
        emit: Callable[[AppEvent], None],
        clock: Callable[[], float],
    ) -> None:
        self._output = OutputGuard(output)
        self._tools = ToolGuard(tool_inputs, tool_outputs)
        self._emit = emit
        self._clock = clock
        self._held: dict[str, list[ServerEvent]] = {}
        """Per response: events held back while its message ends in a number not yet complete."""
        self._stopped_items: deque[str] = deque(maxlen=64)
        self._released: dict[str, int] = {}
        """Per message: characters of its text passed on so far."""
        self._held_items: dict[str, str] = {}
        """Message -> the response whose events are held while it ends in a number."""

    def release(self) -> None:
        """The session closed: let go of its callbacks (no reference cycle back to it)."""
        self._emit = _ignore
        self._clock = _never

    def screen(self, event: ServerEvent, now: float) -> tuple[list[ServerEvent], StopRequest | None]:
        """The events to pass on now (held ones first), and a stop to carry out before them.

        While an assistant message ends in a number still being spoken, every event of its response
        is held back, so a number is judged whole before any of it (text or audio) is passed on.
        """
        if not self._output:
            return [event], None
        if isinstance(event, ResponseDone):
            done_id = event.response.id
            held = self._held.pop(done_id, [])
            stopped = self._output.stopped(done_id)
            items = [i.id for i in event.response.output if i.id]
            self._output.forget(done_id, items)  # its messages are complete: nothing more to judge
            for item_id in items:
                self._released.pop(item_id, None)
                self._held_items.pop(item_id, None)
            if not stopped:
                return [*held, event], None
            shown = event.response.model_copy(
                update={"output": [i for i in event.response.output if not isinstance(i, MessageItem)]}
            )
            return [event.model_copy(update={"response": shown})], None
        item = getattr(event, "item", None)
        if isinstance(item, MessageItem) and item.id in self._stopped_items:
            return [], None  # the stopped message in full (`conversation.item.done`)
        holder = self._held_items.get(item.id or "") if isinstance(item, MessageItem) else None
        if holder is not None and holder in self._held:
            self._held[holder].append(event)  # a held message in full: it waits with its pieces
            return [], None
        response_id = getattr(event, "response_id", None)
        if not isinstance(response_id, str):
            return [event], None
        if self._output.stopped(response_id):
            return [], None
        if not isinstance(event, (ResponseTextDelta, ResponseAudioTranscriptDelta)):
            if response_id in self._held:
                self._held[response_id].append(event)
                return [], None
            return [event], None
        tripped = self._output.check(response_id, event.item_id, event.delta, now)
        if tripped is not None:
            verdict, _, trip = tripped
            self._emit(trip)
            self._held.pop(response_id, None)
            self._stopped_items.append(event.item_id)
            kept = self._released.pop(event.item_id, 0)
            return [], self._stop(verdict, response_id, event.item_id, kept)
        held = self._held.pop(response_id, [])
        held.append(event)
        if _OPEN_NUMBER.search(self._output.text_of(event.item_id)):
            self._held[response_id] = held
            self._held_items[event.item_id] = response_id
            return [], None
        for piece in held:
            if isinstance(piece, (ResponseTextDelta, ResponseAudioTranscriptDelta)):
                self._released[piece.item_id] = self._released.get(piece.item_id, 0) + len(piece.delta)
        return held, None

    @staticmethod
    def _stop(verdict: Stop, response_id: str, item_id: str, kept: int) -> StopRequest:
        replacement = replacement_params(verdict.say) if verdict.say else None
        return StopRequest(response_id, item_id, kept, replacement)

    def precheck(self, action: StartCall, tools: Toolset, context: ToolContext[Any]) -> ToolOutcome | None:
        """The tool input guardrails, before a call runs (a call with bad arguments is left to fail)."""
        tool = tools.get(action.name)
        if not self._tools or tool is None:
            return None
        try:
            values = tool.parse_arguments(action.arguments)
        except InvalidArguments:
            return None
        blocked = self._tools.check_input(action.call_id, action.name, values, context, self._clock())
        if blocked is None:
            return None
        outcome, trip = blocked
        self._emit(trip)
        return outcome

    def screen_outcome(self, outcome: ToolOutcome) -> ToolOutcome:
        """The tool output guardrails, before the model sees a call's output (not for cancellations)."""
        if not self._tools or outcome.status in ("cancelled", "blocked"):
            return outcome
        screened, trips = self._tools.check_output(outcome, self._clock())
        for trip in trips:
            self._emit(trip)
        return screened


__all__ = ["GuardrailTripped", "SessionGuards", "StopRequest"]
