"""KeywordModel: tool choice, arguments, multi-call, answers from outputs, determinism, odd input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioPart,
    Item,
    MessageItem,
    UnknownItem,
    user_text,
)
from agentkit.protocol.session_config import ResponseParams, SessionConfig
from agentkit.testing.keyword_model import KeywordModel, terms
from agentkit.testing.models import Call, ModelContext, Say

ORDER_ID = {"type": "string", "pattern": r"^A-\d{4}$", "description": "The order id, like A-1001."}


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required},
    }


SHOP_TOOLS = [
    _tool(
        "lookup_order",
        "Look up an order: its status, items, totals, customer, shipment and any refund.",
        {"order_id": ORDER_ID},
        ["order_id"],
    ),
    _tool(
        "find_customer",
        "Find a customer by email address, with their orders (newest first).",
        {"email": {"type": "string", "description": "The customer's email address, like ada@example.com."}},
        ["email"],
    ),
    _tool(
        "track_shipment",
        "Track an order's shipment: carrier, tracking number, estimated delivery and tracking events.",
        {"order_id": ORDER_ID},
        ["order_id"],
    ),
    _tool(
        "start_refund",
        "Start a refund for a delivered order. Ask the customer to confirm before setting confirm.",
        {
            "order_id": ORDER_ID,
            "reason": {"type": "string", "description": "Why the customer wants a refund."},
            "confirm": {"type": "boolean", "description": "True once the customer has agreed."},
        },
        ["order_id", "reason", "confirm"],
    ),
    _tool(
        "search_faq",
        "Search the help center for policies: returns, shipping, warranty and payment.",
        {"query": {"type": "string", "description": "What to search for."}},
        ["query"],
    ),
    _tool(
        "escalate_to_human",
        "Hand the conversation over to a human agent.",
        {"summary": {"type": "string", "description": "A short summary for the agent."}},
        ["summary"],
    ),
]


def respond(
    items: list[Item], session_tools: list[dict[str, Any]] | None = None, **response: Any
) -> list[Call | Say]:
    session = SessionConfig(tools=SHOP_TOOLS if session_tools is None else session_tools)
    params = ResponseParams(**response) if response else None
    return list(KeywordModel().respond(ModelContext(items=items, session=session, response=params)))


def ask(text: str, tools: list[dict[str, Any]] | None = None) -> list[Call | Say]:
    return respond([user_text(text)], session_tools=tools)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What's the status of order A-1001?", [Call("lookup_order", {"order_id": "A-1001"})]),
        ("Where is my package? It is a-1002.", [Call("track_shipment", {"order_id": "A-1002"})]),
        ("Please find the customer ada@example.com", [Call("find_customer", {"email": "ada@example.com"})]),
        ("What is your return policy?", [Call("search_faq", {"query": "What is your return policy"})]),
        (
            "I'd like to talk to a person",
            [Call("escalate_to_human", {"summary": "I'd like to talk to a person"})],
        ),
        (
            "I want a refund for A-1003 because it arrived broken",
            [Call("start_refund", {"order_id": "A-1003", "reason": "it arrived broken", "confirm": False})],
        ),
        (
            "Refund A-1003, the screen is cracked, yes I confirm",
            [
                Call(
                    "start_refund", {"order_id": "A-1003", "reason": "the screen is cracked", "confirm": True}
                )
            ],
        ),
    ],
)
def test_picks_the_matching_tool_and_fills_its_arguments(text: str, expected: list[Call]) -> None:
    assert ask(text) == expected


def test_two_order_ids_make_two_calls() -> None:
    assert ask("Can you check orders A-1001 and A-1002?") == [
        Call("lookup_order", {"order_id": "A-1001"}),
        Call("lookup_order", {"order_id": "A-1002"}),
    ]


def test_several_requests_in_one_message_make_one_call_each() -> None:
    assert ask('Track orders A-1001 A-1002 and refund A-1003 because "wrong size"') == [
        Call("track_shipment", {"order_id": "A-1001"}),
        Call("track_shipment", {"order_id": "A-1002"}),
        Call("start_refund", {"order_id": "A-1003", "reason": "wrong size", "confirm": False}),
    ]
    assert ask("Track A-1001, track A-1002 too") == [
        Call("track_shipment", {"order_id": "A-1001"}),
        Call("track_shipment", {"order_id": "A-1002"}),
    ]
    assert ask("Look up A-1001 and track its shipment") == [
        Call("lookup_order", {"order_id": "A-1001"}),
        Call("track_shipment", {"order_id": "A-1001"}),
    ]


def test_answers_from_the_function_outputs() -> None:
    order = {"order_id": "A-1001", "status": "shipped", "totals": {"total": "42.50"}, "items": [{}, {}]}
    items: list[Item] = [
        user_text("Check A-1001 and A-9999"),
        FunctionCallItem(call_id="c1", name="lookup_order", arguments='{"order_id": "A-1001"}'),
        FunctionCallItem(call_id="c2", name="lookup_order", arguments='{"order_id": "A-9999"}'),
        FunctionCallOutputItem(call_id="c1", output=json.dumps(order)),
        FunctionCallOutputItem(call_id="c2", output='{"error": "No order A-9999."}'),
    ]
    assert respond(items) == [
        Say(
            "Order A-1001 has been shipped: total 42.50, 2 items."
            " Sorry, I couldn't look up the order. No order A-9999."
        )
    ]


def test_answers_from_plain_text_and_list_outputs() -> None:
    items: list[Item] = [
        user_text("What is your return policy?"),
        FunctionCallItem(call_id="c1", name="search_faq", arguments="{}"),
        FunctionCallOutputItem(
            call_id="c1", output='[{"question": "Returns?", "answer": "Within 30 days."}]'
        ),
    ]
    assert respond(items) == [Say("Within 30 days.")]
    items[-1] = FunctionCallOutputItem(call_id="c1", output="Escalated, ticket 7")
    assert respond(items) == [Say("Escalated, ticket 7.")]


def test_a_yes_confirms_the_call_that_waited_for_confirmation() -> None:
    first = ask("I want a refund for A-1003 because it arrived broken")
    assert first == [
        Call("start_refund", {"order_id": "A-1003", "reason": "it arrived broken", "confirm": False})
    ]
    items: list[Item] = [
        user_text("I want a refund for A-1003 because it arrived broken"),
        FunctionCallItem(call_id="c1", name="start_refund", arguments=json.dumps(first[0].arguments)),  # type: ignore[union-attr]
        FunctionCallOutputItem(call_id="c1", output='{"status": "needs_confirmation"}'),
        MessageItem(role="assistant", content=[]),
        user_text("Yes, go ahead"),
    ]
    assert respond(items) == [
        Call("start_refund", {"order_id": "A-1003", "reason": "it arrived broken", "confirm": True})
    ]


def test_a_missing_id_comes_from_earlier_in_the_conversation() -> None:
    items: list[Item] = [
        user_text("What's the status of A-1004?"),
        MessageItem(role="assistant", content=[]),
        user_text("Can you track the shipment too?"),
    ]
    assert respond(items) == [Call("track_shipment", {"order_id": "A-1004"})]


def test_no_matching_tool_answers_in_words() -> None:
    [reply] = ask("Hello there")
    assert isinstance(reply, Say)
    assert reply.text.startswith("Hello! How can I help you today?")
    assert reply.text.endswith(
        "I can look up an order, find a customer, track a shipment, start a refund, search the FAQ"
        " or escalate to a human."
    )
    [echo] = ask("The weather is lovely", tools=[])
    assert echo == Say(echo.text)
    assert echo.text.startswith('You said: "The weather is lovely".')
    assert ask("Thanks!") == [Say("You're welcome! Is there anything else I can do for you?")]


def test_uses_the_transcript_of_an_audio_turn() -> None:
    spoken = MessageItem(role="user", content=[InputAudioPart(audio="AAAA", transcript="Track order A-1002")])
    assert respond([spoken]) == [Call("track_shipment", {"order_id": "A-1002"})]
    silent = MessageItem(role="user", content=[InputAudioPart(audio="AAAA")])
    [reply] = respond([silent])
    assert isinstance(reply, Say)
    assert "could not make out" in reply.text


def test_tool_choice_none_required_and_named() -> None:
    [reply] = respond([user_text("Track order A-1002")], tool_choice="none")
    assert isinstance(reply, Say)
    assert respond([user_text("hmm, A-1002")], tool_choice="required") == [
        Call("lookup_order", {"order_id": "A-1002"})
    ]
    named = {"type": "function", "name": "track_shipment"}
    assert respond([user_text("What about A-1002?")], tool_choice=named) == [
        Call("track_shipment", {"order_id": "A-1002"})
    ]


def test_response_tools_override_the_session_tools() -> None:
    items: list[Item] = [user_text("Track order A-1002, and what is your shipping policy?")]
    assert respond(items) == [
        Call("track_shipment", {"order_id": "A-1002"}),
        Call("search_faq", {"query": "what is your shipping policy"}),
    ]
    only_faq = respond(items, tools=[SHOP_TOOLS[4]])
    assert only_faq == [Call("search_faq", {"query": "Track order A-1002, and what is your shipping policy"})]


def test_fills_numbers_enums_and_flags_from_a_schema() -> None:
    tools = [
        _tool(
            "order_item",
            "Order more units of a product.",
            {
                "sku": {"type": "string", "description": "Product code, like SKU-12"},
                "quantity": {"type": "integer"},
                "speed": {"type": "string", "enum": ["standard", "express"]},
                "gift_wrap": {"type": "boolean"},
            },
            ["sku", "quantity"],
        )
    ]
    assert ask("Order SKU-77 with express shipping, quantity 3, gift wrap please", tools) == [
        Call("order_item", {"sku": "SKU-77", "quantity": 3, "speed": "express", "gift_wrap": True})
    ]


def test_is_deterministic() -> None:
    texts = ["Check A-1001 and A-1002", "blah blah blah", "Refund A-1003 because it broke"]
    assert [ask(t) for t in texts] == [ask(t) for t in texts]


@pytest.mark.parametrize(
    "tools",
    [
        [],
        [{}],
        [{"type": "function"}],
        [{"type": "function", "name": "odd", "parameters": "not a schema"}],
        [{"type": "function", "name": "odd", "parameters": {"properties": {"x": 5}, "required": "x"}}],
        [
            {
                "type": "function",
                "name": "bad_pattern",
                "parameters": {"properties": {"id": {"pattern": "(["}}},
            }
        ],
        [{"type": "mcp", "server_label": "x"}],
        [{"type": "function", "function": {"name": "nested_order_lookup", "parameters": {}}}],
    ],
)
def test_never_raises_on_odd_tools(tools: list[dict[str, Any]]) -> None:
    for text in ("look up order A-1001 id 12", "", "🙂", "a" * 5000):
        result = respond([user_text(text)], session_tools=tools)
        assert result
        assert all(isinstance(out, (Say, Call)) for out in result)


def test_never_raises_on_odd_conversations() -> None:
    assert isinstance(respond([])[0], Say)
    odd: list[Item] = [
        UnknownItem(type="mcp_call"),
        FunctionCallOutputItem(call_id="nobody", output="{not json"),
    ]
    assert respond(odd) == [Say("Sorry, I couldn't do that. {not json.")]
    for depth in (500, 5000):  # parses on every Python (500), or only where the parser allows (5000)
        deep = FunctionCallOutputItem(call_id="x", output="[" * depth + "]" * depth)
        assert isinstance(respond([deep])[0], Say)


def test_terms_are_stemmed_content_words() -> None:
    assert terms("Tracking my orders and shipments") == ["track", "order", "ship"]
    assert terms("lookupOrder find_customer") == ["lookup", "order", "find", "customer"]


def test_asks_for_an_id_it_was_never_given() -> None:
    assert ask("How long will my shipment take?") == [
        Say("To track the shipment I need the order id. Could you tell me?")
    ]
    assert respond([user_text("hmm")], tool_choice={"type": "function", "name": "lookup_order"}) == [
        Call("lookup_order", {})
    ]


def test_serves_the_example_customer_service_bot() -> None:
    from examples.customer_service.tools import build_toolset

    tools = build_toolset().definitions()
    assert ask("Can you check orders A-1001 and A-1002?", tools) == [
        Call("lookup_order", {"order_id": "A-1001"}),
        Call("lookup_order", {"order_id": "A-1002"}),
    ]
    assert ask("Where is my package? It is a-1002.", tools) == [
        Call("track_shipment", {"order_id": "A-1002"})
    ]
    assert ask("Please find the customer ada@example.com", tools) == [
        Call("find_customer", {"email": "ada@example.com"})
    ]
    assert ask("I want a refund for A-1003 because it arrived broken", tools) == [
        Call("start_refund", {"order_id": "A-1003", "reason": "it arrived broken"})
    ]
    assert ask("What is your return policy?", tools) == [
        Call("search_faq", {"query": "What is your return policy"})
    ]
    assert ask("I'd like to talk to a person", tools) == [
        Call("escalate_to_human", {"summary": "I'd like to talk to a person"})
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Only an id: the simplest tool that takes one (fewest required parameters, first listed).
        ("Where is A-1002?", [Call("lookup_order", {"order_id": "A-1002"})]),
        (
            "A-1001 and A-1002",
            [Call("lookup_order", {"order_id": "A-1001"}), Call("lookup_order", {"order_id": "A-1002"})],
        ),
        ("ada@example.com", [Call("find_customer", {"email": "ada@example.com"})]),
    ],
)
def test_a_bare_value_goes_to_the_simplest_tool_that_takes_it(text: str, expected: list[Call]) -> None:
    from examples.customer_service.tools import build_toolset

    assert ask(text, build_toolset().definitions()) == expected


def test_no_value_and_no_words_still_means_no_call() -> None:
    assert all(isinstance(out, Say) for out in ask("Can you help me?"))
