"""The relay's trust boundary: `RelayPolicy`, the rules (`policy_rules`) with their checks as methods.

Everything is denied unless listed. Server-owned settings (instructions, tools, tool_choice) can never
be listed: they always come from the operator's agent, never from a client. The checks themselves
live in `client_check` (client -> model) and `server_view` (model -> client); this class only offers
them as methods, so the dependency runs one way: rules <- checks <- policy.
"""

from __future__ import annotations

from agentkit.protocol import ClientEvent, ServerEvent
from agentkit.relay import client_check, server_view
from agentkit.relay.notices import ToolActivity, ToolPhase
from agentkit.relay.policy_rules import (
    DEFAULT_CLIENT_EVENTS,
    DEFAULT_SESSION_FIELDS,
    DEFAULT_VISIBLE_SESSION_FIELDS,
    SERVER_OWNED_FIELDS,
    ForbiddenFieldAction,
    PolicyRules,
    TurnDetectionLimits,
)
from agentkit.relay.refusal import Refusal
from agentkit.relay.server_view import SanitizerState

__all__ = [
    "DEFAULT_CLIENT_EVENTS",
    "DEFAULT_SESSION_FIELDS",
    "DEFAULT_VISIBLE_SESSION_FIELDS",
    "SERVER_OWNED_FIELDS",
    "ForbiddenFieldAction",
    "RelayPolicy",
    "TurnDetectionLimits",
]


class RelayPolicy(PolicyRules):
    """Deny-by-default rules for one relay; share one instance across connections (it is immutable).

    Construct it with the fields of `PolicyRules`; its methods run the checks.
    """

    # -- the checks ----------------------------------------------------------------------------------

    def check_client_event(self, event: ClientEvent) -> ClientEvent | Refusal:
        """The event as it may be forwarded (possibly reduced to allowed fields), or a `Refusal`."""
        return client_check.check_client_event(self, event)

    def check_client_frame(self, frame: str | bytes) -> ClientEvent | Refusal:
        """Decode one GA-dialect wire frame from a client and check it; malformed frames are refused."""
        return client_check.check_client_frame(self, frame)

    def new_connection_state(self) -> SanitizerState:
        """Fresh per-connection state for `sanitize_server_event` (one per client, never shared)."""
        return SanitizerState()

    def sanitize_server_event(self, event: ServerEvent, state: SanitizerState) -> ServerEvent | None:
        """What this client may see of a server event; `None` when it must not see it at all."""
        return server_view.sanitize_server_event(self, event, state)

    def tool_activity(
        self, state: SanitizerState, *, call_id: str, name: str, phase: ToolPhase, ok: bool | None = None
    ) -> ToolActivity | None:
        """A notice for the session's tool event, or `None` when notices are off."""
        return server_view.tool_activity(self, state, call_id=call_id, name=name, phase=phase, ok=ok)
