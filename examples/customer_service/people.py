"""The people behind the bot: the supervisor who approves large refunds, and the team a caller can
be transferred to. The bot's modes pick how a supervisor is asked (`--approvals ask|allow|deny`: in the
terminal, an operator endpoint with `--serve`, or a fixed policy)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

import anyio.to_thread

from agentkit import ApprovalRequested, Decision
from agentkit.session import Approver
from agentkit.transfer import HandoverSummary, TransferOutcome, Transferrer

from .db import ShopDatabase
from .seed import iso
from .tools import ticket_ref

DENIED = "refunds above the limit need a supervisor, and none approved this one"


async def approve_all(request: ApprovalRequested) -> Decision:
    """`--approvals allow`: a supervisor who approves every refund."""
    return Decision.approve()


async def deny_all(request: ApprovalRequested) -> Decision:
    """`--approvals deny`: a supervisor who approves none."""
    return Decision.reject(DENIED)


FIXED: dict[str, Approver] = {"allow": approve_all, "deny": deny_all}
"""`--approvals allow|deny`: a fixed policy."""


def describe(request: ApprovalRequested) -> str:
    """`start_refund(order_id='A-1001', confirm=True)`, as a supervisor reads it."""
    try:
        arguments = json.loads(request.arguments)
    except ValueError:
        arguments = {}
    order = arguments.get("order_id", "?")
    return f"refund of order {order} ({arguments.get('reason', 'no reason given')})"


def ask_in_terminal(read_line: Callable[[], str], out: TextIO) -> Approver:
    """`--approvals ask` in a terminal: the supervisor answers y or n (anything else is a no)."""

    async def ask(request: ApprovalRequested) -> Decision:
        out.write(f"\n  supervisor: approve the {describe(request)}? [y/N] ")
        out.flush()
        answer = await anyio.to_thread.run_sync(read_line, abandon_on_cancel=True)
        if answer.strip().lower() in ("y", "yes"):
            return Decision.approve()
        return Decision.reject("the supervisor did not approve it")

    return ask


def queue_for_a_person(db: ShopDatabase) -> Transferrer:
    """Puts the caller in the team's queue: a ticket with the hand-over summary, and its reference."""

    async def transfer(summary: HandoverSummary) -> TransferOutcome:
        with db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO support_tickets (customer_id, contact_email, order_id, summary, created_at)"
                " VALUES (NULL, NULL, NULL, ?, ?)",
                (summary.text(), iso(db.clock())),
            )
        reference = ticket_ref(cursor.lastrowid or 0)
        return TransferOutcome(
            accepted=True,
            say=f"I'm transferring you to a colleague now; your reference is {reference}. "
            "Please stay on the line.",
        )

    return transfer
