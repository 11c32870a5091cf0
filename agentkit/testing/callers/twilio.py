"""`TwilioCaller`: places a phone call to an app the way Twilio would, for tests and demos offline.

It posts the signed voice webhook, reads the TwiML, opens the Media Stream it names, sends
`connected` and `start` (with the TwiML's parameters), then speaks in 20 ms mu-law `media` packets,
plays the agent's audio back at phone pace, acknowledges marks as the audio before them plays,
obeys `clear`, and can barge in or hang up (`stop`) at any moment.
"""

from __future__ import annotations

import base64
import json
import secrets
import xml.etree.ElementTree as ElementTree
from types import TracebackType
from typing import Any

import httpx

from agentkit.channels.signatures import twilio_signature

from .earpiece import Earpiece
from .stream import StreamCaller
from .voice import PACKET_MS

FORMAT = "g711_ulaw"


class CallRefused(Exception):
    """The app did not connect the call (an HTTP error, or TwiML without a stream)."""


class TwilioCaller(StreamCaller):
    """One simulated call: `async with TwilioCaller(base_url, auth_token) as call: await call.say(...)`.

    `base_url`: the app (`http://127.0.0.1:8080`); `pace`: 1.0 sends and plays audio in real time,
    0 as fast as possible (tests). `sign=False` or a wrong `auth_token` sends a forged webhook.
    """

    audio_format = FORMAT

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        *,
        voice_path: str = "/twilio/voice",
        caller: str = "+15551230001",
        callee: str = "+15559870002",
        pace: float = 1.0,
        voice: str | None = None,
        sign: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.voice_url = self.base_url + voice_path
        self.call_sid = "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.account_sid = "AC" + secrets.token_hex(16)
        self.caller = caller
        self.callee = callee
        self.sign = sign
        self._auth_token = auth_token
        self.twiml = ""
        self.stream_url = ""
        self.parameters: dict[str, str] = {}
        self._sequence = 0
        super().__init__(Earpiece(8.0, self._ack_mark, pace), pace=pace, voice=voice)

    def __repr__(self) -> str:
        return f"TwilioCaller(call_sid={self.call_sid!r})"

    # -- placing the call -------------------------------------------------------------------------

    def form(self) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "CallSid": self.call_sid,
            "From": self.caller,
            "To": self.callee,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    async def ring(self) -> httpx.Response:
        """Post the voice webhook as Twilio does (signed unless `sign=False`); returns the answer."""
        form = self.form()
        headers = {"User-Agent": "TwilioProxy/1.1"}
        if self.sign:
            headers["X-Twilio-Signature"] = twilio_signature(self._auth_token, self.voice_url, form.items())
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.voice_url, data=form, headers=headers)

    async def dial(self) -> None:
        """Ring, then open the stream the TwiML names; `CallRefused` if there is none."""
        response = await self.ring()
        if response.status_code != 200:
            raise CallRefused(
                f"the voice webhook answered HTTP {response.status_code}: {response.text[:200]}"
            )
        self.twiml = response.text
        self.stream_url, self.parameters = _stream_of(self.twiml)
        await self.open_stream(self.stream_url, self.parameters)

    async def open_stream(self, url: str, parameters: dict[str, str], *, media_format: Any = None) -> None:
        """Open a Media Stream and send `connected` and `start` (tests use it to forge streams too)."""
        await self._connect(url)
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        start = {
            "accountSid": self.account_sid,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "mediaFormat": media_format or {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": parameters,
        }
        await self.send({"event": "start", "start": start, "streamSid": self.stream_sid})

    async def __aenter__(self) -> TwilioCaller:
        await self.dial()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.hang_up()

    # -- talking ------------------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """One frame, numbered as Twilio numbers them."""
        self._sequence += 1
        await self.send_raw(json.dumps({**message, "sequenceNumber": str(self._sequence)}))

    def _media_frame(self, packet: bytes) -> dict[str, Any]:
        media = {
            "track": "inbound",
            "chunk": str(self.sent_packets),
            "timestamp": str(self.sent_packets * PACKET_MS),
            "payload": base64.b64encode(packet).decode(),
        }
        return {"event": "media", "media": media, "streamSid": self.stream_sid}

    async def barge_in(self, text: str, *, after_ms: float = 0.0, timeout: float = 30.0) -> float:
        """Once `after_ms` of the answer has played, stop listening and talk over it; returns how many
        ms of that answer were heard."""
        await self.ear.wait(lambda: self.ear.answer_ms >= after_ms and self.ear.answer_ms > 0, timeout)
        self.ear.hold()
        await self.ear.wait(self.ear.settled, timeout)
        heard = self.ear.answer_ms
        await self.say(text)
        return heard

    async def wait_answer(self, count: int = 1, timeout: float = 30.0) -> bytes:
        """The audio of the `count`-th answer heard to its end."""
        await self.ear.wait(lambda: len(self.ear.answers) >= count or self.closed.is_set(), timeout)
        if len(self.ear.answers) < count:
            raise CallRefused(f"the call ended ({self.close_code} {self.close_reason}) before answer {count}")
        return self.ear.answers[count - 1]

    async def _goodbye(self) -> None:
        """Twilio sends `stop` when the caller hangs up, then closes the stream."""
        await self.send({"event": "stop", "stop": {"accountSid": self.account_sid, "callSid": self.call_sid}})

    # -- listening ----------------------------------------------------------------------------------

    async def _on_frame(self, message: dict[str, Any]) -> None:
        kind = message.get("event")
        if kind == "media":
            self.ear.queue_audio(base64.b64decode(message["media"]["payload"]))
        elif kind == "mark":
            self.ear.queue_mark(message["mark"]["name"])
        elif kind == "clear":
            await self.ear.clear()

    async def _ack_mark(self, name: str) -> None:
        if not self.closed.is_set():
            await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})


def _stream_of(document: str) -> tuple[str, dict[str, str]]:
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise CallRefused(f"the voice webhook did not answer TwiML: {exc}") from None
    stream = root.find("./Connect/Stream")
    if stream is None or not stream.get("url"):
        raise CallRefused("the TwiML has no <Connect><Stream url=...>: the call was not connected")
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return stream.get("url", ""), parameters
