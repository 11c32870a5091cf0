"""WebRTC: the browser holds the call and the audio; the server creates it with its own credentials
(or checks a browser-made one) and attaches to it by `call_id` over the sideband, where the
instructions and tools stay and the tools run. See `docs/webrtc.md`."""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.channels.webrtc.calls import CallAnswer as CallAnswer
    from agentkit.channels.webrtc.calls import create_call as create_call
    from agentkit.channels.webrtc.calls import hang_up as hang_up
    from agentkit.channels.webrtc.guard import SidebandGuard as SidebandGuard
    from agentkit.channels.webrtc.policy import SidebandPolicy as SidebandPolicy
    from agentkit.channels.webrtc.sdp import SdpError as SdpError
    from agentkit.channels.webrtc.sdp import parse_offer as parse_offer
    from agentkit.channels.webrtc.secrets import CallRefused as CallRefused
    from agentkit.channels.webrtc.server import WebRTCCalls as WebRTCCalls

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "calls": ("CallAnswer", "create_call", "hang_up"),
        "guard": ("SidebandGuard",),
        "policy": ("SidebandPolicy",),
        "sdp": ("SdpError", "parse_offer"),
        "secrets": ("CallRefused",),
        "server": ("WebRTCCalls",),
    },
)
