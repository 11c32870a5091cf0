"""KeywordModel's answers: tool outputs worded for a customer, the confirmation flow, relayed errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.protocol.items import FunctionCallItem, FunctionCallOutputItem, Item, MessageItem, user_text
from agentkit.protocol.session_config import SessionConfig
from agentkit.testing.keyword_answers import ToolResult, action, answer
from agentkit.testing.keyword_model import KeywordModel
from agentkit.testing.models import Call, ModelContext, Say


def said(
    name: str, output: Any, arguments: dict[str, Any] | None = None, *, confirmable: bool = False
) -> str:
    text = output if isinstance(output, str) else json.dumps(output)
    return answer([ToolResult(name, text, arguments or {}, confirmable)])


def test_a_record_leads_with_id_and_status_then_plain_dates_and_amounts() -> None:
    order = {
        "order_id": "A-1",
        "status": "in_transit",
        "placed_at": "2026-01-05T10:00:00Z",
        "delivered_at": None,
        "totals": {"currency": "EUR", "subtotal": "10.00", "total": "12.50"},
        "items": [{"description": "Keyboard", "quantity": 1}, {"description": "Mouse", "quantity": 2}],
        "next_step": "Tell the customer the total.",
        "hint": "be brief",
        "gift": False,
        "express": True,
    }
    assert said("lookup_order", order, {"order_id": "A-1"}) == (
        "Order A-1 is in transit: placed on 5 January 2026, total 12.50 EUR, 2 items (Keyboard, 2 x Mouse),"
        " express."
    )


def test_a_result_with_a_message_and_secondary_ids() -> None:
    refund = {
        "refund_id": "R-2",
        "order_id": "A-1",
        "amount": "154.39",
        "currency": "USD",
        "already_refunded": False,
        "message": "Refund issued; the customer's bank shows it within 5 days.",
    }
    assert said("start_refund", refund) == (
        "Refund R-2 for order A-1: 154.39 USD. Refund issued; your bank shows it within 5 days."
    )
    assert said("escalate_to_human", {"ticket_id": "T-1", "status": "open"}) == "Ticket T-1 is open."
    assert said("escalate_to_human", {"status": "done"}) == "Done."


def test_search_results_give_the_best_answer() -> None:
    results = {"query": "returns", "results": [{"question": "Returns?", "answer": "Within 30 days."}, {}]}
    assert said("search_faq", results, {"query": "returns"}) == "Within 30 days."
    assert said("search_docs", [{"title": "Setup", "text": "Run the installer"}]) == "Run the installer."
    empty = {"results": [], "message": "Nothing matches. Offer to escalate to a human."}
    assert said("search_faq", empty, {"query": "zzz"}) == (
        'Sorry, I couldn\'t find anything about "zzz". Nothing matches.'
        " Would you like me to escalate to a human?"
    )


def test_lists_and_people_are_summarised() -> None:
    orders = [{"order_id": f"A-{n}", "status": "shipped"} for n in range(1, 5)]
    assert (
        said("list_orders", orders) == "I found 4 results (A-1 shipped, A-2 shipped, A-3 shipped and 1 more)."
    )
    customer = {"name": "Ada", "email": "ada@x.com", "since": "2025-10-18", "orders": []}
    assert said("find_customer", customer, {"email": "ada@x.com"}) == "Ada: since 18 October 2025, no orders."
    events = {"events": [{"at": "2026-01-02", "place": "Paris", "description": "Out for delivery"}]}
    assert said("track", events) == "Latest event: Out for delivery (Paris), 2 January 2026."


@pytest.mark.parametrize(
    ("name", "output", "expected"),
    [
        (
            "start_refund",
            {"order_id": "A-1001", "refund_amount": "154.39", "currency": "USD", "confirmed": False},
            "Shall I go ahead with the refund of 154.39 USD for A-1001?",
        ),
        (
            "cancel_subscription",
            {"subscription_id": "S-9", "requires_confirmation": True},
            "Shall I go ahead and cancel the subscription for S-9?",
        ),
        ("book_table", {"status": "needs_confirmation"}, "Shall I go ahead and book the table?"),
    ],
)
def test_an_output_waiting_for_confirmation_becomes_a_question(name: str, output: Any, expected: str) -> None:
    assert said(name, output, confirmable=True) == expected


def test_without_a_confirmation_flag_to_set_the_output_is_reported() -> None:
    quote = {"order_id": "A-1001", "refund_amount": "154.39", "currency": "USD", "confirmed": False}
    assert said("start_refund", quote) == "Order A-1001: refund amount 154.39 USD."


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "Order A-1003 has not shipped yet, so it cannot be refunded. It can still be cancelled:"
            " offer to escalate to a human for the cancellation.",
            "Sorry, I couldn't start the refund. Order A-1003 has not shipped yet, so it cannot be refunded."
            " It can still be cancelled. Would you like me to escalate to a human for the cancellation?",
        ),
        (
            "No customer with that email. Check the spelling with the customer, or call find_customer again.",
            "Sorry, I couldn't start the refund for A-1003. No customer with that email.",
        ),
        (
            "No order A-9999. Order ids look like A-1001; check the id with the customer.",
            "Sorry, I couldn't start the refund for A-1003. No order A-9999. Order ids look like A-1001.",
        ),
        (
            "invalid arguments for tool start_refund:"
            ' reason: String should have at least 3 characters (got "ab");'
            " order_id: Field required",
            'Sorry, I couldn\'t start the refund: the reason should have at least 3 characters (got "ab")'
            " and I need the order ID. Could you tell me?",
        ),
        (
            "invalid arguments for tool start_refund: order_id: String should match pattern '^A-\\d{4}$'"
            ' (got "A-10")',
            'Sorry, I couldn\'t start the refund: the order ID "A-10" is not in the expected format.'
            " Could you check it?",
        ),
        (
            "tool start_refund timed out after 5s",
            "Sorry, it took too long to start the refund. Please try again in a moment.",
        ),
        (
            "tool start_refund failed: ValueError: secret internals",
            "Sorry, something went wrong while trying to start the refund. Please try again in a moment.",
        ),
        ("unknown tool start_refund; available: none", "Sorry, I can't start the refund here."),
        ("tool start_refund was cancelled: barge-in", "I stopped trying to start the refund."),
        (
            '{"error": {"code": "not_found", "message": "No such order."}}',
            "Sorry, I couldn't start the refund for A-1003. No such order.",
        ),
        ("Refund queued", "Refund queued."),
    ],
)
def test_errors_are_relayed_with_what_to_do_next(output: str, expected: str) -> None:
    assert said("start_refund", output, {"order_id": "A-1003"}) == expected


def test_several_outputs_answer_in_call_order() -> None:
    items: list[Item] = [
        user_text("Check A-1 and A-2"),
        FunctionCallItem(call_id="c1", name="lookup_order", arguments='{"order_id": "A-1"}'),
        FunctionCallItem(call_id="c2", name="lookup_order", arguments='{"order_id": "A-2"}'),
        FunctionCallOutputItem(call_id="c2", output='{"order_id": "A-2", "status": "shipped"}'),
        FunctionCallOutputItem(call_id="c1", output='{"order_id": "A-1", "status": "delivered"}'),
    ]
    assert KeywordModel().respond(ModelContext(items=items, session=SessionConfig())) == [
        Say("Order A-1 has been delivered. Order A-2 has been shipped.")
    ]


@pytest.mark.parametrize(
    ("name", "specific", "general"),
    [
        ("lookup_order", "look up the order", "look up an order"),
        ("search_faq", "search the FAQ", "search the FAQ"),
        ("escalate_to_human", "escalate to a human", "escalate to a human"),
        ("listOrders", "list the orders", "list orders"),
        ("weather", "get the weather", "get the weather"),
        ("", "do that", "do that"),
    ],
)
def test_tool_names_read_as_actions(name: str, specific: str, general: str) -> None:
    assert action(name) == specific
    assert action(name, general=True) == general


@pytest.mark.parametrize(
    "output",
    [
        "",
        "null",
        "42",
        "[]",
        "[[[[[[[[1]]]]]]]]",
        '{"a": {"b": {"c": {"d": {"e": [{}]}}}}}',
        "{}",
        '{"": 1}',
        '{"error": [1, 2]}',
        '{"results": [1]}',
        '{"total": "1e999", "status": 5}',
        "x" * 10_000,
    ],
)
def test_never_raises_on_odd_outputs(output: str) -> None:
    text = said("odd", output, {"id": None}, confirmable=True)
    assert isinstance(text, str)
    assert text.strip()


# ---------------------------------------------------------------- the confirmation flow

REFUND = {
    "type": "function",
    "name": "start_refund",
    "description": "Refund a delivered order. Call without confirm first, then with confirm=true.",
    "parameters": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": r"^A-\d{4}$"},
            "reason": {"type": "string", "description": "Why the customer wants the refund."},
            "confirm": {"type": "boolean", "default": False, "description": "True once the customer agreed."},
        },
        "required": ["order_id", "reason"],
    },
}
QUOTE = '{"order_id": "A-1001", "refund_amount": "154.39", "currency": "USD", "confirmed": false}'


def respond(items: list[Item]) -> list[Call | Say]:
    return list(KeywordModel().respond(ModelContext(items=items, session=SessionConfig(tools=[REFUND]))))


def quoted_conversation(reply: str) -> list[Item]:
    ask = "I want a refund for A-1001 because it arrived broken"
    [first] = respond([user_text(ask)])
    assert first == Call("start_refund", {"order_id": "A-1001", "reason": "it arrived broken"})
    items: list[Item] = [
        user_text(ask),
        FunctionCallItem(call_id="c1", name="start_refund", arguments=json.dumps(first.arguments)),
        FunctionCallOutputItem(call_id="c1", output=QUOTE),
    ]
    assert respond(items) == [Say("Shall I go ahead with the refund of 154.39 USD for A-1001?")]
    return [*items, MessageItem(role="assistant", content=[]), user_text(reply)]


@pytest.mark.parametrize("reply", ["Yes, please go ahead.", "confirm", "Go ahead"])
def test_yes_repeats_the_call_with_the_confirmation_flag_it_left_out(reply: str) -> None:
    assert respond(quoted_conversation(reply)) == [
        Call("start_refund", {"order_id": "A-1001", "reason": "it arrived broken", "confirm": True})
    ]


def test_no_declines_the_waiting_call() -> None:
    assert respond(quoted_conversation("No, don't do it")) == [
        Say("All right, I won't start the refund. Is there anything else I can do for you?")
    ]


def test_yes_without_a_waiting_call_confirms_nothing() -> None:
    items: list[Item] = [
        user_text("Refund A-1001 because it broke, yes I confirm"),
        FunctionCallItem(
            call_id="c1",
            name="start_refund",
            arguments='{"order_id": "A-1001", "reason": "it broke", "confirm": true}',
        ),
        FunctionCallOutputItem(call_id="c1", output='{"refund_id": "R-1", "order_id": "A-1001"}'),
        MessageItem(role="assistant", content=[]),
        user_text("Yes"),
    ]
    [reply] = respond(items)
    assert isinstance(reply, Say)
    assert reply.text.startswith('You said: "Yes".')
