"""Reading orders: finding one by id (with model-readable errors), its total, money as text."""

from __future__ import annotations

import re
import sqlite3

from agentkit.tools import ToolError

ORDER_ID_PATTERN = r"^A-\d{4}$"

# An order's total in cents: its lines plus shipping and tax; expects the order aliased as ``o``.
TOTAL_SQL = (
    "(o.shipping_cents + o.tax_cents + COALESCE((SELECT SUM(l.quantity * l.unit_price_cents)"
    " FROM order_lines l WHERE l.order_id = o.id), 0))"
)


def money(cents: int) -> str:
    """Cents as a decimal string ("154.39"): exact, and easy to read aloud."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def require_order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    """The order row joined with its customer's name and email, or a ToolError saying what is wrong."""
    if not re.fullmatch(ORDER_ID_PATTERN, order_id):
        raise ToolError(f"{order_id!r} is not an order id. Order ids look like A-1001.")
    order: sqlite3.Row | None = conn.execute(
        "SELECT o.*, c.name, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
        (order_id,),
    ).fetchone()
    if order is None:
        raise ToolError(f"No order {order_id}. Order ids look like A-1001; check the id with the customer.")
    return order


def order_total(conn: sqlite3.Connection, order_id: str) -> int:
    """What the customer paid for the order, in cents."""
    row = conn.execute(f"SELECT {TOTAL_SQL} FROM orders o WHERE o.id = ?", (order_id,)).fetchone()
    return int(row[0])
