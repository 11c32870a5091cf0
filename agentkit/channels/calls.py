"""What every channel tells the application about a call, and how the application answers.

A channel calls the application's `screen` hook with an `IncomingCall` before anything reaches the
model; the hook returns `Accept` (optionally with per-call instructions, deps or a greeting) or
`Reject`. The same types serve Twilio, ACS and SIP, so a business-hours rule is written once.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentkit.agent import AGENT_DEPS


@dataclass(frozen=True)
class IncomingCall:
    """A call a carrier announced. `caller` and `callee` are what the carrier says (E.164 numbers or
    SIP URIs): untrusted metadata, not proof of identity."""

    carrier: str
    """`twilio`, `acs` or `sip`."""
    call_id: str
    caller: str | None = None
    callee: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The carrier's own fields (form parameters, event data, SIP headers)."""


@dataclass(frozen=True)
class Accept:
    """Answer the call with the channel's agent. `instructions` replace the agent's for this call;
    `greeting`: the agent speaks first, told this (e.g. "Greet the caller and ask how you can help")."""

    instructions: str | None = None
    greeting: str | None = None
    deps: Any = AGENT_DEPS


@dataclass(frozen=True)
class Reject:
    """Refuse the call. `reason` is for logs; `sip_status` is the SIP code sent where SIP is spoken
    (486 busy, 603 decline, 480 temporarily unavailable)."""

    reason: str = "rejected"
    sip_status: int = 603


Decision = Accept | Reject
CallScreen = Callable[[IncomingCall], "Decision | Awaitable[Decision]"]
"""The application's decision about one incoming call (sync or async)."""


def accept_all(call: IncomingCall) -> Decision:
    """The default screen: answer every call."""
    return Accept()


async def decide(screen: CallScreen, call: IncomingCall) -> Decision:
    """Run the screen; a screen that fails or answers something else rejects the call (logged by the
    channel), so a bug never puts a caller through to the agent by accident."""
    outcome = screen(call)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    if not isinstance(outcome, (Accept, Reject)):
        raise TypeError(f"a call screen must return Accept or Reject, not {type(outcome).__name__}")
    return outcome
