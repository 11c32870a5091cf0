"""`AcsChannel`: phone calls to an Azure Communication Services number, answered by an agent.

Two ASGI routes. The Event Grid webhook answers the subscription validation handshake and, for an
`IncomingCall`, screens it and answers through Call Automation with bidirectional media streaming
(PCM 24 kHz mono, the Realtime API's own format: nothing is resampled) to the stream route, whose
URL carries a single-use ticket. The stream route accepts only a socket presenting a live ticket
whose first frame announces PCM 24 kHz mono.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from agentkit.channels.asgi import (
    AsgiApp,
    AsgiWebSocket,
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    read_body,
    request_url,
    respond,
)
from agentkit.channels.calls import Accept, IncomingCall, Reject, decide
from agentkit.channels.line import PhoneLine
from agentkit.channels.media import (
    CLOSE_BAD_DATA,
    CLOSE_POLICY,
    CLOSE_UNSUPPORTED,
    FrameReader,
    LegAudio,
    LegDtmf,
    LegEvent,
    LegHangup,
    StreamError,
    close_quietly,
    decode_audio,
    monotonic,
)
from agentkit.channels.tickets import CallTickets

from . import frames
from .automation import CallAutomation, CallAutomationError
from .events import INCOMING_CALL, VALIDATION, incoming_call

logger = logging.getLogger("agentkit.channels.acs")


class AcsLeg:
    """The ACS side of one call, after its metadata frame was checked."""

    audio_format = "pcm16"
    echoes_marks = False

    def __init__(self, websocket: AsgiWebSocket, reader: FrameReader) -> None:
        self.websocket = websocket
        self.reader = reader

    async def next_event(self) -> LegEvent:
        while True:
            message = await self.reader.next()
            if message is None:
                return LegHangup("the caller hung up")
            kind = message.get("kind")
            if kind == "AudioData":
                data = message.get("audioData")
                if not isinstance(data, dict):
                    raise StreamError(CLOSE_BAD_DATA, "an AudioData frame has no audioData object")
                if data.get("data") is None and data.get("silent"):
                    continue
                pcm = decode_audio(data.get("data"))
                if len(pcm) % 2:
                    raise StreamError(CLOSE_BAD_DATA, "PCM audio has an odd number of bytes")
                return LegAudio(pcm)
            if kind == "DtmfData":
                dtmf = message.get("dtmfData")
                digit = dtmf.get("data") if isinstance(dtmf, dict) else None
                if isinstance(digit, str):
                    return LegDtmf(digit)

    async def play(self, audio_b64: str) -> None:
        await self.websocket.send(frames.audio(audio_b64))

    async def mark(self, name: str) -> None:
        """ACS has no marks."""

    async def clear(self) -> None:
        await self.websocket.send(frames.stop_audio())


class AcsChannel:
    """ACS calls answered by `line`'s agent. `automation` answers calls (`CallAutomationClient` with the
    resource's connection string). `public_url`: the base URL ACS and Event Grid reach this app at.
    `events_secret`: when set, Event Grid must deliver to `.../acs/events?code=<secret>` (put it in the
    subscription's endpoint URL); other deliveries get 401."""

    def __init__(
        self,
        line: PhoneLine,
        automation: CallAutomation,
        *,
        public_url: str | None = None,
        events_secret: str | None = None,
        stream_path: str = "/acs/stream",
        events_path: str = "/acs/events",
        tickets: CallTickets | None = None,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.line = line
        self.automation = automation
        self.public_url = public_url.rstrip("/") if public_url else None
        self._events_secret = events_secret
        self.stream_path = stream_path
        self.events_path = events_path
        self.tickets = tickets or CallTickets()
        self._clock = clock

    def __repr__(self) -> str:
        return f"AcsChannel(stream_path={self.stream_path!r}, active={self.line.active})"

    def routes(self) -> dict[str, AsgiApp]:
        return {self.events_path: self.events, self.stream_path: self.stream}

    # -- Event Grid ------------------------------------------------------------------------------

    async def events(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app for Event Grid deliveries (and Call Automation's mid-call callbacks)."""
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await respond(send, 405, b"Use POST\n", headers={"Allow": "POST"})
            return
        if self._events_secret is not None:
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("code", [""])[0]
            if not hmac.compare_digest(given.encode(), self._events_secret.encode()):
                logger.warning("acs: refused an event delivery: wrong or missing code")
                await respond(send, 401, b"wrong or missing code\n")
                return
        try:
            batch = json.loads(await read_body(receive))
        except BodyTooLarge:
            await respond(send, 413, b"Request too large\n")
            return
        except ValueError:
            await respond(send, 400, b"the body is not JSON\n")
            return
        events = batch if isinstance(batch, list) else [batch]
        for event in events:
            if not isinstance(event, dict):
                continue
            kind = event.get("eventType") or event.get("type")
            data = event.get("data")
            if kind == VALIDATION and isinstance(data, dict) and isinstance(data.get("validationCode"), str):
                logger.info("acs: Event Grid subscription validated")
                body = json.dumps({"validationResponse": data["validationCode"]})
                await respond(send, 200, body, "application/json")
                return
            if kind == INCOMING_CALL:
                await self._incoming(scope, event)
        await respond(send, 200, b"")

    async def _incoming(self, scope: Scope, event: dict[str, object]) -> None:
        found = incoming_call(event)
        if found is None:
            logger.warning("acs: an IncomingCall event without incomingCallContext was ignored")
            return
        call = IncomingCall("acs", found.correlation_id, found.caller, found.callee, found.data)
        decision: Accept | Reject
        if not self.line.has_room():
            decision = Reject("busy: every line is taken")
        else:
            try:
                decision = await decide(self.line.screen, call)
            except Exception as exc:
                logger.error(
                    "acs: the call screen failed (%s); rejecting %s", type(exc).__name__, call.call_id
                )
                decision = Reject("the call screen failed")
        try:
            if isinstance(decision, Reject):
                await self.automation.reject(found.incoming_call_context, decision.reason)
                logger.info("acs: call %s rejected: %s", call.call_id, decision.reason)
                return
            ticket = self.tickets.issue(call.call_id, decision)
            await self.automation.answer(
                found.incoming_call_context,
                self._url(scope, self.events_path, "https"),
                self._stream_url(scope, ticket),
            )
        except CallAutomationError as exc:
            logger.warning("acs: could not answer call %s: %s", call.call_id, exc)
            return
        logger.info("acs: call %s answered", call.call_id)

    def _url(self, scope: Scope, path: str, secure_scheme: str, query: dict[str, str] | None = None) -> str:
        base = urlsplit(request_url(scope, self.public_url))
        plain = "ws" if secure_scheme == "wss" else "http"
        scheme = secure_scheme if base.scheme == "https" else plain
        params = dict(query or {})
        if secure_scheme == "https" and self._events_secret is not None:
            params["code"] = self._events_secret
        return urlunsplit((scheme, base.netloc, path, urlencode(params), ""))

    def _stream_url(self, scope: Scope, ticket: str) -> str:
        return self._url(scope, self.stream_path, "wss", {"ticket": ticket})

    # -- the media stream ----------------------------------------------------------------------------

    async def stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI app for ACS's bidirectional media WebSocket."""
        if scope["type"] != "websocket":
            if scope["type"] == "http":
                await respond(send, 426, b"This is a WebSocket endpoint\n", headers={"Upgrade": "websocket"})
            return
        websocket = AsgiWebSocket(receive, send)
        if not await websocket.accept():
            return
        ticket = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [""])[0]
        redeemed = self.tickets.redeem(ticket)
        if redeemed is None:
            logger.warning("acs: closed a stream: no valid call set-up")
            await close_quietly(websocket, CLOSE_POLICY, "this stream has no valid call set-up")
            return
        reader = FrameReader(websocket, self.line.limits, self._clock)
        try:
            message = await reader.next(self.line.limits.setup_timeout_s)
            if message is None:
                return
            if message.get("kind") != "AudioMetadata":
                raise StreamError(CLOSE_POLICY, "expected AudioMetadata first")
            encoding, rate, channels = frames.metadata(message)
            if (encoding.upper(), rate, channels) != (frames.PCM, frames.SAMPLE_RATE, 1):
                raise StreamError(
                    CLOSE_UNSUPPORTED, f"unsupported media format {encoding} {rate} Hz x{channels}"
                )
        except StreamError as exc:
            logger.warning("acs: closed stream for call %s: %s", redeemed.call_id, exc.reason)
            await close_quietly(websocket, exc.code, exc.reason)
            return
        accept = redeemed.data if isinstance(redeemed.data, Accept) else None
        await self.line.carry(websocket, AcsLeg(websocket, reader), redeemed.call_id, accept)
