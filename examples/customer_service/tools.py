"""The customer-service tools: plain functions over the shop database, decorated as agentkit tools.

Results are JSON-ready dicts; anything the model should correct (an unknown id, an ineligible
refund) is a ``ToolError`` whose message tells it what to do next. Money is a decimal string in
the order's currency, so it can be read aloud without rounding surprises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from agentkit.tools import Tool, ToolContext, ToolError, Toolset, tool

from .db import ShopDatabase
from .orders import ORDER_ID_PATTERN, TOTAL_SQL, money, order_total, require_order
from .refunds import check_refundable, describe_refund, record_refund, refund_for, refund_ref
from .search import search_faq as _search_faq_rows
from .search import search_terms
from .seed import iso

DEFAULT_REFUND_WINDOW_DAYS = 30

OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN, description="The order id, like A-1001.")]
Email = Annotated[
    str,
    Field(min_length=3, max_length=254, description="The customer's email address, like ada@example.com."),
]


DEFAULT_APPROVAL_LIMIT_CENTS = 100_00
"""Confirmed refunds above this amount wait for a supervisor's approval."""


@dataclass(frozen=True)
class ShopDeps:
    """What the tools need from the application: the database, the refund policy, and how slow the
    carrier's tracking service is (the demo makes it slow, so the caller hears a filler)."""

    db: ShopDatabase
    refund_window_days: int = DEFAULT_REFUND_WINDOW_DAYS
    approval_limit_cents: int = DEFAULT_APPROVAL_LIMIT_CENTS
    carrier_delay: float = 0.0


ShopContext = ToolContext[ShopDeps]


@tool
def lookup_order(ctx: ShopContext, order_id: OrderId) -> dict[str, Any]:
    """Look up an order: its status, items, totals, customer, shipment and any refund.

    Args:
        order_id: The order id, like A-1001.
    """
    with ctx.deps.db.connect() as conn:
        order = require_order(conn, order_id)
        lines = conn.execute(
            "SELECT sku, description, quantity, unit_price_cents FROM order_lines"
            " WHERE order_id = ? ORDER BY id",
            (order["id"],),
        ).fetchall()
        shipment = conn.execute(
            "SELECT carrier, tracking_number, status FROM shipments WHERE order_id = ?", (order["id"],)
        ).fetchone()
        refund = refund_for(conn, order["id"])
    currency = order["currency"]
    subtotal = sum(line["quantity"] * line["unit_price_cents"] for line in lines)
    return {
        "order_id": order["id"],
        "status": order["status"],
        "placed_at": order["placed_at"],
        "delivered_at": order["delivered_at"],
        "customer": {"name": order["name"], "email": order["email"]},
        "items": [
            {
                "sku": line["sku"],
                "description": line["description"],
                "quantity": line["quantity"],
                "unit_price": money(line["unit_price_cents"]),
                "line_total": money(line["quantity"] * line["unit_price_cents"]),
            }
            for line in lines
        ],
        "totals": {
            "currency": currency,
            "items": money(subtotal),
            "shipping": money(order["shipping_cents"]),
            "tax": money(order["tax_cents"]),
            "total": money(subtotal + order["shipping_cents"] + order["tax_cents"]),
        },
        "shipment": dict(shipment) if shipment else None,
        "refund": describe_refund(refund, currency) if refund else None,
    }


@tool
def find_customer(ctx: ShopContext, email: Email) -> dict[str, Any]:
    """Find a customer by email address, with their orders (newest first).

    Args:
        email: The customer's email address, like ada@example.com.
    """
    with ctx.deps.db.connect() as conn:
        customer = conn.execute(
            "SELECT id, name, email, phone, created_at FROM customers WHERE email = ?", (email.strip(),)
        ).fetchone()
        if customer is None:
            raise ToolError(
                f"No customer with the email {email.strip()!r}. Check the spelling with the customer,"
                " or look the order up by its id instead."
            )
        orders = conn.execute(
            f"SELECT o.id, o.status, o.placed_at, o.currency, {TOTAL_SQL} AS total_cents"
            " FROM orders o WHERE o.customer_id = ? ORDER BY o.placed_at DESC",
            (customer["id"],),
        ).fetchall()
    return {
        "name": customer["name"],
        "email": customer["email"],
        "phone": customer["phone"],
        "customer_since": customer["created_at"],
        "orders": [
            {
                "order_id": row["id"],
                "status": row["status"],
                "placed_at": row["placed_at"],
                "total": money(row["total_cents"]),
                "currency": row["currency"],
            }
            for row in orders
        ],
    }


@tool(filler="In one short sentence, tell the user: I'm checking with the carrier, one moment.")
def track_shipment(ctx: ShopContext, order_id: OrderId) -> dict[str, Any]:
    """Track an order's shipment: carrier, tracking number, estimated delivery and tracking events.

    Args:
        order_id: The order id, like A-1002.
    """
    if ctx.deps.carrier_delay > 0:
        time.sleep(ctx.deps.carrier_delay)  # the carrier's tracking service (a sync tool: its own thread)
    with ctx.deps.db.connect() as conn:
        order = require_order(conn, order_id)
        shipment = conn.execute(
            "SELECT id, carrier, tracking_number, status, shipped_at, estimated_delivery"
            " FROM shipments WHERE order_id = ?",
            (order["id"],),
        ).fetchone()
        if shipment is None:
            why = (
                "was cancelled before it shipped" if order["status"] == "cancelled" else "has not shipped yet"
            )
            raise ToolError(
                f"Order {order['id']} {why} (status: {order['status']}), so there is nothing to track."
            )
        events = conn.execute(
            "SELECT occurred_at, location, description FROM shipment_events"
            " WHERE shipment_id = ? ORDER BY occurred_at DESC, id DESC",
            (shipment["id"],),
        ).fetchall()
    return {
        "order_id": order["id"],
        "order_status": order["status"],
        "carrier": shipment["carrier"],
        "tracking_number": shipment["tracking_number"],
        "shipment_status": shipment["status"],
        "shipped_at": shipment["shipped_at"],
        "estimated_delivery": shipment["estimated_delivery"],
        "events": [dict(event) for event in events],
    }


def needs_supervisor(arguments: dict[str, Any], ctx: ShopContext) -> bool:
    """A confirmed refund above the shop's limit waits for a supervisor (quotes never do)."""
    if not arguments.get("confirm"):
        return False
    with ctx.deps.db.connect() as conn:
        order = conn.execute("SELECT id FROM orders WHERE id = ?", (arguments["order_id"],)).fetchone()
        return order is not None and order_total(conn, order["id"]) > ctx.deps.approval_limit_cents


@tool(needs_approval=needs_supervisor)
def start_refund(
    ctx: ShopContext,
    order_id: OrderId,
    reason: Annotated[str, Field(min_length=3, max_length=500)],
    confirm: bool = False,
) -> dict[str, Any]:
    """Refund a delivered order in full. Call it first without confirm to get the amount, tell the
    customer, and only once they agree call it again with confirm=true.

    Money only moves on the confirmed call, which is safe to repeat: a second confirmation returns
    the refund already made instead of paying twice.

    Args:
        order_id: The order id, like A-1001.
        reason: Why the customer wants the refund, in their words.
        confirm: False to quote the refund; true only after the customer agreed to that amount.
    """
    deps = ctx.deps
    if not confirm:
        with deps.db.connect() as conn:
            order = require_order(conn, order_id)
            check_refundable(conn, order, window_days=deps.refund_window_days, now=deps.db.clock())
            amount = order_total(conn, order["id"])
        return {
            "order_id": order["id"],
            "refund_amount": money(amount),
            "currency": order["currency"],
            "reason": reason,
            "confirmed": False,
            "next_step": "Tell the customer this amount and ask them to confirm; if they agree, call"
            " start_refund again with confirm=true.",
        }
    with deps.db.transaction() as conn:
        order = require_order(conn, order_id)
        existing = refund_for(conn, order["id"])
        if existing is not None:
            return {
                **describe_refund(existing, order["currency"]),
                "order_id": order["id"],
                "already_refunded": True,
                "message": "This order had already been refunded; no new refund was made.",
            }
        check_refundable(conn, order, window_days=deps.refund_window_days, now=deps.db.clock())
        amount = order_total(conn, order["id"])
        refund_id = record_refund(conn, order["id"], amount, reason, deps.db.clock())
    return {
        "refund_id": refund_ref(refund_id),
        "order_id": order["id"],
        "amount": money(amount),
        "currency": order["currency"],
        "already_refunded": False,
        "message": "Refund issued; it reaches the original payment method within 5 to 10 business days.",
    }


@tool
def search_faq(
    ctx: ShopContext, query: Annotated[str, Field(min_length=1, max_length=500)]
) -> dict[str, Any]:
    """Search the help-centre FAQ (policies, shipping, returns, payments) and return the best three answers.

    Args:
        query: A few words describing the customer's question, like "return policy".
    """
    terms = search_terms(query)
    if not terms:
        raise ToolError("The search query has no words in it; describe the question in a few words.")
    db = ctx.deps.db
    with db.connect() as conn:
        rows = _search_faq_rows(conn, terms, full_text=db.has_full_text_search, limit=3)
    results = [{"question": row["question"], "answer": row["answer"]} for row in rows]
    response: dict[str, Any] = {"query": query, "results": results}
    if not results:
        response["message"] = "Nothing in the help centre matches. Offer to escalate to a human."
    return response


@tool
def escalate_to_human(
    ctx: ShopContext,
    summary: Annotated[str, Field(min_length=3, max_length=2000)],
    customer_email: Email | None = None,
    order_id: OrderId | None = None,
) -> dict[str, Any]:
    """Open a support ticket so a human support agent calls or emails the customer back later.

    Args:
        summary: What the customer needs and what has been tried, for the human agent.
        customer_email: The customer's email address, if known.
        order_id: The order the request is about, if any, like A-1001.
    """
    db = ctx.deps.db
    email = customer_email.strip() if customer_email else None
    with db.transaction() as conn:
        order = require_order(conn, order_id) if order_id else None
        customer_id = order["customer_id"] if order else None
        if email:
            row = conn.execute("SELECT id FROM customers WHERE email = ?", (email,)).fetchone()
            customer_id = row["id"] if row else customer_id
        cursor = conn.execute(
            "INSERT INTO support_tickets (customer_id, contact_email, order_id, summary, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (customer_id, email, order["id"] if order else None, summary.strip(), iso(db.clock())),
        )
    return {
        "ticket_id": ticket_ref(cursor.lastrowid or 0),
        "status": "open",
        "message": "A support agent will pick this up and contact the customer within one business day.",
    }


TOOLS: tuple[Tool, ...] = (
    lookup_order,
    find_customer,
    track_shipment,
    start_refund,
    search_faq,
    escalate_to_human,
)


def build_toolset() -> Toolset:
    """A fresh toolset of the shop's tools (each session should have its own)."""
    return Toolset(TOOLS, name="customer_service")


def ticket_ref(ticket_id: int) -> str:
    """The id a customer sees for a support ticket row."""
    return f"T-{ticket_id:04d}"
