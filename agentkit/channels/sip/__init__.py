"""SIP through the Realtime service: webhook, accept/reject, refer/hangup (see `SipChannel`)."""

from .channel import INCOMING, SipChannel
from .control import CallControl, CallControlError, sip_target
from .tools import call_tools

__all__ = [
    "INCOMING",
    "CallControl",
    "CallControlError",
    "SipChannel",
    "call_tools",
    "sip_target",
]
