"""`ChatView`: a session's events as a person reads them in a terminal.

The assistant's words stream onto one line; each tool call gets a line when the model has sent its
arguments and another when it finishes, with its duration. On a live terminal the arguments are
shown as they stream, rewriting the call's line in place. After each turn, one line of timings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TextIO

from agentkit.engine import (
    AppEvent,
    ApprovalDecided,
    ApprovalRequested,
    ArgumentsDelta,
    ErrorReported,
    InputTranscript,
    Interrupted,
    Reconnected,
    ResponseFinished,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TranscriptDelta,
    Turn,
    TurnDone,
    TurnStarted,
)
from agentkit.guardrails import GuardrailTripped
from agentkit.handoffs import HandedOff
from agentkit.session import EventsDropped, ToolProgress
from agentkit.transfer import TransferredToPerson

_MAX_SHOWN = 100
"""Longest arguments or error text shown for a call, in characters."""

_STYLES = {"dim": "2", "bold": "1", "red": "31", "green": "32", "cyan": "36", "yellow": "33"}


@dataclass
class TurnStats:
    """What one turn took, from the session's clock."""

    started_at: float | None = None
    first_words_at: float | None = None
    calls: dict[str, tuple[float, float]] = field(default_factory=dict)
    """call_id -> (started, finished)."""

    @property
    def parallel(self) -> bool:
        """Whether any two of the turn's tool calls ran at the same time."""
        spans = sorted(self.calls.values())
        return any(later[0] < earlier[1] for earlier, later in pairwise(spans))


class ChatView:
    """Prints `AppEvent`s to `out`. `live`: rewrite a call's line as its arguments stream (a terminal
    only); `color`: ANSI styles; `timings`: a timing line after each turn."""

    def __init__(
        self,
        out: TextIO,
        *,
        live: bool = False,
        color: bool = False,
        timings: bool = True,
        assistant: str = "assistant",
    ) -> None:
        self.out = out
        self.live = live
        self.color = color
        self.timings = timings
        self.assistant = assistant
        self.stats = TurnStats()
        self.last_turn: TurnStats | None = None
        """The stats of the turn that ended last."""
        self._line: str | None = None
        """What the open (unfinished) line holds: "text", a call id (live arguments), or None."""
        self._call_starts: dict[str, float] = {}

    # -- what the application says -----------------------------------------------------------------

    def user(self, text: str, label: str = "you") -> None:
        """Show what the user said (for scripted or piped input, which the terminal did not echo)."""
        self._end_line()
        self._write(f"{self._style(label + ' ›', 'bold')} {text}\n")

    def note(self, text: str) -> None:
        """A line of the application's own (a notice, a file written)."""
        self._end_line()
        self._write(self._style(f"  {text}", "dim") + "\n")

    # -- the session's events ----------------------------------------------------------------------

    def show(self, event: AppEvent) -> None:
        if isinstance(event, (TextDelta, TranscriptDelta)):
            self._words(event.delta, event.time)
        elif isinstance(event, ArgumentsDelta):
            self._arguments_so_far(event)
        elif isinstance(event, ToolCallStarted):
            self._call_started(event)
        elif isinstance(event, ToolCallFinished):
            self._call_finished(event)
        elif isinstance(event, ResponseFinished):
            if self._line == "text":
                self._end_line()
            if event.status not in ("completed", "cancelled"):
                self.note(f"(the response ended: {event.status})")
        elif isinstance(event, TurnStarted):
            self.stats = TurnStats(started_at=event.time)
        elif isinstance(event, TurnDone):
            self._turn_done(event.turn)
        elif isinstance(event, InputTranscript):
            self.user(event.transcript, "you (spoken)")
        elif isinstance(event, ErrorReported) and not event.handled:
            error = event.error
            self._end_line()
            message = f"  ! server error {error.code or error.type}: {error.message}"
            self._write(self._style(message, "yellow") + "\n")
        elif isinstance(event, Interrupted):
            self.note("(interrupted)")
        elif isinstance(event, Reconnected):
            self.note(f"(reconnected; {event.replayed_items} conversation items replayed)")
        elif isinstance(event, HandedOff):
            why = f": {event.reason}" if event.reason else ""
            self.note(f"→ {event.from_agent} handed over to {event.to_agent}{why}")
            self.assistant = event.to_agent
        elif isinstance(event, ApprovalRequested):
            self.note(f"⏸ {call_label(event.name, event.arguments)} waits for approval")
        elif isinstance(event, ApprovalDecided):
            mark = "▶" if event.verdict == "approved" else "■"
            self.note(f"{mark} {event.name}: {event.verdict.replace('_', ' ')}")
        elif isinstance(event, TransferredToPerson):
            outcome = "handed to a person" if event.accepted else "no person available"
            self.note(f"☎ {outcome}: {event.summary.reason}")
        elif isinstance(event, GuardrailTripped):
            self.note(f"⛔ {event.guardrail} {event.action}: {event.reason}")
        elif isinstance(event, ToolProgress):
            self.note(f"… {event.name}: {event.message}")
        elif isinstance(event, EventsDropped):
            self.note(f"({event.count} events were dropped: the display fell behind)")

    def finish(self) -> None:
        """End the open line, if any (before the program prints anything else)."""
        self._end_line()

    # -- pieces ------------------------------------------------------------------------------------

    def _words(self, delta: str, now: float) -> None:
        if self.stats.first_words_at is None:
            self.stats.first_words_at = now
        if self._line != "text":
            self._end_line()
            self._write(self._style(f"{self.assistant} ›", "bold") + " ")
            self._line = "text"
            delta = delta.lstrip()
        self._write(delta)

    def _arguments_so_far(self, event: ArgumentsDelta) -> None:
        if not self.live:
            return
        if self._line not in (None, event.call_id):
            self._end_line()
        shown = _shorten(event.arguments_so_far)
        self._write("\r\x1b[K" + self._style(f"  ⚙ {event.name} {shown}", "dim"))
        self._line = event.call_id

    def _call_started(self, event: ToolCallStarted) -> None:
        self._call_starts[event.call_id] = event.time
        if self._line == event.call_id:
            self._write("\r\x1b[K")
            self._line = None
        self._end_line()
        self._write(self._style(f"  ⚙ {call_label(event.name, event.arguments)}", "cyan") + "\n")

    def _call_finished(self, event: ToolCallFinished) -> None:
        started = self._call_starts.pop(event.call_id, event.time)
        self.stats.calls[event.call_id] = (started, event.time)
        took = format_duration(event.time - started)
        label = call_label(event.name, event.arguments)
        self._end_line()
        if event.status == "ok":
            self._write(self._style(f"  ✓ {label} · {took}", "green") + "\n")
        else:
            why = _shorten(_error_text(event.output))
            self._write(self._style(f"  ✗ {label} · {event.status} after {took}: {why}", "red") + "\n")

    def _turn_done(self, turn: Turn) -> None:
        self._end_line()
        stats = self.stats
        if stats.started_at is None:
            stats.started_at = turn.started_at
        self.last_turn = stats
        self.stats = TurnStats()
        if self.timings:
            self._write(self._style("  ⏱ " + describe_turn(turn, stats), "dim") + "\n")

    def _end_line(self) -> None:
        if self._line is not None:
            self._write("\n")
            self._line = None

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _style(self, text: str, style: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if self.color else text


def describe_turn(turn: Turn, stats: TurnStats) -> str:
    """`turn 0.52 s · first words after 0.21 s · 2 tool calls, in parallel · 1056 tokens`."""
    parts = [f"turn {format_duration(turn.ended_at - turn.started_at)}"]
    if stats.first_words_at is not None and stats.started_at is not None:
        parts.append(f"first words after {format_duration(stats.first_words_at - stats.started_at)}")
    if turn.tool_calls:
        count = len(turn.tool_calls)
        calls = f"{count} tool call{'s' if count > 1 else ''}"
        parts.append(calls + (", in parallel" if stats.parallel else ""))
    if len(turn.response_ids) > 1:
        parts.append(f"{len(turn.response_ids)} responses")
    if turn.usage.total_tokens:
        parts.append(f"{turn.usage.total_tokens} tokens")
    if turn.interrupted:
        parts.append("interrupted")
    return " · ".join(parts)


def call_label(name: str, arguments: str) -> str:
    """`lookup_order(order_id='A-1001')`, or the raw arguments (shortened) when they are not JSON."""
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return f"{name} {_shorten(arguments)!r}"
    if not isinstance(parsed, dict):
        return f"{name} {_shorten(arguments)!r}"
    shown = ", ".join(f"{key}={value!r}" for key, value in parsed.items())
    return f"{name}({_shorten(shown)})"


def format_duration(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _error_text(output: str) -> str:
    """The message of an error output (`{"error": "..."}` or similar), else the output itself."""
    try:
        parsed = json.loads(output)
    except ValueError:
        return output
    if isinstance(parsed, dict):
        for key in ("error", "message", "detail"):
            value = parsed.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return output


def _shorten(text: str, limit: int = _MAX_SHOWN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
