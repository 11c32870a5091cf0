"""Simulated phone callers, one per carrier: they place a call the way the carrier does (signed
webhook, stream frames, 20 ms packets), speak, listen, barge in and hang up. Offline."""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.testing.callers.acs import AcsCaller as AcsCaller
    from agentkit.testing.callers.acs import LocalCallAutomation as LocalCallAutomation
    from agentkit.testing.callers.sip import SipCaller as SipCaller
    from agentkit.testing.callers.twilio import CallRefused as CallRefused
    from agentkit.testing.callers.twilio import TwilioCaller as TwilioCaller

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "acs": ("AcsCaller", "LocalCallAutomation"),
        "sip": ("SipCaller",),
        "twilio": ("CallRefused", "TwilioCaller"),
    },
)
