"""`SipCaller`: a SIP call to the local server, announced to an app the way the service does.

It rings a call on the local server (`server.sip`), then delivers `realtime.call.incoming` to the
app's webhook with Standard Webhooks headers signed by the webhook secret, and reports what the app
did with the call (accepted with which session, rejected, referred, hung up).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx

from agentkit.channels.signatures import standard_signature, webhook_key
from agentkit.testing.audio import spoken
from agentkit.testing.server import LocalRealtimeServer
from agentkit.testing.sip_calls import LocalCall


class SipCaller:
    """One simulated SIP call: `await SipCaller(server, webhook_url, secret).ring()`."""

    def __init__(
        self,
        server: LocalRealtimeServer,
        webhook_url: str,
        webhook_secret: str,
        *,
        caller: str = "+15551230001",
        callee: str = "+15559870002",
    ) -> None:
        self.server = server
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self.call: LocalCall = server.sip.ring(caller, callee)
        self.webhook_id = "wh_" + secrets.token_hex(12)

    @property
    def call_id(self) -> str:
        return self.call.call_id

    def event(self) -> dict[str, Any]:
        return {
            "object": "event",
            "id": "evt_" + secrets.token_hex(8),
            "type": "realtime.call.incoming",
            "created_at": int(time.time()),
            "data": {
                "call_id": self.call.call_id,
                "sip_headers": [
                    {"name": "From", "value": f"sip:{self.call.caller}@sip.example.com"},
                    {"name": "To", "value": f"sip:{self.call.callee}@sip.example.com"},
                    {"name": "Call-ID", "value": secrets.token_hex(8)},
                ],
            },
        }

    def headers(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        """Standard Webhooks headers for `body` (a different `secret` or `timestamp` forges them)."""
        sent_at = str(int(time.time()) if timestamp is None else timestamp)
        key = webhook_key(secret or self._secret)
        return {
            "content-type": "application/json",
            "user-agent": "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)",
            "webhook-id": self.webhook_id,
            "webhook-timestamp": sent_at,
            "webhook-signature": standard_signature(key, self.webhook_id, sent_at, body),
        }

    async def ring(self, **forge: Any) -> httpx.Response:
        """Deliver the incoming-call webhook; returns the app's answer (the call's state is on `call`)."""
        body = json.dumps(self.event()).encode()
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.webhook_url, content=body, headers=self.headers(body, **forge))

    async def say(self, text: str) -> None:
        """Speak into the accepted call (its audio goes to the service, never through the app)."""
        await self.server.calls[self.call_id].hear(spoken(text) + bytes(48 * 800))

    async def hang_up(self) -> None:
        """The caller hangs up: the call ends and the service closes every sideband."""
        await self.server.calls[self.call_id].hang_up()

    async def deliver(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """Deliver exactly these bytes and headers (a replay, a tampered body)."""
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.webhook_url, content=body, headers=headers)
