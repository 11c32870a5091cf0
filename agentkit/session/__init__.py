"""The I/O shell: a live `Session` around the turn engine (see `agentkit.session.session`)."""

from agentkit.session.approvals import Approver, Decision
from agentkit.session.errors import SessionClosed
from agentkit.session.events import DEFAULT_BUFFER, EventsDropped, EventStream, ToolProgress
from agentkit.session.reconnect import ReconnectPolicy
from agentkit.session.session import Session

__all__ = [
    "DEFAULT_BUFFER",
    "Approver",
    "Decision",
    "EventStream",
    "EventsDropped",
    "ReconnectPolicy",
    "Session",
    "SessionClosed",
    "ToolProgress",
]
