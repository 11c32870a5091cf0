"""The bot on the phone: Twilio, Azure Communication Services and SIP routes for `--serve`, and
`--phone-demo`, one simulated Twilio call placed to the bot offline.

Each carrier is configured from the environment; a carrier left unconfigured still has its routes,
which answer 503 saying what to set:

- Twilio: `TWILIO_AUTH_TOKEN` (verifies the voice webhook's signature);
- ACS: `ACS_CONNECTION_STRING` (answers calls through Call Automation), optional `ACS_EVENTS_SECRET`
  (Event Grid must then post to `/acs/events?code=SECRET`);
- SIP: `OPENAI_WEBHOOK_SECRET` (the `whsec_...` secret of the project's webhook).

`AGENTKIT_PUBLIC_URL` (or `--public-url`) is the https address the carriers reach this server at.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TextIO

import anyio

from agentkit import Agent, Endpoint
from agentkit.channels import PhoneLine, PhoneRoutes
from agentkit.channels.acs import AcsChannel, CallAutomationClient
from agentkit.channels.asgi import AsgiApp, unavailable
from agentkit.channels.server import AsgiServer
from agentkit.channels.sip import SipChannel
from agentkit.channels.twilio import TwilioChannel
from agentkit.console import ChatView
from agentkit.engine import AppEvent, TurnDone
from agentkit.observer import NullObserver
from agentkit.testing.callers import TwilioCaller

PHONE_PATHS = ("/twilio/voice", "/twilio/stream", "/acs/stream", "/acs/events", "/sip/webhook")

PHONE_SCRIPT = ["Hi, where is my order A-1001?", "What is your return policy?"]


def phone_routes(
    agent: Agent, endpoint: Endpoint, environ: Mapping[str, str], public_url: str | None
) -> dict[str, AsgiApp]:
    """`{path: ASGI app}` for every carrier, each configured from `environ` or answering 503."""
    line = PhoneLine(agent, endpoint)
    routes: dict[str, AsgiApp] = {}
    token = environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if token:
        routes.update(TwilioChannel(line, token, public_url=public_url).routes())
    else:
        missing = unavailable("Twilio is not configured: set TWILIO_AUTH_TOKEN")
        routes.update({"/twilio/voice": missing, "/twilio/stream": missing})
    acs = environ.get("ACS_CONNECTION_STRING", "").strip()
    if acs:
        automation = CallAutomationClient(acs)
        secret = environ.get("ACS_EVENTS_SECRET", "").strip() or None
        channel = AcsChannel(line, automation, public_url=public_url, events_secret=secret)
        routes.update(channel.routes())
    else:
        missing = unavailable("ACS is not configured: set ACS_CONNECTION_STRING")
        routes.update({"/acs/events": missing, "/acs/stream": missing})
    webhook_secret = environ.get("OPENAI_WEBHOOK_SECRET", "").strip()
    if webhook_secret:
        sip = SipChannel(agent, endpoint, webhook_secret=webhook_secret, environ=environ)
        routes.update(sip.routes())
    else:
        routes["/sip/webhook"] = unavailable("SIP is not configured: set OPENAI_WEBHOOK_SECRET (whsec_...)")
    return routes


class _Shown(NullObserver):
    """Shows every call's events in the chat view and counts finished turns."""

    def __init__(self, view: ChatView) -> None:
        self.view = view
        self.turns = 0
        self.turn_done = anyio.Event()

    def on_event(self, event: AppEvent) -> None:
        self.view.show(event)
        if isinstance(event, TurnDone):
            self.turns += 1
            self.turn_done.set()
            self.turn_done = anyio.Event()


async def run_phone_demo(agent: Agent, endpoint: Endpoint, out: TextIO, turn_timeout: float) -> None:
    """Place one simulated Twilio call to the bot (signed webhook, Media Stream, mu-law packets) and
    show the conversation, its tool calls and what the caller heard."""
    view = ChatView(out, assistant="assistant")
    shown = _Shown(view)
    token = secrets.token_urlsafe(24)
    line = PhoneLine(agent, endpoint, observer=shown)
    twilio = TwilioChannel(line, token)
    async with AsgiServer(PhoneRoutes(twilio.routes())) as server:
        out.write(
            f"A customer phones the shop (a simulated Twilio call to {server.http_url}/twilio/voice, "
            "mu-law 8 kHz in 20 ms packets).\n\n"
        )
        # Twice real time: quick, and within what a stream may send (StreamLimits: 3x real time).
        async with TwilioCaller(server.http_url, token, pace=0.5) as call:
            for number, question in enumerate(PHONE_SCRIPT, 1):
                await call.say(question)
                with anyio.fail_after(turn_timeout):
                    while shown.turns < number:
                        await shown.turn_done.wait()
                await call.ear.wait(lambda: call.ear.idle, timeout=turn_timeout)  # heard to the end
        view.finish()
    media = sum(1 for frame in call.frames if frame["event"] == "media")
    out.write(
        f"\nThe caller heard {call.ear.heard_ms / 1000:.1f} s of answers in {media} mu-law frames and "
        f"acknowledged {len(call.ear.marks_played)} marks; the call closed with code {call.close_code}.\n"
    )
    out.flush()
