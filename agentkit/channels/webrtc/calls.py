"""Creating a WebRTC call on the service with the server's credentials (GA `POST .../realtime/calls`):
the browser's SDP offer and the agent's session configuration go up as `multipart/form-data`
(`sdp`, `session`); the SDP answer comes back with the call's id in the `Location` header. The
browser never holds a key; the server then attaches to the call by that id (the sideband).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from agentkit.channels.webrtc.sdp import parse_offer
from agentkit.connection import Endpoint
from agentkit.connection.errors import CallError
from agentkit.connection.service_posts import post_to_service
from agentkit.connection.urls import checked_call_id
from agentkit.protocol import Dialect, SessionConfig
from agentkit.protocol.dialects import session_to_wire


@dataclass(frozen=True)
class CallAnswer:
    """What the service answered: its SDP (for the browser) and the call's id (for the sideband)."""

    call_id: str
    sdp: str


def call_session_body(session: SessionConfig | None, model: str | None) -> dict[str, object]:
    """The `session` part: the agent's configuration in the GA wire form, with the model."""
    wire = session_to_wire(session.set_fields() if session else {}, Dialect.GA)
    wire.setdefault("type", "realtime")
    if model and "model" not in wire:
        wire["model"] = model
    return wire


async def create_call(
    endpoint: Endpoint,
    offer_sdp: str,
    session: SessionConfig | None = None,
    *,
    timeout_s: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    client: httpx.AsyncClient | None = None,
) -> CallAnswer:
    """POST the offer to the service's calls endpoint; `SdpError` for a bad offer (nothing is sent),
    `CallError` (with the status, the service's code and the request id) when the service refuses.
    `client`: an HTTP client to reuse (its connections and TLS setup) across calls."""
    offer = parse_offer(offer_sdp)
    url = endpoint.calls_url
    headers = {**endpoint.extra_headers, **await endpoint.auth.http_headers()}
    body = json.dumps(call_session_body(session, endpoint.model))
    files = {"sdp": (None, offer.text, "application/sdp"), "session": (None, body, "application/json")}
    response = await post_to_service(
        url,
        headers=headers,
        error=CallError,
        action="creating a WebRTC call",
        timeout_s=timeout_s,
        client=client,
        transport=transport,
        files=files,
    )
    call_id = response.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]
    if not call_id:
        raise CallError(f"the calls answer from {url} has no Location header with the call's id", url=url)
    answer = response.text
    if not answer.startswith("v=0"):
        raise CallError(
            f"the calls answer from {url} is not an SDP answer", url=url, status=response.status_code
        )
    return CallAnswer(call_id=call_id, sdp=answer)


async def hang_up(
    endpoint: Endpoint,
    call_id: str,
    *,
    timeout_s: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """End a call (`POST .../realtime/calls/{call_id}/hangup`); `CallError` when the service refuses."""
    url = f"{endpoint.calls_url}/{checked_call_id(call_id)}/hangup"
    headers = {**endpoint.extra_headers, **await endpoint.auth.http_headers()}
    await post_to_service(
        url,
        headers=headers,
        error=CallError,
        action="hanging up a call",
        timeout_s=timeout_s,
        transport=transport,
    )
