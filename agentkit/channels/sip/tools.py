"""Tools that let the agent itself transfer or end the SIP call it is on."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.tools import Tool, ToolError, tool

from .control import CallControl, CallControlError


def call_tools(control: CallControl, call_id: str, *, transfer_targets: Sequence[str] = ()) -> list[Tool]:
    """`transfer_call` and `end_call` for one call. `transfer_targets`: the only numbers or SIP URIs
    the agent may transfer to (empty: any), so a caller cannot talk the agent into dialling abroad."""
    allowed = set(transfer_targets)

    @tool(name="transfer_call", cancel_on_interrupt=False)
    async def transfer_call(target: str) -> str:
        """Transfer the caller to a person or another line.

        Args:
            target: The phone number (E.164, like +15551234567) or SIP URI to transfer to.
        """
        if allowed and target not in allowed:
            raise ToolError(f"transfers go only to: {', '.join(sorted(allowed))}")
        try:
            await control.refer(call_id, target)
        except (CallControlError, ValueError) as exc:
            raise ToolError(f"the transfer failed: {exc}") from None
        return "The call is being transferred."

    @tool(name="end_call", follow_up=False)
    async def end_call() -> str:
        """Hang up: end the phone call once the caller has what they need and has said goodbye."""
        try:
            await control.hangup(call_id)
        except CallControlError as exc:
            raise ToolError(f"could not hang up: {exc}") from None
        return "The call has ended."

    return [transfer_call, end_call]
