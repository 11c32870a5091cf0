"""The customer-service bot in conversation, tested with agentkit's testing kit: the `agentkit_*`
fixtures (a local server, a session of the bot, a simulated caller, tool mocks) and `expect`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from agentkit import Agent, ApprovalRequested, Decision
from agentkit.testing import Call, LocalRealtimeServer, Say, ScriptedModel
from agentkit.testing.kit import ANY, Caller, Speech, ToolMocks, expect
from agentkit.tools import ToolError
from examples.customer_service.bot import build_agent
from examples.customer_service.db import ShopDatabase
from examples.customer_service.demo import SCRIPT

pytestmark = pytest.mark.anyio

CALL_BACK = "Please have a person call me back about a bulk order for my office, my email is ada@example.com"


@pytest.fixture
def shop(tmp_path: Path) -> ShopDatabase:
    return ShopDatabase(tmp_path / "shop.sqlite3")


@pytest.fixture
def agentkit_agent(shop: ShopDatabase) -> Agent:
    return build_agent(shop)


def refunds(shop: ShopDatabase) -> list[tuple[str, int]]:
    with shop.connect() as conn:
        return [tuple(row) for row in conn.execute("SELECT order_id, amount_cents FROM refunds ORDER BY id")]


async def test_two_orders_in_one_message_are_looked_up_together(agentkit_caller: Caller) -> None:
    turn = await agentkit_caller.says(SCRIPT[0])
    expect(turn).called_only("lookup_order", "lookup_order").called("lookup_order", order_id="A-1001").called(
        "lookup_order", order_id="A-1002"
    ).said("A-1001 has been delivered").said("A-1002")


async def test_a_refund_is_quoted_first_and_made_only_once_the_customer_agrees(
    agentkit_caller: Caller, shop: ShopDatabase
) -> None:
    quote = await agentkit_caller.says(SCRIPT[3])
    expect(quote).called("start_refund", order_id="A-1001", reason=re.compile("broken")).not_called(
        "start_refund", confirm=True
    ).said("154.39 USD")
    assert refunds(shop) == [("A-1006", 7600 + 450 + 760)], "a quote moves no money"

    agreed = await agentkit_caller.says(SCRIPT[4])
    expect(agreed).called("start_refund", order_id="A-1001", confirm=True).said(r"R-\d{4}")
    expect(agentkit_caller.turns).called_in_order("start_refund", "start_refund").not_called(
        "escalate_to_human"
    )
    assert refunds(shop)[-1][0] == "A-1001"


async def test_a_refused_refund_is_explained_without_touching_the_database(
    agentkit_caller: Caller, agentkit_tool_mocks: ToolMocks, shop: ShopDatabase
) -> None:
    agentkit_tool_mocks.replace("start_refund", raises=ToolError("The payment provider is down; try later."))
    turn = await agentkit_caller.says(SCRIPT[3])
    expect(turn).failed("start_refund", status="tool_error").said("payment provider is down")
    [call] = agentkit_tool_mocks.calls("start_refund")
    assert (call["order_id"], call["confirm"]) == ("A-1001", False), "the mock got validated arguments"
    assert len(refunds(shop)) == 1


async def test_asking_for_a_call_back_opens_a_ticket_and_nothing_else(agentkit_caller: Caller) -> None:
    turn = await agentkit_caller.says(CALL_BACK)
    expect(turn).called("escalate_to_human", customer_email="ada@example.com").said(r"T-\d{4}").not_called(
        "start_refund"
    ).not_called("lookup_order")


async def test_a_greeting_calls_no_tool(agentkit_caller: Caller) -> None:
    turn = await agentkit_caller.says("Hello!")
    expect(turn).no_tool_called().said("how can I help")


async def test_a_spoken_script_with_a_follow_up_that_reacts_to_the_answer(agentkit_caller: Caller) -> None:
    def confirm_if_quoted(last: object) -> str | None:
        return "Yes, please go ahead." if "refund" in getattr(last, "text", "").lower() else None

    turns = await agentkit_caller.run([Speech(SCRIPT[3]), confirm_if_quoted])
    assert len(turns) == 2
    expect(turns[0]).called("start_refund", order_id=ANY).not_called("start_refund", confirm=True)
    expect(turns[1]).succeeded("start_refund", order_id="A-1001", confirm=True)


@pytest.mark.agentkit_offline
@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
async def test_a_caller_heard_by_the_speech_recogniser(
    shop: ShopDatabase, agentkit_server: LocalRealtimeServer
) -> None:
    agent = build_agent(shop, listen=True)
    async with agent.connect(agentkit_server.endpoint()) as session:
        turn = await Caller(session).speaks("Where is my order A-1003?", recognised=True)
    expect(turn).heard("A-1003").called_only("lookup_order").called("lookup_order", order_id="A-1003")


# -- the model's calls, scripted: what the bot's tools answer through agentkit ----------------------


@pytest.mark.agentkit_offline
@pytest.mark.parametrize(
    ("call", "status", "output"),
    [
        (Call("lookup_order", {"order_id": "A-1002"}), "ok", re.compile(r'"status":"shipped"')),
        (Call("lookup_order", {"order_id": "order 1001"}), "invalid_arguments", re.compile("order_id")),
        (
            Call("track_shipment", {"order_id": "A-1003"}),
            "tool_error",
            re.compile("^Order A-1003 has not shipped yet"),
        ),
    ],
    ids=["found", "malformed-id", "tool-error-verbatim"],
)
async def test_what_the_model_is_told_when_it_calls_a_tool(
    agentkit_server: LocalRealtimeServer,
    agentkit_caller: Caller,
    shop: ShopDatabase,
    call: Call,
    status: str,
    output: re.Pattern[str],
) -> None:
    agentkit_server.model = ScriptedModel([[call], [Say("Noted.")]])
    turn = await agentkit_caller.says("Go on.")
    [made] = turn.tool_calls
    assert (made.name, made.status) == (call.name, status)
    assert output.search(made.output), made.output
    assert len(refunds(shop)) == 1, "no refund was made"


# -- people and policy: handoffs, approvals, guardrails, transfers ----------------------------------


async def test_a_large_refund_goes_to_the_refunds_agent_and_waits_for_the_supervisor(
    shop: ShopDatabase, agentkit_server: LocalRealtimeServer
) -> None:
    asked: list[str] = []

    async def supervisor(request: ApprovalRequested) -> Decision:
        asked.append(request.arguments)
        return Decision.reject("refunds over 100 USD need the receipt")

    agent = build_agent(shop, approver=supervisor)
    async with agent.connect(agentkit_server.endpoint()) as session:
        caller = Caller(session)
        quote = await caller.says(SCRIPT[3])
        assert session.current_agent.name == "refunds"
        refused = await caller.says(SCRIPT[4])
    expect(quote).called("transfer_to_refunds").called("start_refund", order_id="A-1001").said("154.39 USD")
    expect(refused).rejected("start_refund").said("receipt")
    assert len(asked) == 1, "only the confirmed refund above the limit was asked about"
    assert refunds(shop) == [("A-1006", 7600 + 450 + 760)], "a rejected refund moves no money"


async def test_a_card_number_is_not_read_back(agentkit_caller: Caller) -> None:
    turn = await agentkit_caller.says(SCRIPT[5])
    expect(turn).said("can't read card numbers aloud")
    assert "4111" not in turn.text


async def test_asking_for_a_person_transfers_with_a_summary_ticket(
    agentkit_caller: Caller, shop: ShopDatabase
) -> None:
    await agentkit_caller.says(SCRIPT[0])
    turn = await agentkit_caller.says(SCRIPT[6])
    expect(turn).called("transfer_to_human").said(
        r"transferring you to a colleague now; your reference is T-\d{4}"
    )
    with shop.connect() as conn:
        [summary] = [row[0] for row in conn.execute("SELECT summary FROM support_tickets")]
    assert summary.startswith("Transfer from shop assistant: ")
    assert f"user: {SCRIPT[0]}" in summary
