"""Answering an ACS call: the Call Automation `answer` request, with media streaming to our socket.

`CallAutomation` is what the channel needs (answer, reject); `CallAutomationClient` is the REST
client, signed with the resource's access key (HMAC-SHA256 over method, path, date, host and body
hash, as ACS requires). Tests and the offline demo use `agentkit.testing.callers.acs`'s in-process one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from agentkit.connection import ServiceError
from agentkit.connection.failures import http_failure

API_VERSION = "2024-09-15"
_SIGNED = "x-ms-date;host;x-ms-content-sha256"


class CallAutomationError(ServiceError):
    """ACS refused (or could not be asked) to answer or reject a call."""


class CallAutomation(Protocol):
    async def answer(self, incoming_call_context: str, callback_url: str, transport_url: str) -> None: ...

    async def reject(self, incoming_call_context: str, reason: str = "busy") -> None: ...


def media_streaming(transport_url: str) -> dict[str, Any]:
    """Bidirectional PCM 24 kHz mono streaming to `transport_url`, started with the call."""
    return {
        "transportUrl": transport_url,
        "transportType": "websocket",
        "contentType": "audio",
        "audioChannelType": "mixed",
        "startMediaStreaming": True,
        "enableBidirectional": True,
        "audioFormat": "pcm24KMono",
    }


def parse_connection_string(value: str) -> tuple[str, bytes]:
    """(endpoint, access key) from `endpoint=https://...;accesskey=...`."""
    parts = dict(item.split("=", 1) for item in value.strip().strip(";").split(";") if "=" in item)
    fields = {key.strip().lower(): val.strip() for key, val in parts.items()}
    endpoint, key = fields.get("endpoint", ""), fields.get("accesskey", "")
    if not endpoint.startswith("https://") or not key:
        raise ValueError("an ACS connection string looks like endpoint=https://...;accesskey=...")
    try:
        return endpoint.rstrip("/"), base64.b64decode(key, validate=True)
    except ValueError:
        raise ValueError("the ACS access key is not base64") from None


def hmac_headers(key: bytes, method: str, url: str, body: bytes, date: str | None = None) -> dict[str, str]:
    """The HMAC-SHA256 authentication headers ACS expects for one request."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    date = date or formatdate(usegmt=True)
    signed = f"{method.upper()}\n{path}\n{date};{parts.netloc};{content_hash}"
    signature = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": content_hash,
        "Authorization": f"HMAC-SHA256 SignedHeaders={_SIGNED}&Signature={signature}",
    }


class CallAutomationClient:
    """The Call Automation REST API of one ACS resource (`ACS_CONNECTION_STRING`)."""

    def __init__(self, connection_string: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint, self._key = parse_connection_string(connection_string)
        self._transport = transport

    def __repr__(self) -> str:
        return f"CallAutomationClient({self.endpoint!r})"

    async def answer(self, incoming_call_context: str, callback_url: str, transport_url: str) -> None:
        body = {
            "incomingCallContext": incoming_call_context,
            "callbackUri": callback_url,
            "mediaStreamingOptions": media_streaming(transport_url),
        }
        await self._post("/calling/callConnections:answer", body)

    async def reject(self, incoming_call_context: str, reason: str = "busy") -> None:
        value = "busy" if reason.startswith("busy") else "forbidden"
        await self._post(
            "/calling/callConnections:reject",
            {"incomingCallContext": incoming_call_context, "callRejectReason": value},
        )

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        url = f"{self.endpoint}{path}?api-version={API_VERSION}"
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **hmac_headers(self._key, "POST", url, data)}
        try:
            async with httpx.AsyncClient(timeout=15, transport=self._transport) as client:
                response = await client.post(url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise CallAutomationError(
                f"could not reach {self.endpoint} ({type(exc).__name__})", url=url
            ) from None
        if response.status_code >= 400:
            raise http_failure(
                CallAutomationError,
                path.rsplit(":", 1)[-1] + " a call",
                status=response.status_code,
                body=response.content,
                headers=response.headers,
                sent_request_id=None,
                url=url,
                secrets=[headers["Authorization"]],
            )
