"""Channels: how a caller reaches an agent's `Session`.

Each channel is a small adapter between an outside party and one session; the engine, tools,
tracing and policy stay shared. One module (or package) per channel:

- `agentkit.relay`: browsers and apps over the relay's WebSocket (lives beside this package);
- `agentkit.channels.twilio`: Twilio Programmable Voice + bidirectional Media Streams (mu-law 8 kHz);
- `agentkit.channels.acs`: Azure Communication Services media streaming (PCM 24 kHz) and Event Grid;
- `agentkit.channels.sip`: SIP calls the Realtime service announces by webhook (the service carries
  the audio; we accept the call and attach to it by `call_id`).
- `agentkit.channels.webrtc`: browsers over WebRTC (the device carries the audio; the server creates
  the call or checks a browser-made one, attaches by `call_id` and enforces the policy from the
  sideband).

Shared parts: `calls` (what the application decides about an incoming call), `signatures` (webhook
verification), `tickets` (a stream must prove the call was set up here), `media` (the bridge between
a carrier's stream and a session: audio, marks, barge-in, hang-up), `line` (the agent behind a
carrier channel) and `asgi` (the routes, in plain ASGI).
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.channels.asgi import PhoneRoutes as PhoneRoutes
    from agentkit.channels.calls import Accept as Accept
    from agentkit.channels.calls import IncomingCall as IncomingCall
    from agentkit.channels.calls import Reject as Reject
    from agentkit.channels.line import PhoneLine as PhoneLine
    from agentkit.channels.media import StreamLimits as StreamLimits
    from agentkit.channels.signatures import WebhookRejected as WebhookRejected
    from agentkit.channels.signatures import WebhookVerifier as WebhookVerifier
    from agentkit.channels.tickets import CallTickets as CallTickets

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "asgi": ("PhoneRoutes",),
        "calls": ("Accept", "IncomingCall", "Reject"),
        "line": ("PhoneLine",),
        "media": ("StreamLimits",),
        "signatures": ("WebhookRejected", "WebhookVerifier"),
        "tickets": ("CallTickets",),
    },
)
