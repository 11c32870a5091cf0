"""`AcsCaller`: places a phone call to an app the way Azure Communication Services would, offline.

`LocalCallAutomation` stands in for ACS's Call Automation service (hand it to `AcsChannel`): it
records what the app answered. The caller delivers Event Grid's `IncomingCall`, and once the app has
answered it opens the media WebSocket named in the answer, sends `AudioMetadata`, speaks in 20 ms
PCM 24 kHz `AudioData` frames, plays the agent's audio at phone pace and obeys `StopAudio`.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import httpx

from .earpiece import Earpiece
from .stream import StreamCaller
from .twilio import CallRefused

FORMAT = "pcm16"


@dataclass
class Answered:
    incoming_call_context: str
    callback_url: str
    transport_url: str


@dataclass
class LocalCallAutomation:
    """In-process Call Automation: the app's answers and rejections, by incoming call context."""

    answered: dict[str, Answered] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    changed: anyio.Event = field(default_factory=anyio.Event)

    async def answer(self, incoming_call_context: str, callback_url: str, transport_url: str) -> None:
        self.answered[incoming_call_context] = Answered(incoming_call_context, callback_url, transport_url)
        self.changed.set()
        self.changed = anyio.Event()

    async def reject(self, incoming_call_context: str, reason: str = "busy") -> None:
        self.rejected[incoming_call_context] = reason
        self.changed.set()
        self.changed = anyio.Event()


class AcsCaller(StreamCaller):
    """One simulated ACS call: `async with AcsCaller(base_url, automation) as call: await call.say(...)`."""

    audio_format = FORMAT

    def __init__(
        self,
        base_url: str,
        automation: LocalCallAutomation,
        *,
        events_path: str = "/acs/events",
        caller: str = "+15551230001",
        callee: str = "+15559870002",
        pace: float = 1.0,
        voice: str | None = None,
    ) -> None:
        self.events_url = base_url.rstrip("/") + events_path
        self.automation = automation
        self.context = "ctx-" + secrets.token_urlsafe(24)
        self.correlation_id = secrets.token_hex(16)
        self.caller = caller
        self.callee = callee
        super().__init__(Earpiece(48.0, self._no_marks, pace), pace=pace, voice=voice)

    # -- placing the call -------------------------------------------------------------------------

    def incoming_call_event(self) -> list[dict[str, Any]]:
        phone = {"kind": "phoneNumber", "rawId": f"4:{self.caller}", "phoneNumber": {"value": self.caller}}
        to = {"kind": "phoneNumber", "rawId": f"4:{self.callee}", "phoneNumber": {"value": self.callee}}
        return [
            {
                "id": secrets.token_hex(8),
                "topic": "/subscriptions/local/resourceGroups/local/providers/Microsoft.Communication/x",
                "subject": f"/caller/4:{self.caller}/recipient/4:{self.callee}",
                "eventType": "Microsoft.Communication.IncomingCall",
                "dataVersion": "1.0",
                "eventTime": "2026-01-01T00:00:00Z",
                "data": {
                    "to": to,
                    "from": phone,
                    "callerDisplayName": "",
                    "incomingCallContext": self.context,
                    "correlationId": self.correlation_id,
                },
            }
        ]

    async def post(self, events: Any, query: str = "") -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.events_url + query, json=events)

    async def dial(self, query: str = "") -> None:
        response = await self.post(self.incoming_call_event(), query)
        if response.status_code != 200:
            raise CallRefused(f"the events webhook answered HTTP {response.status_code}")
        answered = self.automation.answered.get(self.context)
        if answered is None:
            raise CallRefused("the app did not answer the call")
        await self.open_stream(answered.transport_url)

    async def open_stream(self, url: str, metadata: dict[str, Any] | None = None) -> None:
        await self._connect(url)
        meta = metadata or {"subscriptionId": "sub-1", "encoding": "PCM", "sampleRate": 24000, "channels": 1}
        await self.send({"kind": "AudioMetadata", "audioMetadata": {**meta, "length": 640}})

    async def __aenter__(self) -> AcsCaller:
        await self.dial()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.hang_up()

    # -- talking ----------------------------------------------------------------------------------

    def _media_frame(self, packet: bytes) -> dict[str, Any]:
        data = {
            "timestamp": "2026-01-01T00:00:00Z",
            "participantRawID": f"4:{self.caller}",
            "data": base64.b64encode(packet).decode(),
            "silent": not any(packet),
        }
        return {"kind": "AudioData", "audioData": data}

    # ACS ends the stream by closing the socket: `hang_up` needs no goodbye frame.

    # -- listening --------------------------------------------------------------------------------

    async def _on_frame(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "AudioData":
            self.ear.queue_audio(base64.b64decode(message["audioData"]["data"]))
        elif message.get("kind") == "StopAudio":
            await self.ear.clear()

    async def _no_marks(self, name: str) -> None:
        """ACS has no marks."""
