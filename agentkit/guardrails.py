"""Guardrails: checks over what the agent says and over what its tools take and give back.

- An **output guardrail** sees the running transcript (or text) of each assistant message as it
  streams, before the application or the relay's client gets the piece that would trip it. Returning
  `Stop` ends the response: it is cancelled, its audio truncated to what was heard, the tripping text
  never leaves the session and is not kept in the conversation, and `Stop(say=...)` has the agent say
  a replacement line once the line is quiet.
- A **tool input guardrail** sees a call before it runs: `Block(reason)` answers the call with the
  reason instead of running it.
- A **tool output guardrail** sees a call's output before the model does: return a new text (for
  example with card numbers masked), `Block(reason)` to withhold it, or None to let it through.

Every trip is a `GuardrailTripped` event (and a span event). A guardrail that raises fails closed and
says so: an output guardrail's failure stops the response, a tool input guardrail's failure blocks the
call, a tool output guardrail's failure withholds the output; the call is still answered exactly once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentkit.engine import AppEvent
from agentkit.tools import ToolContext, ToolOutcome

logger = logging.getLogger("agentkit.guardrails")

GUARDRAIL_FAILED = "a safety check failed"


@dataclass(frozen=True, slots=True)
class Stop:
    """An output guardrail's verdict: stop the response (`say`: a replacement line to say instead)."""

    reason: str
    say: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A tool guardrail's verdict: the call does not run (or its output is withheld); `reason` is what
    the model is told."""

    reason: str


OutputGuardrail = Callable[[str], "Stop | None"]
"""`(the message's text so far) -> Stop | None`."""
ToolInputGuardrail = Callable[[str, dict[str, Any], ToolContext[Any]], "Block | None"]
"""`(tool name, arguments as parsed JSON, context) -> Block | None`."""
ToolOutputGuardrail = Callable[[str, str], "str | Block | None"]
"""`(tool name, output text) -> new output | Block | None (unchanged)`."""

GuardrailKind = Literal["output", "tool_input", "tool_output"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardrailTripped(AppEvent):
    """A guardrail acted: `action` is `stopped`, `blocked`, `redacted` or `failed` (it raised)."""

    guardrail: str
    kind: GuardrailKind
    action: str
    reason: str
    call_id: str | None = None
    response_id: str | None = None


def guardrail_name(guardrail: object) -> str:
    return str(getattr(guardrail, "__name__", None) or type(guardrail).__name__)


class OutputGuard:
    """Runs the output guardrails over each assistant message's text as it streams."""

    def __init__(self, guardrails: Sequence[OutputGuardrail]) -> None:
        self._guardrails = tuple(guardrails)
        self._texts: dict[str, str] = {}
        self._stopped: set[str] = set()
        """Responses a guardrail stopped: the rest of what they say is not passed on."""

    def __bool__(self) -> bool:
        return bool(self._guardrails)

    def stopped(self, response_id: str) -> bool:
        return response_id in self._stopped

    def check(
        self, response_id: str, item_id: str, delta: str, now: float
    ) -> tuple[Stop, int, GuardrailTripped] | None:
        """Add `delta` to the item's text; a trip gives the verdict, how much of the text came before
        the tripping piece, and the event to publish."""
        before = self._texts.get(item_id, "")
        text = before + delta
        self._texts[item_id] = text
        for guardrail in self._guardrails:
            try:
                verdict = guardrail(text)
            except Exception:
                logger.exception(
                    "output guardrail %s raised; stopping the response", guardrail_name(guardrail)
                )
                verdict, action = Stop(GUARDRAIL_FAILED), "failed"
            else:
                action = "stopped"
            if verdict is not None:
                self._stopped.add(response_id)
                self._texts.pop(item_id, None)
                event = GuardrailTripped(
                    time=now,
                    guardrail=guardrail_name(guardrail),
                    kind="output",
                    action=action,
                    reason=verdict.reason,
                    response_id=response_id,
                )
                return verdict, len(before), event
        return None

    def text_of(self, item_id: str) -> str:
        return self._texts.get(item_id, "")

    def forget(self, response_id: str, item_ids: Sequence[str]) -> None:
        for item_id in item_ids:
            self._texts.pop(item_id, None)
        self._stopped.discard(response_id)


class ToolGuard:
    """Runs the tool guardrails around one call; never raises, always leaves one outcome."""

    def __init__(self, inputs: Sequence[ToolInputGuardrail], outputs: Sequence[ToolOutputGuardrail]) -> None:
        self._inputs = tuple(inputs)
        self._outputs = tuple(outputs)

    def __bool__(self) -> bool:
        return bool(self._inputs or self._outputs)

    def check_input(
        self, call_id: str, name: str, arguments: dict[str, Any], context: ToolContext[Any], now: float
    ) -> tuple[ToolOutcome, GuardrailTripped] | None:
        for guardrail in self._inputs:
            try:
                verdict = guardrail(name, arguments, context)
                action = "blocked"
            except Exception:
                logger.exception(
                    "tool input guardrail %s raised; blocking %s", guardrail_name(guardrail), name
                )
                verdict, action = Block(GUARDRAIL_FAILED), "failed"
            if verdict is not None:
                output = f"The {name} call was blocked and did not run: {verdict.reason}."
                outcome = ToolOutcome(call_id, name, output, status="blocked")
                return outcome, self._event(guardrail, "tool_input", action, verdict.reason, call_id, now)
        return None

    def check_output(self, outcome: ToolOutcome, now: float) -> tuple[ToolOutcome, list[GuardrailTripped]]:
        events: list[GuardrailTripped] = []
        for guardrail in self._outputs:
            try:
                verdict = guardrail(outcome.name, outcome.output)
            except Exception:
                logger.exception(
                    "tool output guardrail %s raised; withholding %s's output",
                    guardrail_name(guardrail),
                    outcome.name,
                )
                verdict = Block(GUARDRAIL_FAILED)
                events.append(
                    self._event(guardrail, "tool_output", "failed", GUARDRAIL_FAILED, outcome.call_id, now)
                )
            if isinstance(verdict, Block):
                if not events or events[-1].action != "failed":
                    events.append(
                        self._event(guardrail, "tool_output", "blocked", verdict.reason, outcome.call_id, now)
                    )
                output = f"The {outcome.name} result was withheld: {verdict.reason}."
                return ToolOutcome(outcome.call_id, outcome.name, output, status="blocked"), events
            if isinstance(verdict, str) and verdict != outcome.output:
                events.append(
                    self._event(guardrail, "tool_output", "redacted", "output changed", outcome.call_id, now)
                )
                outcome = ToolOutcome(
                    outcome.call_id, outcome.name, verdict, status=outcome.status, value=None
                )
        return outcome, events

    @staticmethod
    def _event(
        guardrail: object, kind: GuardrailKind, action: str, reason: str, call_id: str, now: float
    ) -> GuardrailTripped:
        return GuardrailTripped(
            time=now,
            guardrail=guardrail_name(guardrail),
            kind=kind,
            action=action,
            reason=reason,
            call_id=call_id,
        )


# -- ready-made guardrails ------------------------------------------------------------------------

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """The payment card numbers in `text` (13 to 19 digits, spaces or dashes allowed, Luhn-valid)."""
    found = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            found.append(match.group())
    return found


def mask_card_numbers(name: str, output: str) -> str | None:
    """Tool output guardrail: card numbers become `**** **** **** 1234` (None when there is none)."""
    cards = card_numbers(output)
    for card in cards:
        output = output.replace(card, "**** **** **** " + re.sub(r"\D", "", card)[-4:])
    return output if cards else None


def no_card_numbers(text: str) -> Stop | None:
    """Output guardrail: the agent never reads out a payment card number."""
    if card_numbers(text):
        return Stop(
            "a card number was about to be read out",
            say="For your security I can't read card numbers aloud; I can confirm the last four digits.",
        )
    return None
