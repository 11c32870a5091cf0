"""Transfer to a person: a built-in tool the application wires to its world (a queue, a callback, a
SIP `refer` from a phone channel). The caller hears a handover line and the person gets the
conversation so far as a short structured summary.

    agent = Agent("shop", tools=[..., human_transfer(to_queue)])

`to_queue(summary)` is the application's: it places the caller with a person and returns how that
went (`True`, `False`, or a `TransferOutcome` with a line to say). The tool then tells the model to
say the handover line (or, when nobody can take the call, to say so and keep helping), and the
session publishes `TransferredToPerson` so the application can hand the line over (close the
session once the line is said, bridge the call, ...). A transfer that raises is answered once, as a
failed transfer the model can explain; the error is logged, not shown to the model.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from agentkit.engine import AppEvent
from agentkit.guardrails import mask_card_numbers
from agentkit.tools import Tool, ToolContext, ToolError

logger = logging.getLogger("agentkit.transfer")

HANDOVER_LINE = "I'm transferring you to a colleague now; please stay on the line."
UNAVAILABLE_LINE = "I'm sorry, nobody from the team can take your call right now."
SUMMARY_MESSAGES = 6
"""Messages (the latest) a summary quotes; older ones are only counted."""
_MAX_QUOTE = 300


@dataclass(frozen=True, slots=True)
class HandoverSummary:
    """What a person taking over needs, without reading the whole conversation (card numbers in it
    are masked)."""

    reason: str
    """Why the agent is transferring, in its words."""
    agent: str
    """The agent that was speaking."""
    session_id: str
    recent: list[dict[str, str]] = field(default_factory=list)
    """The latest messages, oldest first: `{"role": "user" | "assistant", "text": ...}`."""
    actions: list[dict[str, str]] = field(default_factory=list)
    """Tool calls made so far, oldest first: `{"name", "arguments", "output"}` (outputs shortened)."""
    earlier_messages: int = 0
    """Messages before `recent`, not quoted."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a ticket, a queue message or a SIP header's payload."""
        return asdict(self)

    def text(self) -> str:
        """A few lines a person can read at a glance."""
        lines = [f"Transfer from {self.agent}: {self.reason}"]
        if self.earlier_messages:
            lines.append(f"({self.earlier_messages} earlier messages)")
        lines += [f"{m['role']}: {m['text']}" for m in self.recent]
        lines += [f"did {a['name']}({a['arguments']}) -> {a['output']}" for a in self.actions]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    """The application's answer: whether a person will take over, and optionally what to say."""

    accepted: bool
    say: str | None = None
    """Instead of the default handover (or unavailable) line."""


Transferrer = Callable[[HandoverSummary], Awaitable["bool | TransferOutcome | None"]]
"""Places the caller with a person; None counts as accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferredToPerson(AppEvent):
    """The agent handed the caller to a person (or tried: `accepted`)."""

    call_id: str
    accepted: bool
    summary: HandoverSummary


def summarize(entries: list[dict[str, Any]], *, reason: str, agent: str, session_id: str) -> HandoverSummary:
    """The summary of an exported conversation (`Session.conversation()` entries)."""
    messages = [{"role": str(e["role"]), "text": _short(str(e["text"]))} for e in entries if "role" in e]
    actions = [
        {
            "name": str(e["name"]),
            "arguments": str(e["arguments"]),
            "output": _short(str(e.get("output") or "")),
        }
        for e in entries
        if "call_id" in e and not str(e.get("name", "")).startswith("transfer_to_")
    ]
    recent = messages[-SUMMARY_MESSAGES:]
    return HandoverSummary(
        reason=reason,
        agent=agent,
        session_id=session_id,
        recent=recent,
        actions=actions,
        earlier_messages=len(messages) - len(recent),
    )


def human_transfer(
    transfer: Transferrer,
    *,
    name: str = "transfer_to_human",
    handover_line: str = HANDOVER_LINE,
    unavailable_line: str = UNAVAILABLE_LINE,
    description: str | None = None,
) -> Tool:
    """A tool that hands the caller to a person through `transfer` (the application's);
    `description` replaces the default one the model reads (say when to use it, in your terms)."""

    async def transfer_to_human(reason: str, ctx: ToolContext[Any]) -> str:
        """Transfer the customer to a human person (a member of the team). Use it when the customer
        asks for a person, or when you cannot help them further.

        Args:
            reason: Why, in a few words (the person taking over reads it).
        """
        session = ctx.session
        summary = summarize(
            session.conversation(), reason=reason, agent=session.current_agent.name, session_id=session.id
        )
        try:
            answer = await transfer(summary)
        except Exception as exc:
            logger.exception("the transfer of session %s to a person failed", session.id)
            session.emit(
                TransferredToPerson(time=session.now(), call_id=ctx.call_id, accepted=False, summary=summary)
            )
            raise ToolError(
                f"The transfer failed: {unavailable_line} Offer to keep helping or to take a message."
            ) from exc
        outcome = answer if isinstance(answer, TransferOutcome) else TransferOutcome(answer is not False)
        session.emit(
            TransferredToPerson(
                time=session.now(), call_id=ctx.call_id, accepted=outcome.accepted, summary=summary
            )
        )
        if not outcome.accepted:
            line = outcome.say or unavailable_line
            return f"{line} Offer to keep helping or to take a message."
        line = outcome.say or handover_line
        return f"{line} Say only the sentence before this one to the customer, word for word."

    return Tool(transfer_to_human, name=name, description=description, filler=False)


def _short(text: str) -> str:
    """One line, card numbers masked (a summary goes to tickets and queues), at most `_MAX_QUOTE`."""
    text = " ".join(text.split())
    text = mask_card_numbers("", text) or text
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 3] + "..."


__all__ = [
    "HANDOVER_LINE",
    "HandoverSummary",
    "TransferOutcome",
    "TransferredToPerson",
    "Transferrer",
    "human_transfer",
    "summarize",
]
