"""Conversation items and their content parts, in canonical (dialect-free) form.

Content part types are canonical GA spellings (`output_text`, `output_audio`); the preview
spellings (`text`, `audio`) are accepted on input and produced by the preview codec.
Unknown item and part types are kept whole as `UnknownItem` / `UnknownPart`, never rejected.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from agentkit.protocol._base import WireModel

_PART_ALIASES = {"text": "output_text", "audio": "output_audio"}


class InputTextPart(WireModel):
    type: Literal["input_text"] = "input_text"
    text: str = ""


class InputAudioPart(WireModel):
    type: Literal["input_audio"] = "input_audio"
    audio: str | None = None
    """Base64 PCM16 (or G.711), kept as text until `audio_bytes` is asked for."""
    transcript: str | None = None

    @property
    def audio_bytes(self) -> bytes:
        return base64.b64decode(self.audio) if self.audio else b""


class InputImagePart(WireModel):
    type: Literal["input_image"] = "input_image"
    image_url: str | None = None
    detail: str | None = None


def _canonical_part_type(value: Any) -> Any:
    return _PART_ALIASES.get(value, value)


class OutputTextPart(WireModel):
    type: Literal["output_text"] = "output_text"
    text: str = ""

    _accept_preview_type = field_validator("type", mode="before")(_canonical_part_type)


class OutputAudioPart(WireModel):
    type: Literal["output_audio"] = "output_audio"
    audio: str | None = None
    transcript: str | None = None

    _accept_preview_type = field_validator("type", mode="before")(_canonical_part_type)


class ItemReferencePart(WireModel):
    type: Literal["item_reference"] = "item_reference"
    id: str | None = None


class UnknownPart(WireModel):
    """A content part of a type this version does not know; `raw` keeps it whole."""

    type: str = "unknown"
    raw: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keep_raw(cls, value: Any) -> Any:
        if isinstance(value, dict) and "raw" not in value:
            return {"type": str(value.get("type")), "raw": value}
        return value


_KNOWN_PARTS = {"input_text", "input_audio", "input_image", "output_text", "output_audio", "item_reference"}


def _part_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return "unknown"
    kind = _PART_ALIASES.get(kind, kind)
    return kind if kind in _KNOWN_PARTS else "unknown"


ContentPart = Annotated[
    Annotated[InputTextPart, Tag("input_text")]
    | Annotated[InputAudioPart, Tag("input_audio")]
    | Annotated[InputImagePart, Tag("input_image")]
    | Annotated[OutputTextPart, Tag("output_text")]
    | Annotated[OutputAudioPart, Tag("output_audio")]
    | Annotated[ItemReferencePart, Tag("item_reference")]
    | Annotated[UnknownPart, Tag("unknown")],
    Discriminator(_part_tag),
]


class MessageItem(WireModel):
    type: Literal["message"] = "message"
    id: str | None = None
    role: str = "user"
    """`user`, `assistant` or `system` (kept as text: never reject a role a server adds)."""
    content: list[ContentPart] = Field(default_factory=list)
    status: str | None = None

    @property
    def text(self) -> str:
        """All text of the message: typed text, and transcripts of audio."""
        chunks: list[str] = []
        for part in self.content:
            if isinstance(part, (InputTextPart, OutputTextPart)):
                chunks.append(part.text)
            elif isinstance(part, (InputAudioPart, OutputAudioPart)) and part.transcript:
                chunks.append(part.transcript)
        return "".join(chunks)


class FunctionCallItem(WireModel):
    type: Literal["function_call"] = "function_call"
    id: str | None = None
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    """The JSON arguments as a string, exactly as the model produced them."""
    status: str | None = None


class FunctionCallOutputItem(WireModel):
    type: Literal["function_call_output"] = "function_call_output"
    id: str | None = None
    call_id: str = ""
    output: str = ""
    status: str | None = None


class UnknownItem(WireModel):
    """An item of a type this version does not know (e.g. GA MCP items); `raw` keeps it whole."""

    type: str = "unknown"
    id: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keep_raw(cls, value: Any) -> Any:
        if isinstance(value, dict) and "raw" not in value:
            item_id = value.get("id")
            return {
                "type": str(value.get("type")),
                "id": item_id if isinstance(item_id, str) else None,
                "raw": value,
            }
        return value


_KNOWN_ITEMS = {"message", "function_call", "function_call_output"}


def _item_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _KNOWN_ITEMS else "unknown"


Item = Annotated[
    Annotated[MessageItem, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[UnknownItem, Tag("unknown")],
    Discriminator(_item_tag),
]


def user_text(text: str) -> MessageItem:
    return MessageItem(role="user", content=[InputTextPart(text=text)])


def system_text(text: str) -> MessageItem:
    return MessageItem(role="system", content=[InputTextPart(text=text)])


def assistant_text(text: str) -> MessageItem:
    return MessageItem(role="assistant", content=[OutputTextPart(text=text)])
