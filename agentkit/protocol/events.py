"""Canonical server events: one class per thing a Realtime server can tell a client.

Both dialects decode into these classes; `kind` is the canonical name (the GA wire name). Fields
are only those a client reads; anything else on the wire is ignored. Audio stays base64 text
(`delta`) until `audio_bytes` is asked for. A frame of an unknown type becomes `UnknownEvent`
and a frame that cannot be read becomes `ProtocolError`: decoding never raises.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from agentkit.protocol._base import WireModel
from agentkit.protocol.items import ContentPart, Item
from agentkit.protocol.session_config import ErrorDetail, RateLimit, Response, SessionConfig


class ServerEvent(WireModel):
    kind: ClassVar[str] = ""
    event_id: str | None = None


# --- session and errors -------------------------------------------------------------------------


class ErrorEvent(ServerEvent):
    kind: ClassVar[str] = "error"
    error: ErrorDetail = Field(default_factory=ErrorDetail)


class SessionCreated(ServerEvent):
    kind: ClassVar[str] = "session.created"
    session: SessionConfig = Field(default_factory=SessionConfig)


class SessionUpdated(ServerEvent):
    kind: ClassVar[str] = "session.updated"
    session: SessionConfig = Field(default_factory=SessionConfig)


class RateLimitsUpdated(ServerEvent):
    kind: ClassVar[str] = "rate_limits.updated"
    rate_limits: list[RateLimit] = Field(default_factory=list)


# --- conversation -------------------------------------------------------------------------------


class ConversationCreated(ServerEvent):
    kind: ClassVar[str] = "conversation.created"
    conversation: dict[str, Any] = Field(default_factory=dict)


class ConversationItemAdded(ServerEvent):
    """An item entered the conversation (preview: `conversation.item.created`)."""

    kind: ClassVar[str] = "conversation.item.added"
    previous_item_id: str | None = None
    item: Item


class ConversationItemCreated(ConversationItemAdded):
    """GA's own `conversation.item.created` (the SDK still lists it beside `.added`).

    A subclass, so code that handles "an item entered the conversation" takes both; a server or the
    relay that forwards it keeps the name it arrived with. In the preview dialect this wire name is
    `ConversationItemAdded`, so there is no such separate event there.
    """

    kind: ClassVar[str] = "conversation.item.created"


class ConversationItemDone(ServerEvent):
    """GA only: the item is complete (its final content)."""

    kind: ClassVar[str] = "conversation.item.done"
    previous_item_id: str | None = None
    item: Item


class ConversationItemRetrieved(ServerEvent):
    kind: ClassVar[str] = "conversation.item.retrieved"
    item: Item


class ConversationItemDeleted(ServerEvent):
    kind: ClassVar[str] = "conversation.item.deleted"
    item_id: str = ""


class ConversationItemTruncated(ServerEvent):
    kind: ClassVar[str] = "conversation.item.truncated"
    item_id: str = ""
    content_index: int = 0
    audio_end_ms: int = 0


class InputAudioTranscriptionDelta(ServerEvent):
    kind: ClassVar[str] = "conversation.item.input_audio_transcription.delta"
    item_id: str = ""
    content_index: int | None = None
    delta: str = ""
    logprobs: list[dict[str, Any]] | None = None


class InputAudioTranscriptionUpdated(ServerEvent):
    """xAI's cumulative partial transcript of the user's audio (the whole text so far, not a delta)."""

    kind: ClassVar[str] = "conversation.item.input_audio_transcription.updated"
    item_id: str = ""
    content_index: int | None = None
    transcript: str = ""


class InputAudioTranscriptionCompleted(ServerEvent):
    kind: ClassVar[str] = "conversation.item.input_audio_transcription.completed"
    item_id: str = ""
    content_index: int = 0
    transcript: str = ""
    usage: dict[str, Any] | None = None
    """`{"type": "tokens", ...}` or `{"type": "duration", "seconds": ...}`; GA servers always send it."""
    logprobs: list[dict[str, Any]] | None = None
    languages: list[Any] | None = None
    """GA only: the languages detected in the audio."""


class InputAudioTranscriptionFailed(ServerEvent):
    kind: ClassVar[str] = "conversation.item.input_audio_transcription.failed"
    item_id: str = ""
    content_index: int = 0
    error: ErrorDetail = Field(default_factory=ErrorDetail)


class InputAudioTranscriptionSegment(ServerEvent):
    kind: ClassVar[str] = "conversation.item.input_audio_transcription.segment"
    item_id: str = ""
    content_index: int = 0
    id: str = ""
    start: float = 0.0
    end: float = 0.0
    speaker: str = ""
    text: str = ""


# --- input audio buffer -------------------------------------------------------------------------


class InputAudioBufferCommitted(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.committed"
    previous_item_id: str | None = None
    item_id: str = ""


class InputAudioBufferCleared(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.cleared"


class InputAudioBufferSpeechStarted(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.speech_started"
    audio_start_ms: int = 0
    item_id: str = ""


class InputAudioBufferSpeechStopped(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.speech_stopped"
    audio_end_ms: int = 0
    item_id: str = ""


class InputAudioBufferTimeoutTriggered(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.timeout_triggered"
    audio_start_ms: int = 0
    audio_end_ms: int = 0
    item_id: str = ""


class InputAudioBufferDtmfEventReceived(ServerEvent):
    kind: ClassVar[str] = "input_audio_buffer.dtmf_event_received"
    event: str = ""
    received_at: int = 0


class OutputAudioBufferStarted(ServerEvent):
    kind: ClassVar[str] = "output_audio_buffer.started"
    response_id: str = ""


class OutputAudioBufferStopped(ServerEvent):
    kind: ClassVar[str] = "output_audio_buffer.stopped"
    response_id: str = ""


class OutputAudioBufferCleared(ServerEvent):
    kind: ClassVar[str] = "output_audio_buffer.cleared"
    response_id: str = ""


# --- responses ----------------------------------------------------------------------------------


class ResponseCreated(ServerEvent):
    kind: ClassVar[str] = "response.created"
    response: Response = Field(default_factory=Response)


class ResponseDone(ServerEvent):
    kind: ClassVar[str] = "response.done"
    response: Response = Field(default_factory=Response)


class _InResponse(ServerEvent):
    response_id: str = ""
    output_index: int = 0


class ResponseOutputItemAdded(_InResponse):
    kind: ClassVar[str] = "response.output_item.added"
    item: Item


class ResponseOutputItemDone(_InResponse):
    kind: ClassVar[str] = "response.output_item.done"
    item: Item


class _InContent(_InResponse):
    item_id: str = ""
    content_index: int = 0


_PART = AliasChoices("part", "content")
"""Azure has been seen to name the part `content`; accept both."""


class ResponseContentPartAdded(_InContent):
    kind: ClassVar[str] = "response.content_part.added"
    part: ContentPart | None = Field(default=None, validation_alias=_PART)


class ResponseContentPartDone(_InContent):
    kind: ClassVar[str] = "response.content_part.done"
    part: ContentPart | None = Field(default=None, validation_alias=_PART)


class ResponseTextDelta(_InContent):
    kind: ClassVar[str] = "response.output_text.delta"
    delta: str = ""


class ResponseTextDone(_InContent):
    kind: ClassVar[str] = "response.output_text.done"
    text: str = ""


class ResponseAudioDelta(_InContent):
    kind: ClassVar[str] = "response.output_audio.delta"
    delta: str = ""
    """Base64 audio in the session's output format."""

    @property
    def audio_bytes(self) -> bytes:
        return base64.b64decode(self.delta)


class ResponseAudioDone(_InContent):
    kind: ClassVar[str] = "response.output_audio.done"


class ResponseAudioTranscriptDelta(_InContent):
    kind: ClassVar[str] = "response.output_audio_transcript.delta"
    delta: str = ""


class ResponseAudioTranscriptDone(_InContent):
    kind: ClassVar[str] = "response.output_audio_transcript.done"
    transcript: str = ""


class ResponseFunctionCallArgumentsDelta(_InResponse):
    kind: ClassVar[str] = "response.function_call_arguments.delta"
    item_id: str = ""
    call_id: str = ""
    delta: str = ""


class ResponseFunctionCallArgumentsDone(_InResponse):
    kind: ClassVar[str] = "response.function_call_arguments.done"
    item_id: str = ""
    call_id: str = ""
    arguments: str = ""
    name: str | None = None
    """GA only; the preview dialect leaves it out (look it up from the output item)."""


# --- GA MCP events (typed so they are recognised; agentkit's own tools never produce them) ------


class ResponseMcpCallArgumentsDelta(_InResponse):
    kind: ClassVar[str] = "response.mcp_call_arguments.delta"
    item_id: str = ""
    delta: str = ""


class ResponseMcpCallArgumentsDone(_InResponse):
    kind: ClassVar[str] = "response.mcp_call_arguments.done"
    item_id: str = ""
    arguments: str = ""


class ResponseMcpCallInProgress(ServerEvent):
    kind: ClassVar[str] = "response.mcp_call.in_progress"
    item_id: str = ""
    output_index: int = 0


class ResponseMcpCallCompleted(ServerEvent):
    kind: ClassVar[str] = "response.mcp_call.completed"
    item_id: str = ""
    output_index: int = 0


class ResponseMcpCallFailed(ServerEvent):
    kind: ClassVar[str] = "response.mcp_call.failed"
    item_id: str = ""
    output_index: int = 0


class McpListToolsInProgress(ServerEvent):
    kind: ClassVar[str] = "mcp_list_tools.in_progress"
    item_id: str = ""


class McpListToolsCompleted(ServerEvent):
    kind: ClassVar[str] = "mcp_list_tools.completed"
    item_id: str = ""


class McpListToolsFailed(ServerEvent):
    kind: ClassVar[str] = "mcp_list_tools.failed"
    item_id: str = ""


class WarningDetail(WireModel):
    message: str = ""
    code: str | None = None
    param: str | None = None


class WarningEvent(ServerEvent):
    """Voice Live: something was not as asked but the session goes on (e.g. a setting ignored)."""

    kind: ClassVar[str] = "warning"
    warning: WarningDetail = Field(default_factory=WarningDetail)


class Ping(ServerEvent):
    """A keep-alive some OpenAI-compatible servers (xAI) send; it carries nothing to act on."""

    kind: ClassVar[str] = "ping"


# --- what is not a known event ------------------------------------------------------------------


class UnknownEvent(ServerEvent):
    """A well-formed frame of a type this version does not know, passed through whole."""

    kind: ClassVar[str] = "unknown"
    type: str = ""
    raw: dict[str, Any] = Field(default_factory=dict)


class ProtocolError(ServerEvent):
    """A frame that could not be read: not JSON, not an object, or a known type with bad fields.

    Returned by the decoders instead of raising, so a caller can log it and go on.
    """

    kind: ClassVar[str] = "protocol_error"
    message: str = ""
    type: str | None = None
    """The frame's `type`, when it had one."""
    frame: str = ""
    """The start of the offending frame (at most 200 characters) for the log."""


SERVER_EVENTS: tuple[type[ServerEvent], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type)
    and issubclass(cls, ServerEvent)
    and cls.kind
    and cls not in (UnknownEvent, ProtocolError)
)
"""Every known canonical server event class."""
