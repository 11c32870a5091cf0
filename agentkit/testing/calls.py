"""Calls on the local server: a WebRTC call's session, which lives on its own while parties come
and go, as the service's does.

A call has one session (`LocalCall.connection`, a `ServerConnection` in call mode) and a fan-out
wire: every server event goes to the caller's data channel (`LocalCall.peer`, in-process, or a real
WebRTC data channel) and to every attached sideband WebSocket (`?call_id=`); every client event from
any of them goes into the one session. The caller's audio arrives as media (`LocalCall.hear`) and
the answer's audio leaves as media (`LocalCall.played`); a call made from a real browser offer also
has real media (`LocalCall.media`, aiortc: `agentkit.testing.rtc_media`). A sideband that drops
leaves the call running; hanging up ends the session and closes every party (close code 1000, as the
service does).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from websockets.asyncio.server import ServerConnection as WebSocket
from websockets.exceptions import ConnectionClosed

from agentkit.protocol import (
    ClientEvent,
    Codec,
    Dialect,
    ResponseAudioDelta,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    new_id,
)
from agentkit.testing.connection import Frame, Heard, ServerConnection, Services
from agentkit.testing.routing import Route
from agentkit.testing.session_state import apply_update, default_session

if TYPE_CHECKING:
    from agentkit.testing.rtc_media import CallMedia

logger = logging.getLogger("agentkit.testing.calls")

CALL_ENDED = (1000, "call ended")
_INBOX = 4096


class Party(Protocol):
    """Someone on a call who receives its server events (a data channel, a sideband)."""

    async def deliver(self, text: str) -> None: ...

    async def hang_up(self, code: int, reason: str) -> None: ...

    def cut(self) -> None: ...


class CallWire:
    """The fan-out of one call: frames in from every party, events out to every party."""

    def __init__(self) -> None:
        self._in: MemoryObjectSendStream[Frame]
        self._out: MemoryObjectReceiveStream[Frame]
        self._in, self._out = anyio.create_memory_object_stream[Frame](_INBOX)
        self.parties: list[Party] = []
        self.played: list[ResponseAudioDelta] = []
        self.listeners: list[Callable[[ResponseAudioDelta], None]] = []
        """Told of each played delta as it goes out (a real WebRTC call's outgoing audio track)."""
        self.played_out: Callable[[], Awaitable[None]] | None = None
        """Real media: waits until the track has played what it was given (the session then says
        `output_audio_buffer.stopped`); None: audio counts as heard once sent."""
        self.ended = anyio.Event()

    async def push(self, frame: Frame) -> None:
        """A frame for the call's session; dropped once the call has ended (as a closed channel)."""
        if not self.ended.is_set():
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                await self._in.send(frame)

    async def send(self, text: str) -> None:
        for party in list(self.parties):
            try:
                await party.deliver(text)
            except Exception:  # a party that went away leaves the call; the others carry on
                logger.debug("call party %r left while being sent to", party)
                self.leave(party)

    def leave(self, party: Party) -> None:
        if party in self.parties:
            self.parties.remove(party)

    async def close(self, code: int, reason: str) -> None:
        self.ended.set()
        self._in.close()
        parties, self.parties = list(self.parties), []
        for party in parties:
            with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                await party.hang_up(code, reason)

    def abort(self) -> None:
        """A network failure of the sidebands (the caller's leg is unaffected)."""
        for party in list(self.parties):
            if isinstance(party, Sideband):
                party.cut()

    async def frames(self) -> AsyncIterator[Frame]:
        async for frame in self._out:
            yield frame

    def play(self, event: ResponseAudioDelta) -> None:
        self.played.append(event)
        for listener in self.listeners:
            listener(event)


class Sideband:
    """A server's WebSocket attached to the call (`...realtime?call_id=`)."""

    def __init__(self, websocket: WebSocket, headers: dict[str, str]) -> None:
        self.websocket = websocket
        self.headers = headers
        self.frames_in: list[str] = []
        """What this sideband sent, as wire text."""
        self.frames_out: list[str] = []
        """What it was sent."""

    def __repr__(self) -> str:
        return f"Sideband(in={len(self.frames_in)}, out={len(self.frames_out)})"

    async def deliver(self, text: str) -> None:
        self.frames_out.append(text)
        await self.websocket.send(text)

    async def hang_up(self, code: int, reason: str) -> None:
        await self.websocket.close(code, reason)

    def cut(self) -> None:
        """Drop this sideband's TCP connection without a close frame."""
        transport = getattr(self.websocket, "transport", None)
        if transport is not None:
            transport.abort()

    def sent_types(self) -> list[str]:
        """The `type` of every frame this sideband sent."""
        return [str(json.loads(frame).get("type")) for frame in self.frames_in]

    def received_types(self) -> list[str]:
        return [str(json.loads(frame).get("type")) for frame in self.frames_out]


class CallPeer:
    """The caller's data channel, in-process: what a browser's WebRTC data channel sends and receives."""

    def __init__(self, call: LocalCall) -> None:
        self._call = call
        self._codec = Codec(Dialect.GA)
        self.received: list[ServerEvent] = []
        self._arrived = anyio.Event()
        self.connected = True

    def __repr__(self) -> str:
        return f"CallPeer(received={len(self.received)})"

    async def deliver(self, text: str) -> None:
        self.received.append(self._codec.decode_server_event(text))
        self._arrived.set()

    async def hang_up(self, code: int, reason: str) -> None:
        self.connected = False
        self._arrived.set()

    def cut(self) -> None:
        self.connected = False

    async def send(self, event: ClientEvent) -> None:
        """Send a client event over the data channel, as a browser may."""
        await self._call.wire.push(json.dumps(self._codec.client_event_to_dict(event)))

    async def send_raw(self, frame: str) -> None:
        await self._call.wire.push(frame)

    async def wait_for_session(self) -> None:
        """The call is up once its `session.created` reached the caller."""
        await self.wait_for(SessionCreated)

    async def wait_for(self, kind: type[ServerEvent], count: int = 1) -> list[ServerEvent]:
        """Wait until `count` events of `kind` have arrived on the data channel (all of them so far)."""
        while True:
            found = [e for e in self.received if isinstance(e, kind)]
            if len(found) >= count or not self.connected:
                return found
            self._arrived = anyio.Event()
            await self._arrived.wait()


class LocalCall:
    """One call: its session, its caller, its sidebands. Created by the server's calls endpoint or
    by `LocalRealtimeServer.create_call` (tests)."""

    def __init__(
        self,
        services: Services,
        *,
        model: str = "gpt-realtime",
        flavor: str = "openai",
        session: SessionConfig | None = None,
        headers: dict[str, str] | None = None,
        call_id: str | None = None,
    ) -> None:
        self.id = call_id or new_id("rtc")
        self.wire = CallWire()
        self.peer = CallPeer(self)
        self.wire.parties.append(self.peer)
        self.sidebands: list[Sideband] = []
        """Every sideband that attached, in order (dropped ones stay listed)."""
        self.media: CallMedia | None = None
        """The call's real WebRTC peer (`rtc_media.CallMedia`) when a real offer made it."""
        base = default_session(Dialect.GA, model)
        if session is not None:
            base = apply_update(base, session, Dialect.GA, voice_locked=False)
        route = Route(Dialect.GA, "azure" if flavor == "azure" else "openai", model)
        self.connection = ServerConnection(
            self.wire,
            route,
            f"/v1/realtime/calls/{self.id}",
            services,
            headers=headers or {},
            on_call=True,
            session=base,
        )

    def __repr__(self) -> str:
        state = "ended" if self.ended else "live"
        return f"LocalCall({self.id!r}, {state}, sidebands={len(self.sidebands)})"

    @property
    def ended(self) -> bool:
        return self.wire.ended.is_set()

    @property
    def played(self) -> list[ResponseAudioDelta]:
        """The answer audio the caller was sent as media."""
        return self.wire.played

    async def run(self) -> None:
        """The call's session, until it is hung up."""
        try:
            await self.connection.run()
        finally:
            await self.wire.close(*CALL_ENDED)
            if self.media is not None:
                with anyio.CancelScope(shield=True):
                    await self.media.close()

    async def hear(self, pcm16: bytes) -> None:
        """The caller's microphone: PCM16 24 kHz audio arriving as media."""
        await self.wire.push(Heard(pcm16))

    async def hang_up(self) -> None:
        """End the call: the session stops and every party is closed (1000)."""
        await self.wire.close(*CALL_ENDED)

    async def attach(self, websocket: WebSocket, headers: dict[str, str]) -> None:
        """Serve one sideband until it closes or the call ends."""
        sideband = Sideband(websocket, headers)
        self.sidebands.append(sideband)
        self.wire.parties.append(sideband)
        try:
            async for frame in websocket:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                sideband.frames_in.append(text)
                await self.wire.push(text)
        except ConnectionClosed:
            pass
        finally:
            self.wire.leave(sideband)
        if self.ended:
            await websocket.close(*CALL_ENDED)
