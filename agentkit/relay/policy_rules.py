"""The relay policy's rules as data: what a browser may send and what it may see.

This module holds values only. The checks that read them live in `client_check` (client -> model)
and `server_view` (model -> client), and `policy.RelayPolicy` offers both as methods; so the rules
sit at the bottom and every check depends on them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

SERVER_OWNED_FIELDS: frozenset[str] = frozenset({"instructions", "tools", "tool_choice"})
"""Session and response fields that only the operator sets; no policy can hand them to a client."""

ForbiddenFieldAction = Literal["refuse", "strip"]
"""What to do with a not-allowed field in an allowed event: refuse the event, or drop the field."""

DEFAULT_CLIENT_EVENTS = frozenset(
    {
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.truncate",
        "response.create",
        "response.cancel",
    }
)
DEFAULT_SESSION_FIELDS = frozenset(
    {"voice", "turn_detection", "input_audio_format", "output_audio_format", "input_audio_transcription"}
)
DEFAULT_VISIBLE_SESSION_FIELDS = frozenset(
    {
        "type",
        "id",
        "voice",
        "speed",
        "output_modalities",
        "input_audio_format",
        "output_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
        "max_output_tokens",
        "expires_at",
    }
)


@dataclass(frozen=True)
class TurnDetectionLimits:
    """The voice-activity settings a client may choose, and their ranges (inclusive)."""

    types: frozenset[str] = frozenset({"server_vad", "semantic_vad"})
    threshold: tuple[float, float] = (0.0, 1.0)
    prefix_padding_ms: tuple[int, int] = (0, 1000)
    silence_duration_ms: tuple[int, int] = (200, 2000)
    eagerness: frozenset[str] = frozenset({"low", "medium", "high", "auto"})
    allow_manual: bool = False
    """Whether `turn_detection: null` (the client commits turns itself) is allowed."""

    def __post_init__(self) -> None:
        for name in ("threshold", "prefix_padding_ms", "silence_duration_ms"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"TurnDetectionLimits.{name}: the range {low}..{high} is empty")


@dataclass(frozen=True)
class PolicyRules:
    """The rules of a `RelayPolicy`, as plain data: what the checks read, nothing they do."""

    # -- client -> model ---------------------------------------------------------------------------
    allowed_events: frozenset[str] = DEFAULT_CLIENT_EVENTS
    allowed_session_fields: frozenset[str] = DEFAULT_SESSION_FIELDS
    allowed_transcription_fields: frozenset[str] = frozenset({"language"})
    turn_detection: TurnDetectionLimits = field(default_factory=TurnDetectionLimits)
    allowed_voices: frozenset[str] | None = None
    """Voice names a client may pick; `None` allows any name (the service rejects unknown ones)."""
    allowed_audio_formats: frozenset[str] = frozenset({"pcm16", "g711_ulaw", "g711_alaw"})
    allowed_response_fields: frozenset[str] = frozenset({"output_modalities"})
    """`response.create` overrides a client may send; by default only text-or-audio output."""
    allowed_roles: frozenset[str] = frozenset({"user"})
    allowed_content_types: frozenset[str] = frozenset({"input_text", "input_audio"})
    max_append_bytes: int = 64 * 1024
    """Largest decoded audio in one append (64 KiB is 1.3 s of 24 kHz PCM16)."""
    max_text_chars: int = 4000
    """Longest text (typed text plus transcripts) in one client-created message."""
    max_frame_chars: int = 256 * 1024
    forbidden_fields: ForbiddenFieldAction = "refuse"

    # -- model -> client ---------------------------------------------------------------------------
    visible_session_fields: frozenset[str] = DEFAULT_VISIBLE_SESSION_FIELDS
    visible_roles: frozenset[str] = frozenset({"user", "assistant"})
    """Roles of conversation items a client sees; function calls and their outputs are never shown."""
    tool_notices: bool = False
    """Send `agentkit.tool_activity` notices while tools run."""
    tool_labels: Mapping[str, str] = field(default_factory=dict)
    """Tool name -> what the page shows ("Looking up your order")."""
    default_tool_label: str | None = None
    """Label for tools missing from `tool_labels`; `None` shows the tool's name."""
    show_rate_limits: bool = False
    """Forward `rate_limits.updated`: the operator's account-wide quota, which also tells one client
    how much everybody else is using; hidden unless a page really needs it."""

    def __post_init__(self) -> None:
        for name in ("allowed_session_fields", "allowed_response_fields", "visible_session_fields"):
            owned = SERVER_OWNED_FIELDS & getattr(self, name)
            if owned:
                raise ValueError(f"{type(self).__name__}.{name} cannot include server-owned {sorted(owned)}")
        for name in ("max_append_bytes", "max_text_chars", "max_frame_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{type(self).__name__}.{name} must be positive")
        if self.forbidden_fields not in ("refuse", "strip"):
            raise ValueError(f"{type(self).__name__}.forbidden_fields must be 'refuse' or 'strip'")
