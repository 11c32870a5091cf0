"""What a session tells its application: small typed events, each stamped with the engine's `now`.

These are what `async for event in session` yields and what tracing observes, so every timing fact
(first audio, a call's start and end) is the `time` of some event. Audio stays base64 until asked.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from agentkit.protocol import ErrorDetail, StatusDetails, Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class AppEvent:
    time: float
    """The `now` the engine was given with the input that produced this event."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnStarted(AppEvent):
    """The user began a turn (text sent, audio committed, or speech detected)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseStarted(AppEvent):
    response_id: str
    out_of_band: bool = False
    """A filler said while a tool runs: not part of the conversation, not anyone's answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TextDelta(AppEvent):
    response_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptDelta(AppEvent):
    """Transcript of the assistant's audio."""

    response_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioChunk(AppEvent):
    response_id: str
    item_id: str
    audio: str
    """Base64 audio in the session's output format, as it came off the wire."""

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.audio)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputTranscript(AppEvent):
    """The transcript of what the user said (input audio transcription)."""

    item_id: str
    transcript: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InputTranscriptPartial(AppEvent):
    """What the user has said so far, while transcription streams (for live captions).

    `transcript` is the whole text so far (replace the caption, don't append): built from GA's
    deltas, or taken as is from xAI's cumulative `.updated` events. `InputTranscript` is final.
    """

    item_id: str
    transcript: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InputTranscriptFailed(AppEvent):
    """The service could not transcribe the user's audio; the model may still have heard it."""

    item_id: str
    error: ErrorDetail


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStopped(AppEvent):
    """Server VAD heard the user stop speaking (the turn is about to be committed)."""

    item_id: str
    audio_end_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceWarning(AppEvent):
    """The service did not do all that was asked but goes on (Voice Live's `warning` event)."""

    message: str
    code: str | None = None
    param: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgumentsDelta(AppEvent):
    """A piece of a call's arguments, with everything so far parsed best-effort (`partial`)."""

    call_id: str
    name: str
    delta: str
    arguments_so_far: str
    partial: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallStarted(AppEvent):
    call_id: str
    name: str
    arguments: str
    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallFinished(AppEvent):
    """The call's one output was decided (and posted, when connected)."""

    call_id: str
    name: str
    arguments: str
    output: str
    status: str
    """`ok`, `invalid_arguments`, `tool_error`, `error`, `timeout`, `cancelled` or `unknown_tool`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFinished(AppEvent):
    response_id: str
    status: str
    """The server's status, or `disconnected` when the connection dropped mid-response."""
    usage: Usage | None = None
    status_details: StatusDetails | None = None


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    call_id: str
    name: str
    arguments: str
    output: str
    status: str


@dataclass(frozen=True, slots=True)
class Turn:
    """One user turn and everything the model did for it, across all its tool rounds."""

    user_input: str
    """What the user typed, or the transcript of what they said (when transcription is on)."""
    text: str
    """The assistant's text, or the transcript of its audio; one line per message."""
    tool_calls: tuple[ToolCallRecord, ...]
    usage: Usage
    """Summed over the turn's responses."""
    interrupted: bool
    response_ids: tuple[str, ...]
    started_at: float
    ended_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnDone(AppEvent):
    turn: Turn


@dataclass(frozen=True, slots=True, kw_only=True)
class Interrupted(AppEvent):
    """The user barged in (or the application interrupted): stop playing audio now."""

    response_id: str | None
    item_id: str | None
    """The assistant item that was playing, truncated at `played_ms`."""
    played_ms: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReported(AppEvent):
    error: ErrorDetail
    fatal: bool
    """The connection cannot go on (e.g. `session_expired`): the shell reconnects or closes."""
    handled: bool = False
    """The engine recovered by itself (e.g. retried a `response.create` that raced server VAD)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconnected(AppEvent):
    replayed_items: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRequested(AppEvent):
    """A call waits for a person's decision: answer with `session.approve` or `session.reject`.

    For the application's operators only: the relay and other channels never forward it to the
    caller's device.
    """

    call_id: str
    name: str
    arguments: str
    response_id: str
    deadline: float | None
    """The `time` by which it must be decided (None: no limit)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDecided(AppEvent):
    """A waiting call was approved (it starts now), rejected, or not decided in time."""

    call_id: str
    name: str
    verdict: str
    """`approved`, `rejected` or `timed_out`."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputAudioStarted(AppEvent):
    """WebRTC / SIP: the service began playing a response's audio to the caller."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputAudioStopped(AppEvent):
    """WebRTC / SIP: the caller has heard all of a response's audio."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputAudioCleared(AppEvent):
    """WebRTC / SIP: the audio not yet played was dropped (barge-in, or `output_audio_buffer.clear`)."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyEnforced(AppEvent):
    """A channel undid what the caller's device may not do (e.g. the WebRTC sideband guard reverted a
    `session.update`, deleted an injected item or cancelled a response). For operators only."""

    rule: str
    """`session_field`, `client_function_output`, `client_system_message`, `client_assistant_item`,
    `client_response`, or `hung_up` once the count passed the limit."""
    detail: str
    count: int
    """Violations on this call so far."""
