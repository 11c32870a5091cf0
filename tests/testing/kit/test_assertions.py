"""`expect`: checks that read like the conversation, and failures that show it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from agentkit.engine import ToolCallRecord, Turn
from agentkit.protocol import Usage
from agentkit.testing.kit import ANY, REJECTED_STATUSES, TurnAssertionError, expect, format_turns


def call(name: str, status: str = "ok", output: str = '{"ok": true}', **arguments: Any) -> ToolCallRecord:
    return ToolCallRecord(f"call_{name}", name, json.dumps(arguments), output, status)


def turn(user: str, text: str, *calls: ToolCallRecord) -> Turn:
    return Turn(
        user_input=user,
        text=text,
        tool_calls=calls,
        usage=Usage(),
        interrupted=False,
        response_ids=("resp_1",),
        started_at=0.0,
        ended_at=1.0,
    )


REFUND = turn(
    "Refund A-1001 please, it broke",
    "The refund of 154.39 USD is on its way.",
    call("lookup_order", order_id="A-1001"),
    call("start_refund", order_id="A-1001", reason="it broke", confirm=True),
)


def test_calls_are_matched_by_name_and_the_arguments_given() -> None:
    expect(REFUND).called("lookup_order").called("start_refund", order_id="A-1001", confirm=True)
    expect(REFUND).called("start_refund", reason=re.compile("broke$"), order_id=ANY)
    expect(REFUND).called("start_refund", order_id=lambda value: value.startswith("A-"))
    expect(REFUND).called_in_order("lookup_order", "start_refund").called_only("lookup_order", "start_refund")
    expect(REFUND).called_times("start_refund", 1).not_called("escalate_to_human")
    expect(REFUND).not_called("start_refund", confirm=False)
    expect(REFUND).returned("lookup_order", '"ok": true', order_id="A-1001").interrupted(False)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (lambda e: e.called("start_refund", confirm=False), "expected a call start_refund(confirm=False)"),
        (lambda e: e.called("start_refund", missing=ANY), "expected a call start_refund(missing=ANY)"),
        (
            lambda e: e.called_in_order("start_refund", "lookup_order"),
            "in the order start_refund, lookup_order",
        ),
        (lambda e: e.called_only("start_refund"), "got [lookup_order, start_refund]"),
        (lambda e: e.called_times("lookup_order", 2), "expected 2 call(s) lookup_order(), found 1"),
        (lambda e: e.no_tool_called(), "expected no tool calls"),
        (lambda e: e.not_called("lookup_order"), "expected no call lookup_order()"),
        (lambda e: e.said("sorry"), "expected the agent to say something matching 'sorry'"),
        (lambda e: e.did_not_say("REFUND"), "not to say anything matching 'REFUND'"),
        (lambda e: e.heard("A-1002"), "expected the caller's words to match 'A-1002'"),
        (lambda e: e.failed("start_refund"), "that failed"),
        (lambda e: e.rejected("start_refund"), "start_refund() that was rejected"),
        (lambda e: e.returned("lookup_order", "false"), "lookup_order() returning 'false'"),
        (lambda e: e.interrupted(), "expected the agent to be interrupted"),
    ],
)
def test_a_failed_check_says_what_was_expected_and_shows_the_turn(check: Any, message: str) -> None:
    with pytest.raises(TurnAssertionError) as failure:
        check(expect(REFUND))
    text = str(failure.value)
    assert message in text
    assert "the conversation was:" in text
    assert "caller: Refund A-1001 please, it broke" in text
    assert "tool:   start_refund(order_id='A-1001', reason='it broke', confirm=True) -> ok: " in text
    assert "agent:  The refund of 154.39 USD is on its way." in text
    assert isinstance(failure.value, AssertionError), "pytest shows it as a plain assertion failure"


def test_words_match_case_insensitively_unless_the_pattern_is_compiled() -> None:
    expect(REFUND).said("the REFUND of").said(r"\d+\.\d{2} USD").heard("refund a-1001")
    with pytest.raises(TurnAssertionError):
        expect(REFUND).said(re.compile("the REFUND"))


def test_failed_and_rejected_calls_by_status() -> None:
    rejected = turn(
        "Refund it",
        "I can't do that now.",
        call(
            "start_refund",
            "rejected",
            "Not approved: over the limit. The start_refund action was not carried out",
        ),
        call("lookup_order", "invalid_arguments", "invalid arguments for tool lookup_order: order_id"),
    )
    expect(rejected).rejected("start_refund").rejected("start_refund", reason="over the limit")
    expect(rejected).failed("lookup_order").failed("lookup_order", status="invalid_arguments")
    with pytest.raises(TurnAssertionError, match="rejected with a reason matching 'budget'"):
        expect(rejected).rejected("start_refund", reason="budget")
    with pytest.raises(TurnAssertionError, match="that succeeded"):
        expect(rejected).succeeded("start_refund")
    assert {"rejected", "approval_timeout"} <= REJECTED_STATUSES


def test_a_script_of_turns_is_checked_as_one_conversation() -> None:
    greeting = turn("Hi", "Hello! How can I help you today?")
    transcript = format_turns([greeting, REFUND])
    assert transcript.splitlines()[:4] == [
        "turn 1:",
        "  caller: Hi",
        "  tool:   (no calls)",
        "  agent:  Hello! How can I help you today?",
    ]
    expect([greeting, REFUND]).called_in_order("lookup_order", "start_refund").said("How can I help")
    expect(greeting).no_tool_called()
    with pytest.raises(ValueError, match="at least one turn"):
        expect([])


def test_long_outputs_and_unreadable_arguments_are_shown_briefly() -> None:
    odd = turn(
        "", "", ToolCallRecord("c1", "lookup_order", '{"order_id": "A-1', "x" * 500, "invalid_arguments")
    )
    shown = format_turns([odd])
    assert "caller: (nothing heard)" in shown
    assert 'lookup_order(<unparsable arguments>=\'{"order_id": "A-1\')' in shown
    assert "x" * 160 + "..." in shown
    assert "x" * 161 not in shown
    assert "agent:  (said nothing)" in shown
