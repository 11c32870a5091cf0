"""`AcsCaller`: places a phone call to an app the way Azure Communication Services would, offline.

`LocalCallAutomation` stands in for ACS's Call Automation service (hand it to `AcsChannel`): it
records what the app answered. The caller delivers Event Grid's `IncomingCall`, and once the app has
answered it opens the media WebSocket named in the answer, sends `AudioMetadata`, speaks in 20 ms
PCM 24 kHz `AudioData` frames, plays the agent's audio at phone pace and obeys `StopAudio`.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import anyio.lowlevel
import httpx
from anyio.abc import TaskGroup
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .earpiece import Earpiece
from .twilio import CallRefused
from .voice import PACKET_MS, caller_speech, packets, silence

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


class AcsCaller:
    """One simulated ACS call: `async with AcsCaller(base_url, automation) as call: await call.say(...)`."""

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
        self.pace = pace
        self.voice = voice
        self.ear = Earpiece(48.0, self._no_marks, pace)
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = anyio.Event()
        self._websocket: ClientConnection | None = None
        self._tg: TaskGroup | None = None

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
        self._websocket = await connect(url, max_size=2**20, open_timeout=10)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._listen)
        self._tg.start_soon(self.ear.play)
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

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(message))

    async def send_raw(self, frame: str | bytes) -> None:
        if self._websocket is None:
            raise RuntimeError("the call is not connected")
        try:
            await self._websocket.send(frame)
        except ConnectionClosed:
            pass

    async def send_audio(self, pcm: bytes) -> None:
        for count, packet in enumerate(packets(pcm, FORMAT), 1):
            data = {
                "timestamp": "2026-01-01T00:00:00Z",
                "participantRawID": f"4:{self.caller}",
                "data": base64.b64encode(packet).decode(),
                "silent": not any(packet),
            }
            await self.send({"kind": "AudioData", "audioData": data})
            if self.pace > 0:
                await anyio.sleep(PACKET_MS / 1000 * self.pace)
            elif count % 50 == 0:
                await anyio.lowlevel.checkpoint()

    async def say(self, text: str, *, trailing_silence_ms: int = 800) -> None:
        await self.send_audio(caller_speech(text, FORMAT, self.voice) + silence(trailing_silence_ms, FORMAT))

    async def hang_up(self) -> None:
        """ACS ends the stream by closing the socket."""
        if self._websocket is not None and not self.closed.is_set():
            await self._websocket.close()
        await self.wait_closed()

    async def wait_closed(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (a caller's patience)
        if self._tg is None:
            return
        with anyio.fail_after(timeout):
            await self.closed.wait()
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)
        self._tg = None

    # -- listening --------------------------------------------------------------------------------

    async def _listen(self) -> None:
        assert self._websocket is not None
        try:
            async for frame in self._websocket:
                message = json.loads(frame)
                self.frames.append(message)
                if message.get("kind") == "AudioData":
                    self.ear.queue_audio(base64.b64decode(message["audioData"]["data"]))
                elif message.get("kind") == "StopAudio":
                    await self.ear.clear()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._websocket.close_code
            self.close_reason = self._websocket.close_reason or ""
            self.closed.set()

    async def _no_marks(self, name: str) -> None:
        """ACS has no marks."""
