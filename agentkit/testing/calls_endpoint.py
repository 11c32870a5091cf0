"""The local server's HTTP endpoints for WebRTC, as the services answer them:

- `POST /v1/realtime/calls` (Azure `/openai/v1/realtime/calls`): `multipart/form-data` with `sdp` and
  an optional `session`, or a bare `application/sdp` offer (a browser with an ephemeral key);
  `201 Created`, the SDP answer, and `Location: /v1/realtime/calls/{call_id}`.
- `POST .../realtime/calls/{call_id}/hangup`: ends the call.
- `POST .../realtime/client_secrets`: a short-lived `ek_` key the server then accepts.

A real offer (a browser's, or any WebRTC stack's: ICE credentials and a DTLS fingerprint) is answered
by a real peer connection (aiortc, the `webrtc` extra: `rtc_media.CallMedia`), so the caller's audio,
the answer's audio and the `oai-events` data channel really flow; an offer aiortc cannot negotiate is
a `400` and leaves nothing behind. A trimmed offer (tests) gets an answer that mirrors its sections,
and the call's audio is the in-process media seam (`LocalCall.hear`, `LocalCall.played`).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from agentkit.channels.webrtc.sdp import Offer, SdpError, parse_offer
from agentkit.http_posts import HttpReply, HttpRequest
from agentkit.protocol import Codec, Dialect, SessionConfig, SessionUpdate
from agentkit.testing.calls import LocalCall
from agentkit.testing.routing import Authenticator, Rejection

if TYPE_CHECKING:
    from agentkit.testing.rtc_media import CallMedia

logger = logging.getLogger("agentkit.testing.calls")

_CALLS = re.compile(r"^(?P<prefix>/openai)?/v1/realtime/calls/?$")
_HANGUP = re.compile(r"^(?P<prefix>/openai)?/v1/realtime/calls/(?P<call_id>[^/]+)/hangup/?$")
_SECRETS = re.compile(r"^(?P<prefix>/openai)?/v1/realtime/client_secrets/?$")
SECRET_TTL_S = 600

CreateCall = Callable[[SessionConfig | None, str, str, "CallMedia | None"], Awaitable[LocalCall]]


def _error(status: int, code: str, message: str, param: str | None = None) -> HttpReply:
    body = {"error": {"type": "invalid_request_error", "code": code, "message": message, "param": param}}
    return HttpReply(status, json.dumps(body).encode(), {"content-type": "application/json"})


class CallsEndpoint:
    """Answers the local server's POSTs; `create_call` starts a call as `LocalRealtimeServer.create_call`."""

    def __init__(self, auth: Authenticator, calls: dict[str, LocalCall], create_call: CreateCall) -> None:
        self._auth = auth
        self._calls = calls
        self._create_call = create_call
        self.minted: dict[str, float] = {}
        """`ek_` secrets this server handed out, with when each expires (`time.time()`)."""

    def accepts(self, token: str) -> bool:
        expires = self.minted.get(token)
        return expires is not None and time.time() < expires

    async def handle(self, request: HttpRequest) -> HttpReply:
        path = request.target.split("?", 1)[0]
        matched = _CALLS.match(path) or _HANGUP.match(path) or _SECRETS.match(path)
        if matched is None:
            return _error(404, "not_found", f"No endpoint at {path}.")
        if request.method != "POST":
            return _error(405, "method_not_allowed", "Use POST.")
        refusal = self._auth.check(request.target, request.headers)
        if isinstance(refusal, Rejection):
            return _error(refusal.status, refusal.code, refusal.message)
        flavor = "azure" if matched["prefix"] else "openai"
        if matched.re is _HANGUP:
            return await self._hang_up(matched["call_id"])
        if matched.re is _SECRETS:
            return self._mint(request)
        return await self._create(request, flavor)

    async def _create(self, request: HttpRequest, flavor: str) -> HttpReply:
        content_type = request.headers.get("content-type", "")
        sdp: str | None
        session_json: str | None = None
        if content_type.startswith("multipart/form-data"):
            fields = _form_fields(content_type, request.body)
            sdp, session_json = fields.get("sdp"), fields.get("session")
        elif content_type.startswith("application/sdp"):
            sdp = request.body.decode("utf-8", "replace")
        else:
            return _error(
                400, "invalid_content_type", "Send multipart/form-data (sdp, session) or application/sdp."
            )
        if sdp is None:
            return _error(400, "missing_required_parameter", "Missing required parameter: 'sdp'.", "sdp")
        try:
            offer = parse_offer(sdp)
        except SdpError as exc:
            return _error(400, "invalid_offer", f"Invalid SDP offer: {exc}.", "sdp")
        session, model = None, "gpt-realtime"
        if session_json is not None:
            parsed = _session(session_json)
            if isinstance(parsed, HttpReply):
                return parsed
            session, model = parsed
        media: CallMedia | None = None
        answer = answer_for(offer)
        if real_offer(offer.text):
            negotiated = await _negotiate(offer.text)
            if isinstance(negotiated, HttpReply):
                return negotiated
            media, answer = negotiated
        try:
            call = await self._create_call(session, model, flavor, media)
        except BaseException:
            if media is not None:
                await media.close()
            raise
        location = ("/openai" if flavor == "azure" else "") + f"/v1/realtime/calls/{call.id}"
        return HttpReply(201, answer.encode(), {"content-type": "application/sdp", "location": location})

    async def _hang_up(self, call_id: str) -> HttpReply:
        call = self._calls.get(call_id)
        if call is None or call.ended:
            return _error(404, "call_id_not_found", "No session found for the provided call_id.")
        await call.hang_up()
        return HttpReply(200, b"{}", {"content-type": "application/json"})

    def _mint(self, request: HttpRequest) -> HttpReply:
        value = "ek_" + secrets.token_hex(16)
        expires_at = int(time.time()) + SECRET_TTL_S
        self.minted[value] = expires_at
        try:
            asked = json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "invalid_json", "The body is not valid JSON.")
        session = asked.get("session", {}) if isinstance(asked, dict) else {}
        body = {"value": value, "expires_at": expires_at, "session": session}
        return HttpReply(200, json.dumps(body).encode(), {"content-type": "application/json"})


def real_offer(sdp: str) -> bool:
    """A browser's offer carries ICE credentials and a DTLS fingerprint; a trimmed test offer does not."""
    return "a=ice-ufrag:" in sdp and "a=fingerprint:" in sdp


async def _negotiate(sdp: str) -> tuple[CallMedia, str] | HttpReply:
    """A real peer connection's answer to a real offer, or the error that explains why there is none."""
    try:
        from agentkit.testing.rtc_media import CallMedia, MediaError
    except ImportError:
        return _error(
            501,
            "webrtc_media_unavailable",
            "This local server has no WebRTC media stack: pip install 'agentkit[webrtc]' (aiortc).",
        )
    media = CallMedia()
    try:
        return media, await media.answer(sdp)
    except MediaError as exc:
        await media.close()
        return _error(400, "invalid_offer", f"Invalid SDP offer: {exc}.", "sdp")
    except BaseException:
        await media.close()
        raise


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The text fields of a `multipart/form-data` body (the standard library's MIME parser reads it)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8", "replace")
    return fields


def _session(text: str) -> tuple[SessionConfig, str] | HttpReply:
    try:
        wire: Any = json.loads(text)
    except ValueError:
        return _error(400, "invalid_json", "The session part is not valid JSON.", "session")
    if not isinstance(wire, dict):
        return _error(400, "invalid_type", "The session part must be an object.", "session")
    model = str(wire.get("model") or "gpt-realtime")
    wire = {**wire, "type": wire.get("type", "realtime")}
    decoded = Codec(Dialect.GA).decode_client_event(json.dumps({"type": "session.update", "session": wire}))
    if not isinstance(decoded, SessionUpdate):
        return _error(
            400, "invalid_value", "The session part is not a valid session configuration.", "session"
        )
    fields = decoded.session.model_dump(exclude_unset=True)
    fields.pop("model", None)
    return SessionConfig(**fields), model


def answer_for(offer: Offer) -> str:
    """An SDP answer with one section per offered section, accepting audio and the data channel."""
    lines = ["v=0", f"o=- {secrets.randbits(62)} 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    mids = [m.mid for m in offer.media if m.mid is not None]
    if mids:
        lines.append("a=group:BUNDLE " + " ".join(mids))
    for media in offer.media:
        accepted = media.kind in ("audio", "application") and media.port != 0
        port = 9 if accepted else 0
        proto = "UDP/DTLS/SCTP webrtc-datachannel" if media.kind == "application" else "UDP/TLS/RTP/SAVPF 111"
        lines.append(f"m={media.kind} {port} {proto}")
        lines.append("c=IN IP4 0.0.0.0")
        if media.mid is not None:
            lines.append(f"a=mid:{media.mid}")
        if media.kind == "audio":
            lines += ["a=rtpmap:111 opus/48000/2", "a=sendrecv" if accepted else "a=inactive"]
    return "\r\n".join(lines) + "\r\n"
