"""Assertions over turns that read like the conversation, and fail showing the conversation.

    expect(turn).called("lookup_order", order_id="A-1001").said(r"shipped")
    expect(turn).no_tool_called().said("Hello")
    expect(turns).called_in_order("start_refund", "start_refund")   # over a whole script
    expect(turn).rejected("start_refund")

Each check returns the expectation, so checks chain; the first that fails raises `TurnAssertionError`
(an `AssertionError`) whose message says what was expected and shows the turns: what the caller
said, each tool call with its arguments, status and output, and what the agent said.

Argument values match when equal, when a compiled regex (`re.compile(...)`) finds a match in the
value's text, or when a callable returns true for the value (`ANY` matches anything present).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agentkit.engine import ToolCallRecord, Turn

REJECTED_STATUSES = frozenset({"rejected", "approval_timeout"})
"""Statuses of calls that were turned down before they ran: a person (or the approver) said no, or
nobody decided in time. Add a status here when a new way of refusing a call appears."""

FAILED_STATUSES = frozenset(
    {"invalid_arguments", "tool_error", "error", "timeout", "cancelled", "unknown_tool"}
)
"""Statuses of calls that were tried (or asked for) and did not succeed."""

_OUTPUT_SHOWN = 160


class _Any:
    def __repr__(self) -> str:
        return "ANY"

    def __call__(self, value: Any) -> bool:
        return True


ANY: Callable[[Any], bool] = _Any()
"""Matches any value, as long as the argument is there."""


class TurnAssertionError(AssertionError):
    """An expectation about a turn did not hold; the message shows the turns."""


def format_turns(turns: Sequence[Turn]) -> str:
    """The turns as a short transcript: the caller's words, each call and its outcome, the agent's words."""
    lines: list[str] = []
    for number, turn in enumerate(turns, 1):
        if len(turns) > 1:
            lines.append(f"turn {number}:")
        lines.append(f"  caller: {turn.user_input or '(nothing heard)'}")
        for call in turn.tool_calls:
            output = call.output if len(call.output) <= _OUTPUT_SHOWN else call.output[:_OUTPUT_SHOWN] + "..."
            lines.append(f"  tool:   {_signature(call.name, _arguments(call))} -> {call.status}: {output}")
        if not turn.tool_calls:
            lines.append("  tool:   (no calls)")
        for text in turn.text.splitlines() or ["(said nothing)"]:
            lines.append(f"  agent:  {text}")
        if turn.interrupted:
            lines.append("  (interrupted)")
    return "\n".join(lines)


def _arguments(call: ToolCallRecord) -> dict[str, Any]:
    try:
        parsed = json.loads(call.arguments)
    except (ValueError, TypeError, RecursionError):
        return {"<unparsable arguments>": call.arguments}
    return parsed if isinstance(parsed, dict) else {"<arguments>": parsed}


def _signature(name: str, arguments: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{key}={_show(value)}' for key, value in arguments.items())})"


def _show(value: Any) -> str:
    if isinstance(value, re.Pattern):
        return f"re.compile({value.pattern!r})"
    if callable(value) and not isinstance(value, type):
        return repr(value) if isinstance(value, _Any) else getattr(value, "__name__", repr(value))
    return repr(value)


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, re.Pattern):
        return expected.search(actual if isinstance(actual, str) else json.dumps(actual)) is not None
    if callable(expected) and not isinstance(expected, type):
        try:
            return bool(expected(actual))
        except Exception:
            return False
    return bool(expected == actual)


def _pattern(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """A plain string matches case-insensitively; a compiled pattern as it was compiled."""
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, re.IGNORECASE)


class TurnExpectation:
    """Checks over one turn or a sequence of turns (a script): their calls in order, their words."""

    def __init__(self, turns: Turn | Iterable[Turn]) -> None:
        self.turns: tuple[Turn, ...] = (turns,) if isinstance(turns, Turn) else tuple(turns)
        if not self.turns:
            raise ValueError("expect() needs at least one turn")

    @property
    def calls(self) -> tuple[ToolCallRecord, ...]:
        """Every call of the turns, in order."""
        return tuple(call for turn in self.turns for call in turn.tool_calls)

    @property
    def text(self) -> str:
        """What the agent said in the turns, one line per message."""
        return "\n".join(turn.text for turn in self.turns if turn.text)

    def _fail(self, what: str) -> TurnAssertionError:
        return TurnAssertionError(f"{what}; the conversation was:\n{format_turns(self.turns)}")

    def _matching(self, name: str, arguments: dict[str, Any]) -> list[ToolCallRecord]:
        found = []
        for call in self.calls:
            if call.name != name:
                continue
            actual = _arguments(call)
            if all(key in actual and _matches(value, actual[key]) for key, value in arguments.items()):
                found.append(call)
        return found

    # -- tools ---------------------------------------------------------------------------------

    def called(self, name: str, /, **arguments: Any) -> TurnExpectation:
        """A call of `name` whose arguments include these (other arguments may be there too)."""
        __tracebackhide__ = True
        if not self._matching(name, arguments):
            raise self._fail(f"expected a call {_signature(name, arguments)}")
        return self

    def called_times(self, name: str, times: int, /, **arguments: Any) -> TurnExpectation:
        """Exactly `times` calls of `name` with these arguments."""
        __tracebackhide__ = True
        found = len(self._matching(name, arguments))
        if found != times:
            raise self._fail(f"expected {times} call(s) {_signature(name, arguments)}, found {found}")
        return self

    def called_in_order(self, *names: str) -> TurnExpectation:
        """These calls happened in this order (other calls may come between them)."""
        __tracebackhide__ = True
        remaining = iter(call.name for call in self.calls)
        if not all(any(name == seen for seen in remaining) for name in names):
            raise self._fail(f"expected calls in the order {', '.join(names)}")
        return self

    def called_only(self, *names: str) -> TurnExpectation:
        """Exactly these calls, in this order, and no others."""
        __tracebackhide__ = True
        made = [call.name for call in self.calls]
        if made != list(names):
            raise self._fail(f"expected exactly the calls [{', '.join(names)}], got [{', '.join(made)}]")
        return self

    def not_called(self, name: str, /, **arguments: Any) -> TurnExpectation:
        """No call of `name` (with these arguments, when given)."""
        __tracebackhide__ = True
        if self._matching(name, arguments):
            raise self._fail(f"expected no call {_signature(name, arguments)}")
        return self

    def no_tool_called(self) -> TurnExpectation:
        __tracebackhide__ = True
        if self.calls:
            raise self._fail("expected no tool calls")
        return self

    def succeeded(self, name: str, /, **arguments: Any) -> TurnExpectation:
        """A call of `name` (with these arguments) that ran and returned (status `ok`)."""
        __tracebackhide__ = True
        return self._with_status(name, arguments, frozenset({"ok"}), "that succeeded")

    def failed(self, name: str, /, *, status: str | None = None, **arguments: Any) -> TurnExpectation:
        """A call of `name` that did not succeed (an error, a timeout, bad arguments, ...)."""
        __tracebackhide__ = True
        statuses = frozenset({status}) if status is not None else FAILED_STATUSES
        return self._with_status(name, arguments, statuses, f"that failed ({'/'.join(sorted(statuses))})")

    def rejected(
        self, name: str, /, *, reason: str | re.Pattern[str] | None = None, **arguments: Any
    ) -> TurnExpectation:
        """A call of `name` that was turned down before it ran (see `REJECTED_STATUSES`); `reason`
        must then appear in what the model was told."""
        __tracebackhide__ = True
        self._with_status(name, arguments, REJECTED_STATUSES, "that was rejected")
        if reason is not None:
            told = [c.output for c in self._matching(name, arguments) if c.status in REJECTED_STATUSES]
            if not any(_pattern(reason).search(output) for output in told):
                raise self._fail(f"expected {name} to be rejected with a reason matching {_show(reason)}")
        return self

    def returned(self, name: str, pattern: str | re.Pattern[str], /, **arguments: Any) -> TurnExpectation:
        """A call of `name` (with these arguments) whose output, what the model was told, matches."""
        __tracebackhide__ = True
        if not any(_pattern(pattern).search(call.output) for call in self._matching(name, arguments)):
            raise self._fail(f"expected a call {_signature(name, arguments)} returning {_show(pattern)}")
        return self

    def interrupted(self, expected: bool = True) -> TurnExpectation:
        """The caller cut the agent off (barge-in) in one of the turns (`False`: in none of them)."""
        __tracebackhide__ = True
        if any(turn.interrupted for turn in self.turns) != expected:
            raise self._fail(
                "expected the agent to be interrupted" if expected else "expected no interruption"
            )
        return self

    def _with_status(
        self, name: str, arguments: dict[str, Any], statuses: frozenset[str], how: str
    ) -> TurnExpectation:
        __tracebackhide__ = True
        if not any(call.status in statuses for call in self._matching(name, arguments)):
            raise self._fail(f"expected a call {_signature(name, arguments)} {how}")
        return self

    # -- words ---------------------------------------------------------------------------------

    def said(self, pattern: str | re.Pattern[str]) -> TurnExpectation:
        """The agent's words (text, or the transcript of its audio) match `pattern` (a regex; a plain
        string matches case-insensitively)."""
        __tracebackhide__ = True
        if not _pattern(pattern).search(self.text):
            raise self._fail(f"expected the agent to say something matching {_show(pattern)}")
        return self

    def did_not_say(self, pattern: str | re.Pattern[str]) -> TurnExpectation:
        __tracebackhide__ = True
        if _pattern(pattern).search(self.text):
            raise self._fail(f"expected the agent not to say anything matching {_show(pattern)}")
        return self

    def heard(self, pattern: str | re.Pattern[str]) -> TurnExpectation:
        """What the caller said (typed, or the transcript of their speech) matches `pattern`."""
        __tracebackhide__ = True
        if not any(_pattern(pattern).search(turn.user_input) for turn in self.turns):
            raise self._fail(f"expected the caller's words to match {_show(pattern)}")
        return self


def expect(turns: Turn | Iterable[Turn]) -> TurnExpectation:
    """Checks over a turn (from `session.ask`, a `Caller`, a `TurnDone`) or a sequence of turns."""
    return TurnExpectation(turns)
