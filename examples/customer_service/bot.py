"""The bot itself: a front-desk agent that hands refunds to a refunds agent, with the shop's tools and
its policies (a supervisor approves large refunds, a person can take over, no card numbers are read
out, and the caller hears a filler while the carrier's slow tracking service answers)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from agentkit import Agent, SessionObserver
from agentkit.guardrails import mask_card_numbers, no_card_numbers
from agentkit.session import Approver
from agentkit.transfer import human_transfer

from .db import ShopDatabase
from .people import approve_all, queue_for_a_person
from .tools import (
    ShopDeps,
    escalate_to_human,
    find_customer,
    lookup_order,
    search_faq,
    start_refund,
    track_shipment,
)

STYLE = """\
You work for a small online electronics shop. Be warm, brief and concrete: answer in one to three \
sentences, and read order ids, amounts and dates back exactly as the tools return them. Use the tools \
for every fact about orders, shipments, refunds and shop policies; never guess. Order ids look like \
A-1001. Never read out a payment card number."""

INSTRUCTIONS = f"""\
You are the shop's customer-service assistant at the front desk. {STYLE}

When the customer asks about several orders, look them all up at once. For a refund, hand the \
conversation to the refunds team (transfer_to_refunds). When the customer asks to talk to a person \
now, transfer them (transfer_to_human); when they want to be called back later, or a policy question \
is not covered by the help centre, open a ticket (escalate_to_human, with a short summary).
"""

REFUNDS_INSTRUCTIONS = f"""\
You are the shop's refunds specialist. {STYLE}

First call start_refund without confirm, tell the customer the amount, and only after they clearly \
agree call it again with confirm=true. Large refunds wait for a supervisor's approval; if it is not \
approved, say why in plain words. If a refund is not possible, explain why and offer a person \
(transfer_to_human puts them through now). For \
anything that is not about a refund, hand back to the front desk (transfer_to_shop_assistant).
"""

TRANSCRIPTION_MODEL = "whisper-1"
"""Transcribes spoken questions (`--audio-in`), so the dialogue shows what the customer said."""

TRANSFER_DESCRIPTION = (
    "Put the customer through to a person from the team right now, live, when they want to talk or "
    "speak to someone (not for call-backs: those are tickets)."
)

FILLER_AFTER = 1.0
"""Seconds a tool may run before the caller hears a short filler."""


def build_agent(
    db: ShopDatabase | None = None,
    *,
    speak: bool = False,
    listen: bool = False,
    observers: Iterable[SessionObserver] = (),
    approver: Approver | None = approve_all,
    carrier_delay: float = 0.0,
) -> Agent:
    """The front-desk agent over `db` (it hands refunds to the refunds agent). `speak`: answer in
    audio (with a transcript) instead of text; `listen`: take spoken input with server VAD;
    `approver`: decides refunds above the limit (None: the application calls `session.approve`);
    `carrier_delay`: seconds the carrier's tracking service takes."""
    db = (
        db if db is not None else ShopDatabase()
    )  # the default database, as `agentkit chat ...:build_agent` gets
    settings: dict[str, Any] = {
        "deps": ShopDeps(db, carrier_delay=carrier_delay),
        "voice": "alloy" if speak else None,
        "output_modalities": ["audio"] if speak else ["text"],
        "turn_detection": "server_vad" if listen else None,
        "input_transcription": TRANSCRIPTION_MODEL if listen else None,
    }
    to_a_person = human_transfer(queue_for_a_person(db), description=TRANSFER_DESCRIPTION)
    refunds = Agent(
        "refunds",
        REFUNDS_INSTRUCTIONS,
        tools=[lookup_order, start_refund, search_faq, to_a_person],
        handoff_description="refunds of delivered orders",
        **settings,
    )
    front_desk = Agent(
        "shop assistant",
        INSTRUCTIONS,
        tools=[
            lookup_order,
            find_customer,
            track_shipment,
            search_faq,
            escalate_to_human,
            to_a_person,
        ],
        handoffs=[refunds],
        handoff_description="orders, shipments and everything that is not a refund",
        observers=observers,
        approver=approver,
        filler_after=FILLER_AFTER,
        output_guardrails=[no_card_numbers],
        tool_output_guardrails=[mask_card_numbers],
        **settings,
    )
    refunds.handoffs.append(front_desk)
    return front_desk


@cache
def default_agent() -> Agent:
    """The bot on the default shop database (created and seeded on first use), speaking and listening
    as on the voice page; in a terminal chat its answers show as their transcripts. This is
    `examples.customer_service:agent`, for `agentkit chat` and `agentkit relay`."""
    return build_agent(ShopDatabase(), speak=True, listen=True)
