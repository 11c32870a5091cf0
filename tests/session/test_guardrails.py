"""Guardrails against the local server: a card number about to be read out stops the response (and
never reaches the application or the relay's stream), tool calls are blocked or their outputs masked,
and a guardrail that raises fails closed with every call still answered once."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from agentkit import Agent, TextDelta, ToolContext, TranscriptDelta, TurnDone, tool
from agentkit.guardrails import Block, GuardrailTripped, Stop, mask_card_numbers, no_card_numbers
from agentkit.protocol import Dialect, ResponseCancel
from agentkit.testing import Call, KeywordModel, Say, ScriptedModel
from tests.session.helpers import DIALECTS, endpoint_for, local_server, of_type, outputs

pytestmark = pytest.mark.anyio

CARD = "4111 1111 1111 1111"
_CARD_START = re.compile(r"\b4111\b")
"""The card's first group on its own (random event ids are hex, so they never match)."""


@tool
def payment_method(order_id: str) -> str:
    """Show the payment method of an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return f"Order {order_id} was paid with the Visa card {CARD}."


@pytest.mark.parametrize("modality", ["text", "audio"])
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_card_number_is_never_read_out(dialect: Dialect, modality: str) -> None:
    agent = Agent(
        "shop", tools=[payment_method], output_guardrails=[no_card_numbers], output_modalities=[modality]
    )
    async with local_server(KeywordModel()) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, dialect)) as session:
                wire = session.server_events()  # what a relay would forward to the caller's device
                events = session.events()
                turn = await session.ask("Which payment method was used for order A-1001?")
                history = session.history()
        shown = "".join(e.delta for e in events._buffer if isinstance(e, (TextDelta, TranscriptDelta)))
        trips = [e for e in events._buffer if isinstance(e, GuardrailTripped)]
        assert [(t.guardrail, t.kind, t.action) for t in trips] == [("no_card_numbers", "output", "stopped")]
        assert not _CARD_START.search(shown)
        leaks = [
            e.kind
            for e in wire._buffer
            if _CARD_START.search(e.model_dump_json()) and "function_call_output" not in e.model_dump_json()
        ]  # tool traffic is the relay policy's to hide
        assert leaks == [], "the relay's stream never carries it"
        assert not _CARD_START.search(turn.text)
        said = [entry["text"] for entry in history["entries"] if entry.get("role") == "assistant"]
        assert not _CARD_START.search(" ".join(said)), "what was stopped is not kept"
        assert "can't read card numbers aloud" in turn.text, "the replacement line is said"
        assert of_type(server.connections[0].received, ResponseCancel), "the response was cancelled"


async def test_tool_guardrails_block_calls_and_mask_outputs() -> None:
    ran: list[float] = []

    @tool
    def refund_order(order_id: str, amount: float) -> str:
        """Refund an order.

        Args:
            order_id: The order id.
            amount: Euros.
        """
        ran.append(amount)
        return "refunded"

    def refund_limit(name: str, arguments: dict[str, Any], ctx: ToolContext[Any]) -> Block | None:
        if name == "refund_order" and arguments["amount"] > 1000:
            return Block("refunds above 1000 euros go to a supervisor")
        return None

    model = ScriptedModel(
        [
            [
                Call("refund_order", {"order_id": "A-1", "amount": 5000}),
                Call("payment_method", {"order_id": "A-1"}),
            ],
            [Say("Done.")],
        ]
    )
    agent = Agent(
        "shop",
        tools=[refund_order, payment_method],
        tool_input_guardrails=[refund_limit],
        tool_output_guardrails=[mask_card_numbers],
    )
    async with local_server(model) as server:
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                turn = await session.ask("refund 5000 on A-1 and show the card")
        statuses = {c.name: (c.status, c.output) for c in turn.tool_calls}
        assert ran == []
        assert statuses["refund_order"][0] == "blocked"
        assert "supervisor" in statuses["refund_order"][1]
        assert statuses["payment_method"] == (
            "ok",
            "Order A-1 was paid with the Visa card **** **** **** 1111.",
        )
        assert len(outputs(server.connections[0])) == 2
        trips = [(e.guardrail, e.action) for e in events._buffer if isinstance(e, GuardrailTripped)]
        assert sorted(trips) == [("mask_card_numbers", "redacted"), ("refund_limit", "blocked")]


async def test_guardrails_that_raise_fail_closed_and_every_call_is_answered_once() -> None:
    def broken_input(name: str, arguments: dict[str, Any], ctx: ToolContext[Any]) -> Block | None:
        raise RuntimeError("policy service down")

    def broken_output(name: str, output: str) -> str | None:
        raise RuntimeError("scanner down")

    def broken_speech(text: str) -> Stop | None:
        raise RuntimeError("classifier down")

    for guardrails in (
        {"tool_input_guardrails": [broken_input]},
        {"tool_output_guardrails": [broken_output]},
    ):
        model = ScriptedModel([[Call("payment_method", {"order_id": "A-1"})], [Say("Sorry, not now.")]])
        async with local_server(model) as server:
            agent = Agent("shop", tools=[payment_method], **guardrails)  # type: ignore[arg-type]
            with anyio.fail_after(10):
                async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                    turn = await session.ask("card for A-1?")
            [call] = turn.tool_calls
            assert call.status == "blocked"
            assert "a safety check failed" in call.output
            assert CARD not in call.output
            assert "down" not in call.output, "the model is not told internals"
            assert len(outputs(server.connections[0])) == 1
    speech = ScriptedModel([[Say("Hello there, how can I help?")]])
    async with local_server(speech) as server:
        agent = Agent("shop", output_guardrails=[broken_speech], output_modalities=["text"])
        with anyio.fail_after(10):
            async with agent.connect(endpoint_for(server, Dialect.GA)) as session:
                events = session.events()
                await session.send_text("hi")
                async for event in events:
                    if isinstance(event, GuardrailTripped):
                        assert (event.action, event.reason) == ("failed", "a safety check failed")
                    if isinstance(event, TurnDone):
                        break
        assert of_type(server.connections[0].received, ResponseCancel)
