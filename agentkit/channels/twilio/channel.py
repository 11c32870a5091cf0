"""`TwilioChannel`: a phone number on Twilio answered by an agent (Programmable Voice + Media Streams).

Two ASGI routes. The voice webhook (`POST`, Twilio's form) is checked against `X-Twilio-Signature`,
screened by the application, and answered with TwiML that connects a bidirectional stream carrying
a single-use ticket. The stream route accepts only a stream whose `start` frame presents that
ticket for the same call, in mu-law 8 kHz; the audio then goes to the model as `audio/pcmu` and back
without resampling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from agentkit.channels.asgi import (
    AsgiApp,
    AsgiWebSocket,
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    read_body,
    request_headers,
    request_url,
    respond,
)
from agentkit.channels.calls import Accept, IncomingCall, Reject, decide
from agentkit.channels.line import PhoneLine
from agentkit.channels.media import (
    CLOSE_POLICY,
    CLOSE_UNSUPPORTED,
    FrameReader,
    LegAudio,
    LegDtmf,
    LegEvent,
    LegHangup,
    LegMark,
    StreamError,
    close_quietly,
    decode_audio,
    monotonic,
)
from agentkit.channels.signatures import WebhookRejected, verify_twilio
from agentkit.channels.tickets import CallTickets

from . import frames, twiml

logger = logging.getLogger("agentkit.channels.twilio")

TICKET_PARAMETER = "agentkit_ticket"
CLOSE_TRY_LATER = 1013


class TwilioLeg:
    """The Twilio side of one call, after its `start` frame was verified."""

    audio_format = "g711_ulaw"
    echoes_marks = True

    def __init__(self, websocket: AsgiWebSocket, reader: FrameReader, start: frames.StreamStart) -> None:
        self.websocket = websocket
        self.reader = reader
        self.start = start

    async def next_event(self) -> LegEvent:
        while True:
            message = await self.reader.next()
            if message is None:
                return LegHangup("the stream closed")
            kind = message.get("event")
            if kind == "media":
                media = message.get("media")
                if not isinstance(media, dict):
                    raise StreamError(1007, "a media frame has no media object")
                if media.get("track", "inbound") not in ("inbound", "inbound_track"):
                    continue
                return LegAudio(decode_audio(media.get("payload")))
            if kind == "mark":
                mark = message.get("mark")
                name = mark.get("name") if isinstance(mark, dict) else None
                if isinstance(name, str):
                    return LegMark(name)
            elif kind == "dtmf":
                dtmf = message.get("dtmf")
                digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
                if isinstance(digit, str):
                    return LegDtmf(digit)
            elif kind == "stop":
                return LegHangup("the caller hung up")
            elif kind == "start":
                raise StreamError(CLOSE_POLICY, "a second start frame on one stream")

    async def play(self, audio_b64: str) -> None:
        await self.websocket.send(frames.media(self.start.stream_sid, audio_b64))

    async def mark(self, name: str) -> None:
        await self.websocket.send(frames.mark(self.start.stream_sid, name))

    async def clear(self) -> None:
        await self.websocket.send(frames.clear(self.start.stream_sid))


class TwilioChannel:
    """Twilio Programmable Voice calls answered by `line`'s agent.

    `auth_token`: the account's auth token (signs webhooks; `TWILIO_AUTH_TOKEN`). `public_url`: the
    base URL Twilio reaches this app at (`https://example.com`), needed behind a proxy or tunnel
    because the signature covers the URL Twilio used; without it the request's own Host is used.
    `stream_path`: where the stream route is mounted (the TwiML points there).
    """

    def __init__(
        self,
        line: PhoneLine,
        auth_token: str,
        *,
        public_url: str | None = None,
        stream_path: str = "/twilio/stream",
        tickets: CallTickets | None = None,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        if not auth_token:
            raise ValueError("a Twilio channel needs the account's auth token (TWILIO_AUTH_TOKEN)")
        self.line = line
        self._auth_token = auth_token
        self.public_url = public_url.rstrip("/") if public_url else None
        self.stream_path = stream_path
        self.tickets = tickets or CallTickets()
        self._clock = clock

    def __repr__(self) -> str:
        return f"TwilioChannel(stream_path={self.stream_path!r}, active={self.line.active})"

    def routes(self, prefix: str = "/twilio") -> dict[str, AsgiApp]:
        """`{path: ASGI app}` for `PhoneRoutes`: `{prefix}/voice` and `{prefix}/stream`."""
        return {f"{prefix}/voice": self.voice, f"{prefix}/stream": self.stream}

    # -- the voice webhook --------------------------------------------------------------------------

    async def voice(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app for Twilio's voice webhook (`POST`, form-encoded)."""
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await respond(send, 405, b"Use POST\n", headers={"Allow": "POST"})
            return
        try:
            body = await read_body(receive)
        except BodyTooLarge:
            await respond(send, 413, b"Request too large\n")
            return
        params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        url = request_url(scope, self.public_url)
        try:
            verify_twilio(self._auth_token, url, params, request_headers(scope).get("x-twilio-signature"))
        except WebhookRejected as exc:
            logger.warning("twilio: refused a voice webhook: %s", exc.reason)
            await respond(send, 403 if exc.status == 401 else exc.status, f"{exc.reason}\n")
            return
        form = dict(params)
        call_sid = form.get("CallSid", "")
        if not call_sid:
            await respond(send, 400, b"CallSid is missing\n")
            return
        call = IncomingCall("twilio", call_sid, form.get("From"), form.get("To"), form)
        decision = await self._screen(call)
        if isinstance(decision, Reject):
            logger.info("twilio: call %s rejected: %s", call_sid, decision.reason)
            refusal = twiml.reject("busy" if decision.reason.startswith("busy") else "rejected")
            await respond(send, 200, refusal, twiml.TWIML_TYPE)
            return
        ticket = self.tickets.issue(call_sid, decision)
        document = twiml.connect_stream(self._stream_url(scope), {TICKET_PARAMETER: ticket})
        logger.info("twilio: call %s accepted", call_sid)
        await respond(send, 200, document, twiml.TWIML_TYPE)

    async def _screen(self, call: IncomingCall) -> Accept | Reject:
        if not self.line.has_room():
            return Reject("busy: every line is taken", sip_status=486)
        try:
            return await decide(self.line.screen, call)
        except Exception as exc:
            logger.error(
                "twilio: the call screen failed (%s); rejecting %s", type(exc).__name__, call.call_id
            )
            return Reject("the call screen failed")

    def _stream_url(self, scope: Scope) -> str:
        base = urlsplit(request_url(scope, self.public_url))
        scheme = "wss" if base.scheme == "https" else "ws"
        return urlunsplit((scheme, base.netloc, (self._mount(scope)) + self.stream_path, "", ""))

    @staticmethod
    def _mount(scope: Scope) -> str:
        root: str = scope.get("root_path") or ""
        return root.rstrip("/")

    # -- the media stream ---------------------------------------------------------------------------

    async def stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app for the bidirectional Media Stream WebSocket."""
        if scope["type"] != "websocket":
            if scope["type"] == "http":
                await respond(send, 426, b"This is a WebSocket endpoint\n", headers={"Upgrade": "websocket"})
            return
        websocket = AsgiWebSocket(receive, send)
        if not await websocket.accept():
            return
        reader = FrameReader(websocket, self.line.limits, self._clock)
        try:
            start = await self._set_up(reader)
        except StreamError as exc:
            logger.warning("twilio: closed a stream before its call started: %s", exc.reason)
            await close_quietly(websocket, exc.code, exc.reason)
            return
        if start is None:
            return
        redeemed = self.tickets.redeem(start.custom_parameters.get(TICKET_PARAMETER), start.call_sid)
        if redeemed is None:
            logger.warning("twilio: closed stream for call %s: no valid call set-up", start.call_sid)
            await close_quietly(websocket, CLOSE_POLICY, "this stream has no valid call set-up")
            return
        if (start.encoding, start.sample_rate, start.channels) != (frames.MULAW, frames.SAMPLE_RATE, 1):
            reason = f"unsupported media format {start.encoding} {start.sample_rate} Hz x{start.channels}"
            logger.warning("twilio: closed stream for call %s: %s", start.call_sid, reason)
            await close_quietly(websocket, CLOSE_UNSUPPORTED, reason)
            return
        if not self.line.has_room():
            await close_quietly(websocket, CLOSE_TRY_LATER, "every line is taken")
            return
        accept = redeemed.data if isinstance(redeemed.data, Accept) else None
        await self.line.carry(websocket, TwilioLeg(websocket, reader, start), start.call_sid, accept)

    async def _set_up(self, reader: FrameReader) -> frames.StreamStart | None:
        """Read `connected` (optional) and `start`; anything else first is a protocol error."""
        deadline = self._clock() + self.line.limits.setup_timeout_s
        while True:
            message = await reader.next(max(0.0, deadline - self._clock()) or 0.001)
            if message is None:
                return None
            kind = message.get("event")
            if kind == "connected":
                continue
            if kind == "start":
                return frames.parse_start(message)
            raise StreamError(CLOSE_POLICY, f"expected a start frame first, got {str(kind)[:40]!r}")
