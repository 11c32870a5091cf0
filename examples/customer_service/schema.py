"""The shop's tables, as individual statements.

Statements are kept separate (not one script) because ``executescript`` commits any open
transaction first, and creation plus seeding must happen in one transaction.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

ORDER_STATUSES = ("processing", "shipped", "delivered", "cancelled", "refunded")

TABLES: tuple[str, ...] = (
    """CREATE TABLE schema_version (
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        phone TEXT,
        created_at TEXT NOT NULL
    )""",
    f"""CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        status TEXT NOT NULL CHECK (status IN {ORDER_STATUSES!r}),
        currency TEXT NOT NULL,
        shipping_cents INTEGER NOT NULL CHECK (shipping_cents >= 0),
        tax_cents INTEGER NOT NULL CHECK (tax_cents >= 0),
        placed_at TEXT NOT NULL,
        delivered_at TEXT
    )""",
    """CREATE TABLE order_lines (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id),
        sku TEXT NOT NULL,
        description TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0)
    )""",
    """CREATE TABLE shipments (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
        carrier TEXT NOT NULL,
        tracking_number TEXT NOT NULL,
        status TEXT NOT NULL,
        shipped_at TEXT NOT NULL,
        estimated_delivery TEXT
    )""",
    """CREATE TABLE shipment_events (
        id INTEGER PRIMARY KEY,
        shipment_id INTEGER NOT NULL REFERENCES shipments(id),
        occurred_at TEXT NOT NULL,
        location TEXT NOT NULL,
        description TEXT NOT NULL
    )""",
    # UNIQUE(order_id): one refund per order, so a repeated confirmation can never pay twice.
    """CREATE TABLE refunds (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
        amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE support_tickets (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER REFERENCES customers(id),
        contact_email TEXT,
        order_id TEXT REFERENCES orders(id),
        summary TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE faq (
        id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        answer TEXT NOT NULL
    )""",
)

# The full-text index over the FAQ, an external-content FTS5 table kept in step by triggers.
# Created only when the SQLite build has FTS5; searching falls back to LIKE otherwise.
FAQ_INDEX: tuple[str, ...] = (
    """CREATE VIRTUAL TABLE faq_fts USING fts5(
        question, answer, content='faq', content_rowid='id', tokenize='porter unicode61'
    )""",
    """CREATE TRIGGER faq_fts_insert AFTER INSERT ON faq BEGIN
        INSERT INTO faq_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer);
    END""",
    """CREATE TRIGGER faq_fts_delete AFTER DELETE ON faq BEGIN
        INSERT INTO faq_fts(faq_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
    END""",
    """CREATE TRIGGER faq_fts_update AFTER UPDATE ON faq BEGIN
        INSERT INTO faq_fts(faq_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
        INSERT INTO faq_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer);
    END""",
    "INSERT INTO faq_fts(faq_fts) VALUES ('rebuild')",
)
