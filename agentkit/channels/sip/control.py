"""`CallControl`: the Realtime service's REST calls for a SIP call: accept, reject, refer, hang up.

Built from the same `Endpoint` the sessions use (so OpenAI, Azure GA, a gateway or the local server,
with a key or Entra ID): `POST {base}/realtime/calls/{call_id}/{accept|reject|refer|hangup}`, where
base is `OPENAI_BASE_URL` (`https://api.openai.com/v1`) or the Azure resource's `/openai/v1`.
Failures raise `CallControlError` with the service's words and no secret.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from agentkit.connection import Endpoint, ServiceError
from agentkit.connection.failures import http_failure
from agentkit.connection.secrets import redact
from agentkit.protocol import Dialect, SessionConfig
from agentkit.protocol.dialects import session_to_wire

_TARGET = re.compile(r"^(tel:\+?[0-9*#]{2,32}|sips?:\S+@\S+)$")
_HTTP = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


class CallControlError(ServiceError):
    """The service refused (or could not be asked) to accept, reject, refer or hang up a call."""


def calls_url(endpoint: Endpoint) -> str:
    """`https://.../realtime/calls` on the host and path of the endpoint's WebSocket URL."""
    parts = urlsplit(endpoint.url)
    path = parts.path.rstrip("/")
    if not path.endswith("/realtime"):
        raise ValueError(f"the endpoint's URL does not end in /realtime: {parts.path!r}")
    return urlunsplit((_HTTP[parts.scheme.lower()], parts.netloc, path + "/calls", "", ""))


def sip_target(target: str) -> str:
    """A transfer target as the service wants it: a `tel:` or `sip:` URI (a bare number becomes tel:)."""
    value = target.strip()
    if re.fullmatch(r"\+?[0-9]{3,20}", value):
        value = f"tel:{value}"
    if not _TARGET.match(value):
        raise ValueError("a transfer target is a phone number, a tel: URI or a sip:user@host URI")
    return value


class CallControl:
    """Accept, reject, refer and hang up SIP calls on the service behind `endpoint`."""

    def __init__(self, endpoint: Endpoint, *, timeout_s: float = 15.0, transport: Any = None) -> None:
        self.endpoint = endpoint
        self.url = calls_url(endpoint)
        self.timeout_s = timeout_s
        self._transport = transport

    def __repr__(self) -> str:
        return f"CallControl({self.url!r})"

    async def accept(self, call_id: str, session: SessionConfig) -> None:
        """Answer the call with this session (instructions, tools, voice, ...)."""
        body = session_to_wire(session.set_fields(), Dialect.GA)
        body["type"] = "realtime"
        if self.endpoint.model and "model" not in body:
            body["model"] = self.endpoint.model
        await self._post(call_id, "accept", body)

    async def reject(self, call_id: str, status_code: int = 603) -> None:
        """Refuse the call with a SIP status (486 busy, 603 decline, ...)."""
        await self._post(call_id, "reject", {"status_code": status_code})

    async def refer(self, call_id: str, target: str) -> None:
        """Transfer the caller to a phone number or SIP URI (the service sends a SIP REFER)."""
        await self._post(call_id, "refer", {"target_uri": sip_target(target)})

    async def hangup(self, call_id: str) -> None:
        """End the call."""
        await self._post(call_id, "hangup", None)

    async def _post(self, call_id: str, action: str, body: dict[str, Any] | None) -> None:
        if not call_id or not isinstance(call_id, str):
            raise ValueError("a call id is needed")
        url = f"{self.url}/{quote(call_id, safe='')}/{action}"
        headers = await self.endpoint.auth.http_headers()
        secrets = [v.removeprefix("Bearer ") for v in headers.values()]
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport) as client:
                response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            detail = redact(f"{type(exc).__name__}: {exc}", secrets)
            raise CallControlError(f"could not {action} call {call_id} ({detail})", url=url) from None
        if response.status_code >= 400:
            raise http_failure(
                CallControlError,
                f"{action} call {call_id}",
                status=response.status_code,
                body=response.content,
                headers=response.headers,
                sent_request_id=None,
                url=url,
                secrets=secrets,
            )
