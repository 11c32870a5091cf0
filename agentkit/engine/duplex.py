"""The engine rules for a full-duplex, delegating service (GPT-Live), sans-I/O but for running tools.

A Realtime engine orders turns; GPT-Live orders its own, so what is left to guarantee is narrower:
the app's `@tool`s are offered as the backend's client-actionable functions, every delegated call
is answered exactly once (also when its tool fails, times out or is cancelled), and nothing is asked
of the service that it does not have (see `agentkit.protocol.live.refuse_realtime_command`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.protocol.events import ProtocolError
from agentkit.protocol.live import (
    DelegationLedger,
    LiveDelegationCreated,
    LiveEvent,
    UnknownDelegatedCall,
    commentary_append,
    thinking_append,
)
from agentkit.tools.context import ToolContext
from agentkit.tools.execute import execute_tool
from agentkit.tools.outcome import ToolOutcome
from agentkit.tools.toolset import Toolset


def responses_delegation(
    tools: Toolset,
    *,
    model: str,
    instructions: str | None = None,
    hosted_tools: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """The session's `delegation` block: a Responses backend whose functions are the app's tools."""
    block: dict[str, Any] = {"model": model, "tools": [*hosted_tools, *tools.definitions()]}
    if instructions:
        block["instructions"] = instructions
    return {"type": "responses", "responses": block}


class DelegatedCalls:
    """Runs the client-actionable function calls a GPT-Live session delegates to the application."""

    def __init__(self, tools: Toolset, *, default_timeout: float | None = None) -> None:
        self.tools = tools
        self.ledger = DelegationLedger()
        self._default_timeout = default_timeout

    async def handle(self, event: LiveEvent | ProtocolError) -> list[dict[str, Any]]:
        """The frames answering `event` if it delegates a call to us, else nothing.

        A tool failure or timeout becomes its error text; if the caller is cancelled mid-call, the
        call stays open in the ledger and `settle()` answers it (as cancelled), once."""
        call = self.ledger.observe(event)
        if call is None:
            return []
        outcome = await self.run(call)
        return self.ledger.answer(outcome.call_id, outcome.output)

    async def run(self, call: dict[str, Any], context: ToolContext[Any] | None = None) -> ToolOutcome:
        """Run one observed call's tool; its failure, timeout or refusal becomes the outcome.

        A tool that needs approval is refused: a full-duplex session has no approval step yet."""
        call_id, name = str(call["call_id"]), str(call.get("name", ""))
        arguments = call.get("arguments")
        tool = self.tools.get(name)
        if tool is not None and tool.needs_approval is not False:
            return ToolOutcome(
                call_id,
                name,
                f"tool {name} needs approval, which agentkit does not offer on GPT-Live sessions: not done",
                status="blocked",
            )
        return await execute_tool(
            tool,
            name=name,
            call_id=call_id,
            arguments=arguments if isinstance(arguments, str) else "{}",
            context=context,
            default_timeout=self._default_timeout,
            available=self.tools.names(),
        )

    def settle(self, reason: str = "session ended") -> list[dict[str, Any]]:
        """Answers every call still open (on close or before a reconnect) as cancelled, once each."""
        frames: list[dict[str, Any]] = []
        for call_id, name in self.ledger.unanswered.items():
            frames += self.ledger.answer(call_id, ToolOutcome.cancelled(call_id, name, reason).output)
        return frames


# -- client delegation ----------------------------------------------------------------------------


def client_delegation() -> dict[str, Any]:
    """The session's `delegation` block when the application does the delegated work itself."""
    return {"type": "client"}


ToolRunner = Callable[[str, "dict[str, Any] | str"], Awaitable[ToolOutcome]]


@dataclass
class DelegatedTask:
    """Work GPT-Live handed to the application. The event carries no task text, so `transcript` is
    what the user said in the turn that led to it; `run_tool` runs one of the session's tools with
    every guarantee a tool call has (validated arguments, its timeout, errors as its output)."""

    id: str
    transcript: str
    tools: Toolset
    _runner: ToolRunner = field(repr=False)

    async def run_tool(self, name: str, arguments: dict[str, Any] | str = "{}") -> ToolOutcome:
        return await self._runner(name, arguments if isinstance(arguments, str) else json.dumps(arguments))


ClientDelegate = Callable[[DelegatedTask], Awaitable[str]]
"""Does a client delegation's work and returns what the live model should say about it."""


class ClientDelegations:
    """Sans-I/O: every client delegation gets exactly one result, on commentary (spoken) or on
    thinking (silent), and none is sent for a delegation the service never made."""

    def __init__(self) -> None:
        self._open: set[str] = set()
        self._answered: set[str] = set()

    def observe(self, event: LiveEvent | ProtocolError) -> str | None:
        """The id of a new delegation to the application (`target` client), else None."""
        if not isinstance(event, LiveDelegationCreated):
            return None
        target, delegation_id = event.delegation.target, event.delegation.id
        to_client = target == "client" or (isinstance(target, dict) and target.get("type") == "client")
        if (
            not to_client
            or not delegation_id
            or delegation_id in self._answered
            or delegation_id in self._open
        ):
            return None
        self._open.add(delegation_id)
        return delegation_id

    def answer(self, delegation_id: str, content: str, *, spoken: bool = True) -> dict[str, Any]:
        if delegation_id not in self._open:
            state = "was already answered" if delegation_id in self._answered else "was never made"
            raise UnknownDelegatedCall(f"delegation {delegation_id!r} {state}")
        self._open.discard(delegation_id)
        self._answered.add(delegation_id)
        return (commentary_append if spoken else thinking_append)(content, delegation_id)

    @property
    def unanswered(self) -> frozenset[str]:
        return frozenset(self._open)
