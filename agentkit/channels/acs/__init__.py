"""Azure Communication Services: Event Grid incoming calls and bidirectional media streaming."""

from .automation import CallAutomation, CallAutomationClient, CallAutomationError
from .channel import AcsChannel, AcsLeg

__all__ = ["AcsChannel", "AcsLeg", "CallAutomation", "CallAutomationClient", "CallAutomationError"]
