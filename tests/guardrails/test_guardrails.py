"""The guardrail rules on their own: card numbers, streaming checks, tool checks that never raise."""

from __future__ import annotations

from typing import Any

from agentkit.guardrails import (
    GUARDRAIL_FAILED,
    Block,
    OutputGuard,
    Stop,
    ToolGuard,
    card_numbers,
    mask_card_numbers,
    no_card_numbers,
)
from agentkit.tools import ToolContext, ToolOutcome


def test_card_numbers_are_found_by_shape_and_checksum() -> None:
    assert card_numbers("card 4111 1111 1111 1111 on file") == ["4111 1111 1111 1111"]
    assert card_numbers("card 4111-1111-1111-1111.") == ["4111-1111-1111-1111"]
    assert card_numbers("4111 1111 1111 1112") == [], "fails the Luhn check"
    assert card_numbers("order A-1001, phone 0612345678, total 1299.00") == []
    assert mask_card_numbers("pay", "Visa 4111 1111 1111 1111 ok") == "Visa **** **** **** 1111 ok"
    assert mask_card_numbers("pay", "nothing here") is None
    assert no_card_numbers("Your order A-1001 is late") is None
    verdict = no_card_numbers("It is 4111111111111111")
    assert isinstance(verdict, Stop)
    assert verdict.say


def test_the_output_guard_judges_each_message_as_it_grows() -> None:
    guard = OutputGuard([no_card_numbers])
    assert guard.check("r1", "m1", "Your card is 4111 1111 ", 0.0) is None
    tripped = guard.check("r1", "m1", "1111 1111.", 1.0)
    assert tripped is not None
    verdict, kept, event = tripped
    assert kept == len("Your card is 4111 1111 ")
    assert verdict.say is not None
    assert (event.kind, event.action, event.response_id) == ("output", "stopped", "r1")
    assert guard.stopped("r1")
    assert guard.check("r2", "m2", "4111 1111 1111 1111", 2.0) is not None, "another message, judged alone"


def test_a_raising_guardrail_fails_closed() -> None:
    def broken(text: str) -> Stop | None:
        raise RuntimeError("down")

    tripped = OutputGuard([broken]).check("r1", "m1", "hello", 0.0)
    assert tripped is not None
    assert (tripped[0].reason, tripped[2].action) == (GUARDRAIL_FAILED, "failed")

    def broken_input(name: str, arguments: dict[str, Any], ctx: ToolContext[Any]) -> Block | None:
        raise RuntimeError("down")

    def broken_output(name: str, output: str) -> str | None:
        raise RuntimeError("down")

    context: ToolContext[Any] = ToolContext(call_id="c1", tool_name="pay", deps=None)
    blocked = ToolGuard([broken_input], []).check_input("c1", "pay", {}, context, 0.0)
    assert blocked is not None
    assert blocked[0].status == "blocked"
    assert GUARDRAIL_FAILED in blocked[0].output
    outcome, events = ToolGuard([], [broken_output]).check_output(ToolOutcome("c1", "pay", "4111"), 0.0)
    assert outcome.status == "blocked"
    assert "4111" not in outcome.output
    assert [e.action for e in events] == ["failed"]
