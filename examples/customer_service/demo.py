"""`--demo`: a short scripted customer conversation, with its tool calls and timings.

Seven turns show each thing the bot does once: two orders in one message (two lookups in parallel), a
shipment the carrier is slow to track (the caller hears a filler meanwhile), a policy question, a
refund request the front desk hands to the refunds agent, who quotes it, the confirmed refund above
the limit that waits for a supervisor's approval (the demo's supervisor approves), a card number the
guardrail keeps from being read back, and a transfer to a person with a hand-over summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from agentkit import Session, Turn
from agentkit.console import ChatView, TurnStats, converse, format_duration, lines_of

from .db import ShopDatabase
from .orders import money
from .refunds import refund_ref
from .tools import ticket_ref

SCRIPT = [
    "Hi! Can you check on my orders A-1001 and A-1002?",
    "When will the monitor arrive? Please track A-1002.",
    "What is your return policy?",
    "I'd like a refund for A-1001 because the keyboard arrived with a broken key.",
    "Yes, please go ahead.",
    "My card number is 4111 1111 1111 1111, can you update it?",
    "This is taking too long, let me talk to a person.",
]

DEMO_CARRIER_DELAY = 1.5
"""Seconds the carrier's tracking takes in the demo: longer than the bot's filler threshold."""


@dataclass(frozen=True)
class _Marks:
    """The highest refund and ticket row ids before the demo, to report what it added."""

    refund: int
    ticket: int

    @classmethod
    def of(cls, db: ShopDatabase) -> _Marks:
        with db.connect() as conn:
            refund = conn.execute("SELECT COALESCE(MAX(id), 0) FROM refunds").fetchone()[0]
            ticket = conn.execute("SELECT COALESCE(MAX(id), 0) FROM support_tickets").fetchone()[0]
        return cls(int(refund), int(ticket))


async def run_demo(
    session: Session, db: ShopDatabase, view: ChatView, out: TextIO, turn_timeout: float
) -> None:
    """Play the script through `session`, showing it in `view`, then summarise on `out`."""
    before = _Marks.of(db)
    turns: list[tuple[Turn, TurnStats]] = []

    def keep(turn: Turn) -> None:
        turns.append((turn, view.last_turn or TurnStats()))

    out.write(f"A customer writes in ({len(SCRIPT)} messages); tool calls and timings as they happen.\n\n")
    await converse(session, lines_of(SCRIPT), view, echo=True, turn_timeout=turn_timeout, on_turn=keep)
    view.finish()
    out.write("\n" + summary(turns) + "\n")
    for line in changes(db, before):
        out.write(line + "\n")
    out.flush()


def summary(turns: list[tuple[Turn, TurnStats]]) -> str:
    """A table: per turn, time to the first words, the whole turn, and its tool calls."""
    rows = [("turn", "first words", "whole turn", "tool calls")]
    for number, (turn, stats) in enumerate(turns, 1):
        first = (
            format_duration(stats.first_words_at - stats.started_at)
            if stats.first_words_at is not None and stats.started_at is not None
            else "-"
        )
        calls = ", ".join(
            call.name if call.status == "ok" else f"{call.name} ({call.status})" for call in turn.tool_calls
        )
        if stats.parallel:
            calls += "  (in parallel)"
        rows.append((str(number), first, format_duration(turn.ended_at - turn.started_at), calls or "-"))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def changes(db: ShopDatabase, before: _Marks) -> list[str]:
    """What the conversation wrote to the database: refunds issued and tickets opened."""
    with db.connect() as conn:
        refunds = conn.execute(
            "SELECT r.id, r.order_id, r.amount_cents, o.currency FROM refunds r"
            " JOIN orders o ON o.id = r.order_id WHERE r.id > ? ORDER BY r.id",
            (before.refund,),
        ).fetchall()
        tickets = conn.execute(
            "SELECT id, summary FROM support_tickets WHERE id > ? ORDER BY id", (before.ticket,)
        ).fetchall()
    found = [
        f"Database: refund {refund_ref(row['id'])} of {money(row['amount_cents'])} {row['currency']}"
        f" issued for {row['order_id']}"
        for row in refunds
    ]
    found += [
        f"Database: support ticket {ticket_ref(row['id'])} opened: {row['summary'].splitlines()[0]!r}"
        for row in tickets
    ]
    return found or ["Database: nothing changed."]
