"""The engine rules for a full-duplex, delegating service (GPT-Live), sans-I/O but for running tools.

A Realtime engine orders turns; GPT-Live orders its own, so what is left to guarantee is narrower:
the app's `@tool`s are offered as the backend's client-actionable functions, every delegated call
is answered exactly once (also when its tool fails, times out or is cancelled), and nothing is asked
of the service that it does not have (see `agentkit.protocol.live.refuse_realtime_command`).
"""

from __future__ import annotations

from typing import Any

from agentkit.protocol.events import ProtocolError
from agentkit.protocol.live import DelegationLedger, LiveEvent
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
