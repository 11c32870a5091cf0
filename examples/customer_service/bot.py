"""The bot itself: what the model is told, and the agent that ties it to the shop's tools."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from agentkit import Agent, SessionObserver

from .db import ShopDatabase
from .tools import TOOLS, ShopDeps

INSTRUCTIONS = """\
You are the customer-service assistant of a small online electronics shop. Be warm, brief and \
concrete: answer in one to three sentences, and read order ids, amounts and dates back exactly as \
the tools return them.

Use the tools for every fact about orders, shipments, refunds and shop policies; never guess. When \
the customer asks about several orders, look them all up at once. Order ids look like A-1001.

Refunds: first call start_refund without confirm, tell the customer the amount, and only after they \
clearly agree call it again with confirm=true. If a tool says a refund is not possible, explain why \
in plain words and offer to escalate to a human.

Escalate to a human (escalate_to_human, with a short summary) when the customer asks for a person, \
when a policy question is not covered by the help centre, or when they remain unhappy.
"""

TRANSCRIPTION_MODEL = "whisper-1"
"""Transcribes spoken questions (`--audio-in`), so the dialogue shows what the customer said."""


def build_agent(
    db: ShopDatabase,
    *,
    speak: bool = False,
    listen: bool = False,
    observers: Iterable[SessionObserver] = (),
) -> Agent:
    """The customer-service agent over `db`. `speak`: answer in audio (with a transcript) instead of
    text; `listen`: take spoken input with server voice-activity detection."""
    return Agent(
        "shop assistant",
        INSTRUCTIONS,
        tools=TOOLS,
        deps=ShopDeps(db),
        voice="alloy" if speak else None,
        output_modalities=["audio"] if speak else ["text"],
        turn_detection="server_vad" if listen else None,
        input_transcription=TRANSCRIPTION_MODEL if listen else None,
        observers=observers,
    )


@cache
def default_agent() -> Agent:
    """The bot on the default shop database (created and seeded on first use), speaking and listening
    as on the voice page; in a terminal chat its answers show as their transcripts. This is
    `examples.customer_service:agent`, for `agentkit chat` and `agentkit relay`."""
    return build_agent(ShopDatabase(), speak=True, listen=True)
