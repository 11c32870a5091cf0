"""The refund policy (which orders may be refunded) and the two writes that make a refund.

``record_refund`` must run inside ``ShopDatabase.transaction()``: the refund row and the order's
new status then commit together or not at all.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from agentkit.tools import ToolError

from .orders import money
from .seed import iso


def refund_ref(refund_id: int) -> str:
    """The id a customer sees for a refund row."""
    return f"R-{refund_id:04d}"


def refund_for(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row | None:
    """The order's refund, if it has one (there is at most one per order)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, amount_cents, reason, created_at FROM refunds WHERE order_id = ?", (order_id,)
    ).fetchone()
    return row


def describe_refund(refund: sqlite3.Row, currency: str) -> dict[str, Any]:
    return {
        "refund_id": refund_ref(refund["id"]),
        "amount": money(refund["amount_cents"]),
        "currency": currency,
        "reason": refund["reason"],
        "created_at": refund["created_at"],
    }


def check_refundable(
    conn: sqlite3.Connection, order: sqlite3.Row, *, window_days: int, now: datetime
) -> None:
    """Raise a ToolError explaining why the order cannot be refunded, if it cannot.

    Refundable: delivered, at most ``window_days`` ago, and not refunded already.
    """
    oid, status = order["id"], order["status"]
    if status == "refunded":
        refund = refund_for(conn, oid)
        which = f" (refund {refund_ref(refund['id'])})" if refund else ""
        raise ToolError(f"Order {oid} has already been refunded{which}; nothing more can be refunded.")
    if status == "cancelled":
        raise ToolError(
            f"Order {oid} was cancelled before it shipped and was never charged; there is nothing to refund."
        )
    if status == "processing":
        raise ToolError(
            f"Order {oid} has not shipped yet, so it cannot be refunded. It can still be cancelled:"
            " offer to escalate to a human for the cancellation."
        )
    if status == "shipped":
        raise ToolError(f"Order {oid} is still on its way; a refund is possible once it has been delivered.")
    if not order["delivered_at"]:
        raise ToolError(f"Order {oid} has no delivery date on record. Offer to escalate to a human instead.")
    if now - datetime.fromisoformat(order["delivered_at"]) > timedelta(days=window_days):
        raise ToolError(
            f"Order {oid} was delivered more than {window_days} days ago, outside the refund window."
            " Offer to escalate to a human instead."
        )


def record_refund(
    conn: sqlite3.Connection, order_id: str, amount_cents: int, reason: str, now: datetime
) -> int:
    """Write the refund and mark the order refunded; returns the refund's row id."""
    refund_id = insert_refund(conn, order_id, amount_cents, reason, now)
    mark_refunded(conn, order_id)
    return refund_id


def insert_refund(
    conn: sqlite3.Connection, order_id: str, amount_cents: int, reason: str, now: datetime
) -> int:
    cursor = conn.execute(
        "INSERT INTO refunds (order_id, amount_cents, reason, created_at) VALUES (?, ?, ?, ?)",
        (order_id, amount_cents, reason.strip(), iso(now)),
    )
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT into a rowid table always sets it
        raise RuntimeError("the refund row got no id")
    return cursor.lastrowid


def mark_refunded(conn: sqlite3.Connection, order_id: str) -> None:
    updated = conn.execute(
        "UPDATE orders SET status = 'refunded' WHERE id = ? AND status = 'delivered'", (order_id,)
    ).rowcount
    if updated != 1:
        raise RuntimeError(f"order {order_id} changed state during its refund")
