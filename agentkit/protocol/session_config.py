"""Session and response configuration in canonical form.

Canonical = the flat shape of the preview `session` with GA's vocabulary:
`output_modalities` is `["audio"]` or `["text"]` (audio always brings a transcript), audio formats
are the short names `pcm16`, `g711_ulaw`, `g711_alaw`, and the output token cap is
`max_output_tokens`. The codecs map this to the preview's flat session or GA's nested
`audio.input` / `audio.output`. Every field is optional and `session.update` is partial: only the
fields that were *set* go on the wire (an explicit `turn_detection=None` means manual turns).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from agentkit.protocol._base import WireModel
from agentkit.protocol.items import Item

AudioFormat = str
"""`pcm16` (16-bit little-endian mono at 24 kHz), `g711_ulaw` or `g711_alaw` (8 kHz)."""

PCM16: AudioFormat = "pcm16"
G711_ULAW: AudioFormat = "g711_ulaw"
G711_ALAW: AudioFormat = "g711_alaw"


class TurnDetection(WireModel):
    """Server or semantic voice activity detection; `None` in a session means manual turns."""

    type: str | None = "server_vad"
    """`server_vad` or `semantic_vad` (some OpenAI-compatible servers report `null`)."""
    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None
    eagerness: str | None = None
    idle_timeout_ms: int | None = None
    end_of_utterance_detection: dict[str, Any] | None = None
    """Voice Live only, like `remove_filler_words`, `languages` and `auto_truncate` (its
    `azure_semantic_vad` types): `{"model": "semantic_detection_v1", ...}`."""
    remove_filler_words: bool | None = None
    languages: list[str] | None = None
    auto_truncate: bool | None = None


class InputTranscription(WireModel):
    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    languages: list[str] | None = None
    """GA only, like `keywords` and `delay`: the preview codec leaves them out."""
    keywords: list[str] | None = None
    delay: str | None = None


class NoiseReduction(WireModel):
    type: str | None = None
    strength: float | None = None


class SessionConfig(WireModel):
    """What a `session.update` sets and what `session.created` / `session.updated` report."""

    type: str | None = None
    """`realtime` or `transcription` (GA's discriminator; the codec fills in `realtime`)."""
    id: str | None = None
    model: str | None = None
    instructions: str | None = None
    voice: str | dict[str, Any] | None = None
    speed: float | None = None
    output_modalities: list[str] | None = None
    input_audio_format: AudioFormat | None = None
    output_audio_format: AudioFormat | None = None
    input_audio_transcription: InputTranscription | None = None
    input_audio_noise_reduction: NoiseReduction | None = None
    turn_detection: TurnDetection | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    temperature: float | None = None
    """Preview only: the GA codec drops it (GA rejects it as an unknown parameter)."""
    max_output_tokens: int | Literal["inf"] | None = None
    parallel_tool_calls: bool | None = None
    tracing: Any = None
    truncation: Any = None
    include: list[str] | None = None
    prompt: Any = None
    reasoning: dict[str, Any] | None = None
    """GA only (reasoning models such as gpt-realtime-2): `{"effort": ...}`."""
    expires_at: int | None = None
    input_audio_sampling_rate: int | None = None
    """Voice Live only, like the fields below: 16000 or 24000 for `pcm16` input."""
    input_audio_echo_cancellation: dict[str, Any] | None = None
    """Voice Live: `{"type": "server_echo_cancellation"}`."""
    interim_response: dict[str, Any] | None = None
    """Voice Live: what to say while a tool runs or the model is slow, e.g.
    `{"type": "static_interim_response", "triggers": ["tool"], "texts": ["One moment."]}`."""
    output_audio_timestamp_types: list[str] | None = None
    animation: dict[str, Any] | None = None
    avatar: dict[str, Any] | None = None
    extras: dict[str, Any] | None = None
    """Service-specific settings sent as given, merged into the wire session last (agentkit does not
    check them: the service does). Never filled from a server's session."""

    def set_fields(self) -> dict[str, Any]:
        """The fields that were set (the content of a partial update), as plain JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)


class ResponseParams(WireModel):
    """Per-response overrides sent with `response.create`."""

    output_modalities: list[str] | None = None
    instructions: str | None = None
    voice: str | dict[str, Any] | None = None
    output_audio_format: AudioFormat | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    temperature: float | None = None
    max_output_tokens: int | Literal["inf"] | None = None
    conversation: str | None = None
    """`auto` (default conversation) or `none` (out-of-band response)."""
    metadata: dict[str, Any] | None = None
    input: list[dict[str, Any]] | None = None
    """Items or `{"type": "item_reference", "id": ...}` entries, passed through as JSON."""
    parallel_tool_calls: bool | None = None
    """GA only, like `prompt` and `reasoning`: the preview codec leaves them out."""
    prompt: Any = None
    reasoning: dict[str, Any] | None = None


class TokenDetails(WireModel):
    text_tokens: int | None = None
    audio_tokens: int | None = None
    image_tokens: int | None = None
    cached_tokens: int | None = None
    cached_tokens_details: TokenDetails | None = None
    """GA: how the cached input tokens split into text, audio and image."""


class Usage(WireModel):
    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_token_details: TokenDetails | None = None
    output_token_details: TokenDetails | None = None


class ErrorDetail(WireModel):
    type: str = "error"
    code: str | None = None
    message: str = ""
    param: str | None = None
    event_id: str | None = None
    """The `event_id` of the client event that caused the error, when the server knows it."""


class StatusDetails(WireModel):
    type: str | None = None
    reason: str | None = None
    error: ErrorDetail | None = None


class RateLimit(WireModel):
    name: str | None = None
    """`requests` or `tokens`; absent when a server does not say (never sent back as an empty name)."""
    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


class Response(WireModel):
    """The `response` object of `response.created` / `response.done`."""

    id: str = ""
    status: str = "in_progress"
    """`in_progress`, `completed`, `cancelled`, `incomplete` or `failed`."""
    status_details: StatusDetails | None = None
    output: list[Item] = Field(default_factory=list)
    usage: Usage | None = None
    conversation_id: str | None = None
    metadata: dict[str, Any] | None = None
    output_modalities: list[str] | None = None
    max_output_tokens: int | Literal["inf"] | None = None
    voice: str | dict[str, Any] | None = None
    output_audio_format: AudioFormat | None = None

    @field_validator("status_details", mode="before")
    @classmethod
    def _drop_malformed_status_details(cls, value: Any) -> Any:
        # Some OpenAI-compatible servers send a placeholder string here; it carries nothing.
        return value if value is None or isinstance(value, (dict, StatusDetails)) else None
