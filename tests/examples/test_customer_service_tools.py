"""The customer-service tools against a temporary shop database."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from agentkit.tools import ToolContext, ToolError
from examples.customer_service import refunds, tools
from examples.customer_service.db import ShopDatabase
from examples.customer_service.tools import (
    ShopDeps,
    build_toolset,
    escalate_to_human,
    find_customer,
    lookup_order,
    search_faq,
    start_refund,
    track_shipment,
)

ShopContext = ToolContext[ShopDeps]


class Clock:
    """A settable clock, so refund-window rules can be tested at exact moments."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def db(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> ShopDatabase:
    database = ShopDatabase(tmp_path / "shop.sqlite3", full_text_search=request.param, clock=clock)
    if request.param and not database.has_full_text_search:
        pytest.skip("this SQLite build has no FTS5")
    return database


def context(db: ShopDatabase, **policy: Any) -> ShopContext:
    return ToolContext(call_id="call_1", tool_name="test", deps=ShopDeps(db, **policy))


@pytest.fixture
def ctx(db: ShopDatabase) -> ShopContext:
    return context(db)


def scalar(db: ShopDatabase, sql: str, *params: object) -> Any:
    with db.connect() as conn:
        return conn.execute(sql, params).fetchone()[0]


# --- lookup_order ---------------------------------------------------------------------------------


def test_lookup_order_describes_the_order(ctx: ShopContext) -> None:
    order = lookup_order(ctx, "A-1001")
    assert json.loads(json.dumps(order)) == order
    assert order["order_id"] == "A-1001"
    assert order["status"] == "delivered"
    assert order["customer"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert [(item["sku"], item["quantity"], item["line_total"]) for item in order["items"]] == [
        ("KB-201", 1, "89.00"),
        ("MS-110", 2, "49.00"),
    ]
    assert order["totals"] == {
        "currency": "USD",
        "items": "138.00",
        "shipping": "5.99",
        "tax": "10.40",
        "total": "154.39",
    }
    assert order["shipment"]["tracking_number"] == "1Z999AA10123456784"
    assert order["refund"] is None


def test_lookup_order_shows_an_existing_refund(ctx: ShopContext) -> None:
    order = lookup_order(ctx, "A-1006")
    assert order["status"] == "refunded"
    assert order["refund"]["amount"] == order["totals"]["total"] == "88.10"


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("A-9999", "No order A-9999. Order ids look like A-1001"),
        ("1001", "'1001' is not an order id. Order ids look like A-1001."),
        ("A-1001' OR '1'='1", "is not an order id"),
    ],
)
def test_lookup_order_explains_bad_ids(ctx: ShopContext, order_id: str, message: str) -> None:
    with pytest.raises(ToolError, match=re.escape(message)):
        lookup_order(ctx, order_id)


# --- find_customer --------------------------------------------------------------------------------


def test_find_customer_ignores_case_and_spaces(ctx: ShopContext) -> None:
    customer = find_customer(ctx, "  Grace@Example.COM ")
    assert customer["name"] == "Grace Hopper"
    assert [order["order_id"] for order in customer["orders"]] == ["A-1003", "A-1004"]
    assert customer["orders"][1] == {
        "order_id": "A-1004",
        "status": "delivered",
        "placed_at": customer["orders"][1]["placed_at"],
        "total": "118.80",
        "currency": "USD",
    }


def test_find_customer_explains_an_unknown_email(ctx: ShopContext) -> None:
    with pytest.raises(ToolError, match=re.escape("No customer with the email 'nobody@example.com'")):
        find_customer(ctx, "nobody@example.com")


# --- track_shipment -------------------------------------------------------------------------------


def test_track_shipment_lists_events_newest_first(ctx: ShopContext) -> None:
    tracking = track_shipment(ctx, "A-1002")
    assert (tracking["carrier"], tracking["tracking_number"]) == ("FedEx", "794644790132")
    assert tracking["shipment_status"] == "in_transit"
    assert [event["description"] for event in tracking["events"]] == [
        "In transit to destination facility",
        "Picked up by carrier",
    ]


@pytest.mark.parametrize(
    ("order_id", "message"),
    [("A-1003", "A-1003 has not shipped yet"), ("A-1005", "A-1005 was cancelled before it shipped")],
)
def test_track_shipment_without_a_shipment(ctx: ShopContext, order_id: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        track_shipment(ctx, order_id)


def test_track_shipment_unknown_order(ctx: ShopContext) -> None:
    with pytest.raises(ToolError, match="No order A-4242"):
        track_shipment(ctx, "A-4242")


# --- start_refund ---------------------------------------------------------------------------------


def refund_count(db: ShopDatabase) -> int:
    return int(scalar(db, "SELECT COUNT(*) FROM refunds"))


def order_status(db: ShopDatabase, order_id: str) -> str:
    return str(scalar(db, "SELECT status FROM orders WHERE id = ?", order_id))


def test_unconfirmed_refund_only_quotes(db: ShopDatabase, ctx: ShopContext) -> None:
    quote = start_refund(ctx, "A-1001", "Keyboard arrived broken")
    assert quote["confirmed"] is False
    assert quote["refund_amount"] == lookup_order(ctx, "A-1001")["totals"]["total"]
    assert "confirm=true" in quote["next_step"]
    assert refund_count(db) == 1  # only the seeded refund of A-1006
    assert order_status(db, "A-1001") == "delivered"


def test_confirmed_refund_writes_refund_and_order_together(db: ShopDatabase, ctx: ShopContext) -> None:
    refund = start_refund(ctx, "A-1001", "Keyboard arrived broken", confirm=True)
    assert refund["already_refunded"] is False
    assert refund["amount"] == "154.39"
    assert order_status(db, "A-1001") == "refunded"
    with db.connect() as conn:
        row = conn.execute("SELECT amount_cents, reason FROM refunds WHERE order_id = 'A-1001'").fetchone()
    assert tuple(row) == (15439, "Keyboard arrived broken")
    assert lookup_order(ctx, "A-1001")["refund"]["refund_id"] == refund["refund_id"]


def test_a_second_confirmation_does_not_pay_twice(db: ShopDatabase, ctx: ShopContext) -> None:
    first = start_refund(ctx, "A-1001", "broken", confirm=True)
    second = start_refund(ctx, "A-1001", "broken", confirm=True)
    assert second["already_refunded"] is True
    assert second["refund_id"] == first["refund_id"]
    assert refund_count(db) == 2
    with pytest.raises(ToolError, match="already been refunded"):
        start_refund(ctx, "A-1001", "broken")


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("A-1002", "still on its way"),
        ("A-1003", "has not shipped yet"),
        ("A-1004", "more than 30 days ago"),
        ("A-1005", "was cancelled"),
        ("A-1006", r"already been refunded \(refund R-0001\)"),
        ("A-0000", "No order A-0000"),
    ],
)
@pytest.mark.parametrize("confirm", [False, True])
def test_ineligible_refunds_are_explained_and_change_nothing(
    db: ShopDatabase, ctx: ShopContext, order_id: str, message: str, confirm: bool
) -> None:
    if order_id == "A-1006" and confirm:
        # Confirming an already-refunded order is the idempotent path, not an error.
        assert start_refund(ctx, order_id, "again", confirm=True)["already_refunded"] is True
    else:
        with pytest.raises(ToolError, match=message):
            start_refund(ctx, order_id, "changed my mind", confirm=confirm)
    assert refund_count(db) == 1


def test_refund_window_follows_the_clock(db: ShopDatabase, clock: Clock) -> None:
    ctx = context(db)
    clock.now += timedelta(days=25)  # delivered 5 days before seeding: now exactly 30 days ago
    assert start_refund(ctx, "A-1001", "late")["confirmed"] is False
    clock.now += timedelta(seconds=1)
    with pytest.raises(ToolError, match="outside the refund window"):
        start_refund(ctx, "A-1001", "late")


def test_refund_window_is_a_policy_of_the_deps(db: ShopDatabase) -> None:
    generous = context(db, refund_window_days=90)
    assert start_refund(generous, "A-1004", "late", confirm=True)["amount"] == "118.80"


@pytest.mark.parametrize("crash", [RuntimeError("simulated crash"), KeyboardInterrupt()])
def test_crash_between_the_two_writes_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, db: ShopDatabase, ctx: ShopContext, crash: BaseException
) -> None:
    def crash_instead(*args: Any) -> None:
        raise crash

    monkeypatch.setattr(refunds, "mark_refunded", crash_instead)  # after the refund row is inserted
    with pytest.raises(type(crash)):
        start_refund(ctx, "A-1001", "broken", confirm=True)
    assert refund_count(db) == 1
    assert order_status(db, "A-1001") == "delivered"


def test_database_failure_of_the_order_update_rolls_back_the_refund(
    db: ShopDatabase, ctx: ShopContext
) -> None:
    with db.transaction() as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF status ON orders"
            " BEGIN SELECT RAISE(ABORT, 'disk gone'); END"
        )
    with pytest.raises(sqlite3.DatabaseError, match="disk gone"):
        start_refund(ctx, "A-1001", "broken", confirm=True)
    assert refund_count(db) == 1
    assert order_status(db, "A-1001") == "delivered"


def test_concurrent_confirmations_refund_once(db: ShopDatabase, ctx: ShopContext) -> None:
    workers = 6
    barrier = threading.Barrier(workers)

    def confirm() -> dict[str, Any]:
        barrier.wait(timeout=10)
        return start_refund(ctx, "A-1007", "Chair squeaks", confirm=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = [future.result(timeout=30) for future in [pool.submit(confirm) for _ in range(workers)]]
    assert len({result["refund_id"] for result in results}) == 1
    assert sorted(result["already_refunded"] for result in results) == [False] + [True] * (workers - 1)
    assert scalar(db, "SELECT COUNT(*) FROM refunds WHERE order_id = 'A-1007'") == 1


def test_concurrent_tools_in_threads(db: ShopDatabase, ctx: ShopContext) -> None:
    calls: list[Callable[[], dict[str, Any]]] = [
        lambda: lookup_order(ctx, "A-1001"),
        lambda: track_shipment(ctx, "A-1002"),
        lambda: find_customer(ctx, "alan@example.com"),
        lambda: search_faq(ctx, "shipping time"),
        lambda: escalate_to_human(ctx, "Wants to talk to a person"),
        lambda: start_refund(ctx, "A-1001", "broken", confirm=True),
    ] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [future.result(timeout=30) for future in [pool.submit(call) for call in calls]]
    assert len(results) == len(calls)
    assert scalar(db, "SELECT COUNT(*) FROM support_tickets") == 3
    assert scalar(db, "SELECT COUNT(*) FROM refunds WHERE order_id = 'A-1001'") == 1


# --- search_faq -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("what's the refund policy", "What is your return and refund policy?"),
        ("do you ship to Canada internationally", "Do you ship internationally?"),
        ("warranty on my headphones", "Is there a warranty on electronics?"),
        ("the box came damaged", "My item arrived damaged. What should I do?"),
        ("can I pay with PayPal", "What payment methods do you accept?"),
    ],
)
def test_search_faq_ranks_the_right_answer_first(ctx: ShopContext, query: str, best: str) -> None:
    results = search_faq(ctx, query)["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["question"] == best
    assert results[0]["answer"]


def test_search_faq_returns_at_most_three(ctx: ShopContext) -> None:
    assert len(search_faq(ctx, "order shipping refund delivery payment warranty")["results"]) == 3


def test_search_faq_says_when_nothing_matches(ctx: ShopContext) -> None:
    found = search_faq(ctx, "xylophone")
    assert found["results"] == []
    assert "escalate" in found["message"]


def test_search_faq_rejects_a_query_without_words(ctx: ShopContext) -> None:
    with pytest.raises(ToolError, match="no words"):
        search_faq(ctx, "?!*")


# --- escalate_to_human ----------------------------------------------------------------------------


def ticket(db: ShopDatabase, ticket_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT customer_id, contact_email, order_id, summary, status FROM support_tickets WHERE id = ?",
            (int(ticket_id.removeprefix("T-")),),
        ).fetchone()
    return dict(row)


def test_escalation_creates_a_linked_ticket(db: ShopDatabase, ctx: ShopContext) -> None:
    result = escalate_to_human(ctx, "Warranty claim for a keyboard", "ada@example.com", "A-1001")
    assert result["ticket_id"] == "T-0001"
    assert result["status"] == "open"
    assert ticket(db, result["ticket_id"]) == {
        "customer_id": 1,
        "contact_email": "ada@example.com",
        "order_id": "A-1001",
        "summary": "Warranty claim for a keyboard",
        "status": "open",
    }


def test_escalation_finds_the_customer_through_the_order(db: ShopDatabase, ctx: ShopContext) -> None:
    first = escalate_to_human(ctx, "Cancel please", order_id="A-1003")
    second = escalate_to_human(ctx, "A guest with a question", customer_email="guest@example.org")
    assert first["ticket_id"] != second["ticket_id"]
    assert ticket(db, first["ticket_id"])["customer_id"] == 2
    assert ticket(db, second["ticket_id"])["customer_id"] is None
    assert ticket(db, second["ticket_id"])["contact_email"] == "guest@example.org"


def test_escalation_about_an_unknown_order_writes_nothing(db: ShopDatabase, ctx: ShopContext) -> None:
    with pytest.raises(ToolError, match="No order A-9999"):
        escalate_to_human(ctx, "Where is it?", order_id="A-9999")
    assert scalar(db, "SELECT COUNT(*) FROM support_tickets") == 0


# --- as agentkit tools ----------------------------------------------------------------------------


def test_toolset_offers_every_tool_with_a_schema() -> None:
    toolset = build_toolset()
    assert toolset.names() == [
        "lookup_order",
        "find_customer",
        "track_shipment",
        "start_refund",
        "search_faq",
        "escalate_to_human",
    ]
    definitions = {definition["name"]: definition for definition in toolset.definitions()}
    for name in ("lookup_order", "track_shipment", "start_refund"):
        order_id = definitions[name]["parameters"]["properties"]["order_id"]
        assert order_id["pattern"] == tools.ORDER_ID_PATTERN
    assert "ctx" not in definitions["start_refund"]["parameters"]["properties"]
    assert definitions["start_refund"]["parameters"]["required"] == ["order_id", "reason"]
    assert all(definition["description"] for definition in definitions.values())


def test_each_call_gets_its_own_toolset() -> None:
    first, second = build_toolset(), build_toolset()
    first.disable("start_refund")
    assert "start_refund" in second
