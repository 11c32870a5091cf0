"""The demo shop's starting data: a few customers, orders in every state, shipments and an FAQ.

Dates are relative to the moment of seeding, so a freshly created database always has an order
that is still inside the refund window (``A-1001``) and one that is not (``A-1004``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta


def iso(moment: datetime) -> str:
    """The storage format for timestamps: ISO 8601 with an explicit UTC offset."""
    return moment.isoformat(timespec="seconds")


CUSTOMERS = (
    # id, email, name, phone, joined days ago
    (1, "ada@example.com", "Ada Lovelace", "+44 20 7946 0101", 400),
    (2, "grace@example.com", "Grace Hopper", "+1 202 555 0142", 250),
    (3, "alan@example.com", "Alan Turing", None, 90),
)

ORDERS = (
    # id, customer, status, currency, shipping, tax, placed days ago, delivered days ago
    ("A-1001", 1, "delivered", "USD", 599, 1040, 9, 5),
    ("A-1002", 1, "shipped", "USD", 0, 2400, 3, None),
    ("A-1003", 2, "processing", "USD", 599, 520, 1, None),
    ("A-1004", 2, "delivered", "USD", 0, 880, 70, 60),
    ("A-1005", 3, "cancelled", "EUR", 450, 0, 20, None),
    ("A-1006", 3, "refunded", "EUR", 450, 760, 40, 35),
    ("A-1007", 3, "delivered", "EUR", 0, 1710, 16, 12),
)

ORDER_LINES = (
    # order, sku, description, quantity, unit price
    ("A-1001", "KB-201", "Mechanical keyboard", 1, 8900),
    ("A-1001", "MS-110", "Wireless mouse", 2, 2450),
    ("A-1002", "MN-270", "27-inch monitor", 1, 29900),
    ("A-1003", "HD-050", "USB-C hub", 1, 4500),
    ("A-1003", "CB-002", "USB-C cable, 2 m", 3, 900),
    ("A-1004", "LS-300", "Laptop stand", 1, 11000),
    ("A-1005", "HP-400", "Noise-cancelling headphones", 1, 19900),
    ("A-1006", "WC-720", "Webcam 1080p", 1, 7600),
    ("A-1007", "CH-900", "Ergonomic office chair", 1, 34900),
)

SHIPMENTS = (
    # id, order, carrier, tracking number, status, shipped days ago, estimated delivery days from now
    (1, "A-1001", "UPS", "1Z999AA10123456784", "delivered", 8, -5),
    (2, "A-1002", "FedEx", "794644790132", "in_transit", 2, 2),
    (3, "A-1004", "USPS", "9400111899223197428490", "delivered", 65, -60),
    (4, "A-1006", "DHL", "JD014600006281230781", "delivered", 38, -35),
    (5, "A-1007", "DHL", "JD014600006281239914", "delivered", 14, -12),
)

SHIPMENT_EVENTS = (
    # shipment, days ago, location, description
    (1, 8, "Louisville, KY", "Picked up by carrier"),
    (1, 6, "Chicago, IL", "Arrived at regional facility"),
    (1, 5, "Springfield, IL", "Delivered, left at front door"),
    (2, 2, "Memphis, TN", "Picked up by carrier"),
    (2, 1, "Indianapolis, IN", "In transit to destination facility"),
    (3, 65, "Oakland, CA", "Picked up by carrier"),
    (3, 60, "Portland, OR", "Delivered to mailroom"),
    (4, 38, "Leipzig, DE", "Picked up by carrier"),
    (4, 35, "Amsterdam, NL", "Delivered, signed by customer"),
    (5, 14, "Leipzig, DE", "Picked up by carrier"),
    (5, 12, "Paris, FR", "Delivered, signed by customer"),
)

REFUNDS = (
    # order, amount, reason, days ago
    ("A-1006", 7600 + 450 + 760, "Webcam stopped working after a week", 34),
)

FAQ = (
    (
        "What is your return and refund policy?",
        "Delivered orders can be refunded within 30 days of delivery. The refund covers the items, "
        "shipping and tax, and reaches the original payment method within 5 to 10 business days.",
    ),
    (
        "How do I track my shipment?",
        "Every shipped order has a carrier and a tracking number. Ask us with your order id and we "
        "will read you the latest tracking events.",
    ),
    (
        "How long does shipping take?",
        "Standard shipping takes 3 to 5 business days after the order leaves our warehouse. "
        "Orders usually ship within one business day.",
    ),
    (
        "Can I cancel my order?",
        "Orders that are still processing can be cancelled free of charge. Once an order has "
        "shipped it can no longer be cancelled, but it can be returned after delivery.",
    ),
    (
        "Do you ship internationally?",
        "We ship to the United States, Canada, the United Kingdom and the European Union. "
        "International delivery takes 7 to 14 business days and customs fees may apply.",
    ),
    (
        "How do I change my delivery address?",
        "The delivery address can be changed while an order is processing. After it ships, "
        "contact the carrier with your tracking number to redirect the parcel.",
    ),
    (
        "What payment methods do you accept?",
        "We accept Visa, Mastercard, American Express, PayPal and Apple Pay. Payment is taken "
        "when the order is placed.",
    ),
    (
        "My item arrived damaged. What should I do?",
        "We are sorry! Keep the packaging, take a photo of the damage and ask for a refund or a "
        "replacement within 30 days of delivery.",
    ),
    (
        "Is there a warranty on electronics?",
        "All electronics carry a two-year manufacturer warranty. Warranty claims are handled by a "
        "support agent: ask to speak to a human.",
    ),
)


def seed(conn: sqlite3.Connection, now: datetime) -> None:
    """Insert the starting rows; the caller owns the transaction."""

    def ago(days: int) -> str:
        return iso(now - timedelta(days=days))

    conn.executemany(
        "INSERT INTO customers (id, email, name, phone, created_at) VALUES (?, ?, ?, ?, ?)",
        [(cid, email, name, phone, ago(days)) for cid, email, name, phone, days in CUSTOMERS],
    )
    conn.executemany(
        "INSERT INTO orders (id, customer_id, status, currency, shipping_cents, tax_cents, placed_at,"
        " delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (oid, cid, status, cur, ship, tax, ago(placed), None if delivered is None else ago(delivered))
            for oid, cid, status, cur, ship, tax, placed, delivered in ORDERS
        ],
    )
    conn.executemany(
        "INSERT INTO order_lines (order_id, sku, description, quantity, unit_price_cents)"
        " VALUES (?, ?, ?, ?, ?)",
        ORDER_LINES,
    )
    conn.executemany(
        "INSERT INTO shipments (id, order_id, carrier, tracking_number, status, shipped_at,"
        " estimated_delivery) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (sid, oid, carrier, tracking, status, ago(shipped), ago(-eta))
            for sid, oid, carrier, tracking, status, shipped, eta in SHIPMENTS
        ],
    )
    conn.executemany(
        "INSERT INTO shipment_events (shipment_id, occurred_at, location, description) VALUES (?, ?, ?, ?)",
        [(sid, ago(days), location, text) for sid, days, location, text in SHIPMENT_EVENTS],
    )
    conn.executemany(
        "INSERT INTO refunds (order_id, amount_cents, reason, created_at) VALUES (?, ?, ?, ?)",
        [(oid, amount, reason, ago(days)) for oid, amount, reason, days in REFUNDS],
    )
    conn.executemany("INSERT INTO faq (question, answer) VALUES (?, ?)", FAQ)
