"""Calls that wait for a person's decision before they run: the engine's book of pending approvals.

A call whose tool needs approval does not start when its arguments are complete: it waits, still part
of its batch (so the batch's one follow-up waits too), until the application approves it (then it
starts), rejects it, or its deadline passes (then the rejection or the timeout is the call's one
output, worded so the model can tell the user). A call the session ends or a barge-in cancels while it
waits is answered like any other cancelled call.

This module keeps only the book: which calls wait, until when, and how each wait ended, so approving a
call twice, or one that never waited, is a clear error instead of a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_FORGET_AFTER = 1024
"""Decided calls remembered (to explain a late or second decision) before the oldest go."""


@dataclass(frozen=True, slots=True)
class ApprovalNeed:
    """The call must be approved first; `timeout`: seconds to wait for a decision (None: no limit)."""

    timeout: float | None = None


ApprovalCheck = Callable[[str, str, str], "ApprovalNeed | None"]
"""`(call_id, tool name, arguments JSON)` -> an `ApprovalNeed`, or None when the call may just run."""


def no_approvals(call_id: str, name: str, arguments: str) -> ApprovalNeed | None:
    return None


class ApprovalError(ValueError):
    """An approval or rejection for a call that is not waiting for one (unknown, or already answered)."""


def rejected_output(name: str, reason: str) -> str:
    """What the model is told about a call a person turned down: why, and that nothing was done."""
    why = reason.strip() or "no reason was given"
    return f"Not approved: {why}. The {name} action was not carried out; tell the user so, and why."


def timed_out_output(name: str, timeout: float) -> str:
    return (
        f"Not approved: nobody approved the {name} action within {timeout:g} seconds, so it was not "
        "carried out. Tell the user it needs approval and could not be done now."
    )


class ApprovalBook:
    """Which calls wait for a decision, their deadlines, and how the latest waits ended."""

    def __init__(self) -> None:
        self._deadlines: dict[str, float | None] = {}
        self._timeouts: dict[str, float] = {}
        self._ended: dict[str, str] = {}

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._deadlines

    @property
    def waiting(self) -> tuple[str, ...]:
        return tuple(self._deadlines)

    def wait(self, call_id: str, need: ApprovalNeed, now: float) -> None:
        timeout = need.timeout
        self._deadlines[call_id] = None if timeout is None else now + timeout
        if timeout is not None:
            self._timeouts[call_id] = timeout

    def decide(self, call_id: str, verdict: str) -> None:
        """Take a decision for a waiting call; `ApprovalError` when it is not waiting."""
        if call_id not in self._deadlines:
            ended = self._ended.get(call_id)
            if ended is not None:
                raise ApprovalError(f"call {call_id} is not waiting for approval: it was already {ended}")
            raise ApprovalError(f"no call {call_id} is waiting for approval")
        self.end(call_id, verdict)

    def end(self, call_id: str, how: str) -> None:
        """The wait is over (decided, timed out or cancelled): remember how, for later questions."""
        self._deadlines.pop(call_id, None)
        self._timeouts.pop(call_id, None)
        self._ended[call_id] = how
        if len(self._ended) > _FORGET_AFTER:
            del self._ended[next(iter(self._ended))]

    def timeout_of(self, call_id: str) -> float:
        return self._timeouts.get(call_id, 0.0)

    @property
    def next_deadline(self) -> float | None:
        deadlines = [d for d in self._deadlines.values() if d is not None]
        return min(deadlines) if deadlines else None

    def expired(self, now: float) -> list[str]:
        return [c for c, d in self._deadlines.items() if d is not None and now >= d]
