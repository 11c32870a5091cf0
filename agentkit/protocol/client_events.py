"""Canonical client events: what a client (or the relay's browser) sends to a Realtime server.

Always give an `event_id` (the helpers in `agentkit.protocol.ids` make one): the server echoes it
in `error.event_id`, which is how a client knows which of its requests failed.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from pydantic import Field

from agentkit.protocol._base import WireModel
from agentkit.protocol.items import Item
from agentkit.protocol.session_config import ResponseParams, SessionConfig


class ClientEvent(WireModel):
    kind: ClassVar[str] = ""
    event_id: str | None = None


class SessionUpdate(ClientEvent):
    """Partial update of the session; `session.type="transcription"` is a transcription session."""

    kind: ClassVar[str] = "session.update"
    session: SessionConfig = Field(default_factory=SessionConfig)


class InputAudioBufferAppend(ClientEvent):
    kind: ClassVar[str] = "input_audio_buffer.append"
    audio: str = ""
    """Base64 audio in the session's input format; at most 15 MiB per event."""

    @classmethod
    def from_bytes(cls, data: bytes, event_id: str | None = None) -> InputAudioBufferAppend:
        return cls(audio=base64.b64encode(data).decode("ascii"), event_id=event_id)

    @property
    def audio_bytes(self) -> bytes:
        return base64.b64decode(self.audio)


class InputAudioBufferCommit(ClientEvent):
    kind: ClassVar[str] = "input_audio_buffer.commit"


class InputAudioBufferClear(ClientEvent):
    kind: ClassVar[str] = "input_audio_buffer.clear"


class OutputAudioBufferClear(ClientEvent):
    """WebRTC / SIP only; WebSocket servers reject it."""

    kind: ClassVar[str] = "output_audio_buffer.clear"


class ConversationItemCreate(ClientEvent):
    kind: ClassVar[str] = "conversation.item.create"
    item: Item
    previous_item_id: str | None = None
    """`"root"` inserts at the start; `None` appends."""


class ConversationItemRetrieve(ClientEvent):
    kind: ClassVar[str] = "conversation.item.retrieve"
    item_id: str = ""


class ConversationItemTruncate(ClientEvent):
    kind: ClassVar[str] = "conversation.item.truncate"
    item_id: str = ""
    content_index: int = 0
    audio_end_ms: int = 0


class ConversationItemDelete(ClientEvent):
    kind: ClassVar[str] = "conversation.item.delete"
    item_id: str = ""


class ResponseCreate(ClientEvent):
    kind: ClassVar[str] = "response.create"
    response: ResponseParams | None = None


class ResponseCancel(ClientEvent):
    kind: ClassVar[str] = "response.cancel"
    response_id: str | None = None


class UnknownClientEvent(ClientEvent):
    """A client event of a type this version does not know (a server answers it with an error)."""

    kind: ClassVar[str] = "unknown"
    type: str = ""
    raw: dict[str, Any] = Field(default_factory=dict)


CLIENT_EVENTS: tuple[type[ClientEvent], ...] = (
    SessionUpdate,
    InputAudioBufferAppend,
    InputAudioBufferCommit,
    InputAudioBufferClear,
    OutputAudioBufferClear,
    ConversationItemCreate,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    ConversationItemDelete,
    ResponseCreate,
    ResponseCancel,
)
"""Every known canonical client event class of OpenAI's Realtime API."""


# --- Azure Voice Live's own -----------------------------------------------------------------------


class InputAudioTurnStart(ClientEvent):
    """Voice Live: the client marks a user turn itself (push-to-talk), `turn_id` names it."""

    kind: ClassVar[str] = "input_audio.turn.start"
    turn_id: str = ""


class InputAudioTurnAppend(ClientEvent):
    kind: ClassVar[str] = "input_audio.turn.append"
    turn_id: str = ""
    audio: str = ""
    """Base64 audio in the session's input format."""


class InputAudioTurnEnd(ClientEvent):
    kind: ClassVar[str] = "input_audio.turn.end"
    turn_id: str = ""


class InputAudioTurnCancel(ClientEvent):
    kind: ClassVar[str] = "input_audio.turn.cancel"
    turn_id: str = ""


class InputAudioClear(ClientEvent):
    kind: ClassVar[str] = "input_audio.clear"


VOICE_LIVE_CLIENT_EVENTS: tuple[type[ClientEvent], ...] = (
    InputAudioTurnStart,
    InputAudioTurnAppend,
    InputAudioTurnEnd,
    InputAudioTurnCancel,
    InputAudioClear,
)
"""Client events only Voice Live takes (the codec refuses them for the other dialects)."""
