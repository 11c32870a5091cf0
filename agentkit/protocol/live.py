"""OpenAI GPT-Live (`v1/live/sessions`): its own event set, its encoder, and its delegation ledger.

GPT-Live is full duplex: the service starts and ends its own turns, so there is no
`response.cancel`/`conversation.item.truncate` and no turn-level `response.create` for the live
model. Work is *delegated*: the service announces a delegation (`session.delegation.created`) and,
under Responses delegation, wraps the backend's Responses stream in `response.event` envelopes whose
client-actionable function calls the application must answer. Its event names share almost nothing
with the Realtime dialects, so it lives here rather than in `dialects.py`.

Decoding never raises: an unknown type becomes `LiveUnknownEvent`, an unreadable frame a
`ProtocolError` (the same class the Realtime codec returns). See docs/protocol.md, "GPT-Live", for
which shapes were checked against a published example and which were inferred.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError

from agentkit.protocol._base import WireModel
from agentkit.protocol.events import ProtocolError

LIVE_PATH = "/v1/live/sessions"
CloseReason = Literal["close_requested", "expired", "content", "remote_hangup", "connection_lost"]


class LiveEvent(WireModel):
    kind: ClassVar[str] = ""
    event_id: str | None = None
    client_event_id: str | None = None


class LiveError(WireModel):
    type: str | None = None
    code: str | None = None
    message: str = ""


class SessionInfo(WireModel):
    id: str | None = None


class DelegationInfo(WireModel):
    id: str | None = None
    target: str | dict[str, Any] | None = None


class ContextWindow(WireModel):
    usage_ratio: float | None = None


class Usage(WireModel):
    seconds: float = 0.0


class LiveSessionStarted(LiveEvent):
    kind: ClassVar[str] = "session.started"
    session: SessionInfo = Field(default_factory=SessionInfo)


class LiveOutputAudioDelta(LiveEvent):
    kind: ClassVar[str] = "session.output_audio.delta"
    delta: str = ""


class LiveOutputTranscriptDelta(LiveEvent):
    kind: ClassVar[str] = "session.output_transcript.delta"
    delta: str = ""
    start_ms: int | None = None
    end_ms: int | None = None


class LiveInputTranscriptDelta(LiveOutputTranscriptDelta):
    kind: ClassVar[str] = "session.input_transcript.delta"


class LiveDelegationCreated(LiveEvent):
    kind: ClassVar[str] = "session.delegation.created"
    offset_ms: int | None = None
    delegation: DelegationInfo = Field(default_factory=DelegationInfo)


class LiveResponseEvent(LiveEvent):
    """A backend Responses stream event, wrapped; `event` is the Responses event verbatim."""

    kind: ClassVar[str] = "response.event"
    delegation_id: str | None = None
    event: dict[str, Any] = Field(default_factory=dict)

    def function_call(self) -> dict[str, Any] | None:
        """The client-actionable function call this event completes, if it completes one."""
        item = self.event.get("item")
        done = self.event.get("type") == "response.output_item.done"
        if done and isinstance(item, dict) and item.get("type") == "function_call":
            return item if isinstance(item.get("call_id"), str) else None
        return None


class LiveUsageUpdated(LiveEvent):
    kind: ClassVar[str] = "session.usage.updated"
    usage: Usage = Field(default_factory=Usage)
    context_window: ContextWindow | None = None


class LiveSessionClosed(LiveUsageUpdated):
    kind: ClassVar[str] = "session.closed"
    reason: CloseReason | None = None


class LiveErrorEvent(LiveEvent):
    kind: ClassVar[str] = "error"
    error: LiveError = Field(default_factory=LiveError)


class LiveAck(LiveEvent):
    """An acknowledgement of a client command (`session.updated`, `session.*.appended`, mute)."""

    kind: ClassVar[str] = "ack"
    type: str = ""


class LiveUnknownEvent(LiveEvent):
    kind: ClassVar[str] = "unknown"
    type: str = ""
    raw: dict[str, Any] = Field(default_factory=dict)


_ACKS = frozenset(
    {
        "session.updated",
        "session.input_audio.muted",
        "session.input_audio.unmuted",
        "session.instructions.appended",
        "session.thinking.appended",
        "session.commentary.appended",
    }
)
_EVENTS: dict[str, type[LiveEvent]] = {
    cls.kind: cls
    for cls in (
        LiveSessionStarted,
        LiveOutputAudioDelta,
        LiveOutputTranscriptDelta,
        LiveInputTranscriptDelta,
        LiveDelegationCreated,
        LiveResponseEvent,
        LiveUsageUpdated,
        LiveSessionClosed,
        LiveErrorEvent,
    )
}


def decode_live(frame: str | bytes) -> LiveEvent | ProtocolError:
    """One GPT-Live server frame as its typed event; never raises."""
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return ProtocolError(message=f"frame is not valid JSON: {type(exc).__name__}")
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return ProtocolError(message="frame is not a JSON object with a string `type`")
    kind: str = data["type"]
    try:
        if kind in _ACKS:
            return LiveAck.model_validate(data)
        cls = _EVENTS.get(kind)
        if cls is None:
            return LiveUnknownEvent(type=kind, raw=data, event_id=_str_or_none(data.get("event_id")))
        return cls.model_validate(data)
    except ValidationError as exc:
        return ProtocolError(message=f"`{kind}` has bad fields: {exc.error_count()} error(s)")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- client commands -------------------------------------------------------------------------------

REALTIME_ONLY_COMMANDS = frozenset(
    {"response.cancel", "conversation.item.truncate", "input_audio_buffer.commit", "input_audio_buffer.clear"}
)


def refuse_realtime_command(kind: str) -> None:
    """Raises for a Realtime turn-control command: a full-duplex service owns its own turns."""
    if kind in REALTIME_ONLY_COMMANDS:
        raise ValueError(f"GPT-Live has no `{kind}`: the service starts and ends its own turns")


def session_start(session: dict[str, Any]) -> dict[str, Any]:
    """`session.start`: the first frame on a WebSocket; the config is strict, `model` is required."""
    if not isinstance(session.get("model"), str) or not session["model"]:
        raise ValueError("GPT-Live session.start needs a `model` (for example 'gpt-live-1')")
    return {"type": "session.start", "session": session}


def input_audio_append(audio_b64: str) -> dict[str, Any]:
    return {"type": "session.input_audio.append", "audio": audio_b64}


def commentary_append(content: str, delegation_id: str | None) -> dict[str, Any]:
    """Client delegation: a result the live model should speak about (`thinking` keeps it silent)."""
    return {"type": "session.commentary.append", "content": content, "delegation_id": delegation_id}


def thinking_append(content: str, delegation_id: str | None) -> dict[str, Any]:
    return {"type": "session.thinking.append", "content": content, "delegation_id": delegation_id}


def function_call_output(call_id: str, output: str) -> list[dict[str, Any]]:
    """Responses delegation: the answer to a client-actionable function call, then the backend's go.

    `response.create` here continues the *backend* Responses run (the live model's turns are never
    requested); that follow-up is inferred, see docs/protocol.md.
    """
    item = {"type": "function_call_output", "call_id": call_id, "output": output}
    return [{"type": "response.item.create", "item": item}, {"type": "response.create"}]


def session_close() -> dict[str, Any]:
    return {"type": "session.close"}


class UnknownDelegatedCall(LookupError):
    """An answer for a call the service never delegated, or one already answered."""


class DelegationLedger:
    """Sans-I/O bookkeeping for the full-duplex rule: every delegated call answered exactly once.

    Feed it decoded events (`observe`); ask it for the answer frame (`answer`), which refuses a call
    it never saw or one already answered. `unanswered` is what a reconnect or shutdown must settle.
    """

    def __init__(self) -> None:
        self._open: dict[str, str] = {}  # call_id -> function name
        self._answered: set[str] = set()

    def observe(self, event: LiveEvent | ProtocolError) -> dict[str, Any] | None:
        """Records a client-actionable function call and returns it; anything else returns None."""
        if not isinstance(event, LiveResponseEvent):
            return None
        call = event.function_call()
        if call is None or call["call_id"] in self._answered:
            return None
        self._open[call["call_id"]] = str(call.get("name", ""))
        return call

    def answer(self, call_id: str, output: str) -> list[dict[str, Any]]:
        if call_id not in self._open:
            state = "was already answered" if call_id in self._answered else "was never delegated"
            raise UnknownDelegatedCall(f"function call {call_id!r} {state}")
        del self._open[call_id]
        self._answered.add(call_id)
        return function_call_output(call_id, output)

    @property
    def unanswered(self) -> dict[str, str]:
        return dict(self._open)
