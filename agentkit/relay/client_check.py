"""Client -> model: each client event is forwarded as allowed, reduced to allowed fields, or refused.

Pure functions over `PolicyRules`; no state, no I/O. Refusal reasons name the broken rule and the
field, never the refused content.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from typing import Any

from agentkit.protocol import (
    CLIENT_EVENTS,
    ClientEvent,
    Codec,
    ConversationItemCreate,
    ConversationItemTruncate,
    Dialect,
    InputAudioBufferAppend,
    InputAudioPart,
    InputTextPart,
    MessageItem,
    ProtocolError,
    ResponseCancel,
    ResponseCreate,
    ResponseParams,
    SessionConfig,
    SessionUpdate,
    UnknownClientEvent,
)
from agentkit.relay.policy_rules import PolicyRules
from agentkit.relay.refusal import Refusal

MAX_ID_CHARS = 128
"""Longest `event_id`, item id or response id a client may send."""
MAX_INTEGER = 2**53 - 1
"""Largest integer (either sign) a client frame may hold anywhere: JavaScript's exact range, far past
any real count, index or duration, and small enough that no number costs the relay real work."""
_MAX_ECHO = 64
_KNOWN_EVENT_TYPES = frozenset(
    {cls.kind for cls in CLIENT_EVENTS} | {"transcription_session.update", "transcription_session.updated"}
)
_GA = Codec(Dialect.GA)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}")
_TURN_FIELDS = frozenset({"type", "threshold", "prefix_padding_ms", "silence_duration_ms", "eagerness"})
_MODALITIES = ({"audio"}, {"text"})


class _Refused(Exception):
    """Internal: unwinds a check with its refusal."""

    def __init__(self, reason: str, param: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.param = param


_KNOWN_NAMES = frozenset(
    {
        *("user", "assistant", "system", "developer", "tool"),
        *("message", "function_call", "function_call_output", "mcp_call", "mcp_list_tools"),
        *("mcp_approval_request", "mcp_approval_response", "item_reference"),
        *("input_text", "input_audio", "input_image", "output_text", "output_audio", "text", "audio"),
    }
)


def _event_type(value: str) -> str:
    """An event type for a refusal message: protocol event names are quoted, anything else is not."""
    return value if value in _KNOWN_EVENT_TYPES else "unknown"


class _Unacceptable(ValueError):
    """Internal: a JSON number or constant no client frame may hold."""


def _bounded_int(digits: str) -> int:
    # Checked on the digits, before Python converts them: a 4,000-digit number costs nothing here.
    if len(digits.lstrip("-")) > len(str(MAX_INTEGER)) or abs(number := int(digits)) > MAX_INTEGER:
        raise _Unacceptable(f"integers must be within ±{MAX_INTEGER}")
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Unacceptable("numbers must be finite")
    return number


def _no_constant(name: str) -> float:
    raise _Unacceptable(f"{name} is not a JSON number")


def _name(value: str) -> str:
    """A role or type for a refusal message: protocol names are quoted, anything else is not echoed."""
    return value if value in _KNOWN_NAMES else "unknown"


def check_client_frame(policy: PolicyRules, frame: str | bytes) -> ClientEvent | Refusal:
    if len(frame) > policy.max_frame_chars:
        return Refusal("unknown", f"frame is larger than {policy.max_frame_chars} characters")
    try:
        data = json.loads(
            frame, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except _Unacceptable as unacceptable:
        return Refusal("unknown", str(unacceptable))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Refusal("unknown", "frame is not valid JSON")
    if not isinstance(data, dict):
        return Refusal("unknown", "frame is not a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        return Refusal("unknown", "frame has no string `type`", param="type")
    raw_id = data.get("event_id")
    client_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= MAX_ID_CHARS else None
    event = _GA.client_event_from_dict(data, frame)
    if isinstance(event, ProtocolError):
        return Refusal(_event_type(kind), event.message, client_id)
    return check_client_event(policy, event)


def check_client_event(policy: PolicyRules, event: ClientEvent) -> ClientEvent | Refusal:
    kind = _event_type(event.type) if isinstance(event, UnknownClientEvent) else event.kind
    if event.event_id is not None and len(event.event_id) > MAX_ID_CHARS:
        return Refusal(kind, f"event_id is longer than {MAX_ID_CHARS} characters", param="event_id")
    if isinstance(event, UnknownClientEvent):
        return Refusal(kind, "unknown event type", event.event_id, "type")
    if kind not in policy.allowed_events:
        return Refusal(kind, "the client may not send this event type", event.event_id, "type")
    check = _CHECKS.get(type(event))
    try:
        return check(policy, event) if check else event
    except _Refused as refused:
        return Refusal(kind, refused.reason, event.event_id, refused.param)


class _Fields:
    """Collects the fields an event may not carry, then refuses or strips per the policy."""

    def __init__(self, policy: PolicyRules) -> None:
        self.policy = policy
        self.forbidden: list[str] = []

    def keep(self, values: dict[str, Any], allowed: frozenset[str], prefix: str) -> dict[str, Any]:
        kept = {}
        for name, value in values.items():
            if name in allowed:
                kept[name] = value
            else:
                self.forbidden.append(prefix + name)
        return kept

    def settle(self) -> None:
        if self.forbidden and self.policy.forbidden_fields == "refuse":
            many = "s" if len(self.forbidden) > 1 else ""
            raise _Refused(f"field{many} not allowed: {', '.join(self.forbidden)}", self.forbidden[0])


# -- session.update ------------------------------------------------------------------------------


def _check_session_update(policy: PolicyRules, event: SessionUpdate) -> SessionUpdate:
    values = event.session.set_fields()
    if values.pop("type", None) not in (None, "realtime"):
        raise _Refused("the session type cannot be changed", "session.type")
    fields = _Fields(policy)
    kept = fields.keep(values, policy.allowed_session_fields, "session.")
    if "turn_detection" in kept:
        kept["turn_detection"] = _check_turn_detection(policy, kept["turn_detection"], fields)
    if "input_audio_transcription" in kept:
        kept["input_audio_transcription"] = _check_transcription(
            policy, kept["input_audio_transcription"], fields
        )
    if "voice" in kept:
        _check_voice(policy, kept["voice"], "session.voice")
    for name in ("input_audio_format", "output_audio_format"):
        if name in kept and kept[name] not in policy.allowed_audio_formats:
            raise _Refused("audio format not allowed", f"session.{name}")
    fields.settle()
    if not kept:
        raise _Refused("the update has no field the client may change", "session")
    return SessionUpdate(event_id=event.event_id, session=SessionConfig.model_validate(kept))


def _check_turn_detection(policy: PolicyRules, value: Any, fields: _Fields) -> Any:
    limits = policy.turn_detection
    if value is None:
        if not limits.allow_manual:
            raise _Refused("turn detection cannot be turned off", "session.turn_detection")
        return None
    kept = fields.keep(value, _TURN_FIELDS, "session.turn_detection.")
    if "type" in kept and kept["type"] not in limits.types:
        raise _Refused("turn detection type not allowed", "session.turn_detection.type")
    if kept.get("eagerness") is not None and kept["eagerness"] not in limits.eagerness:
        raise _Refused("eagerness not allowed", "session.turn_detection.eagerness")
    for name in ("threshold", "prefix_padding_ms", "silence_duration_ms"):
        number = kept.get(name)
        low, high = getattr(limits, name)
        if number is not None and not low <= number <= high:
            raise _Refused(f"{name} must be within {low}..{high}", f"session.turn_detection.{name}")
    return kept


def _check_transcription(policy: PolicyRules, value: Any, fields: _Fields) -> Any:
    if value is None:
        raise _Refused("input transcription cannot be turned off", "session.input_audio_transcription")
    kept = fields.keep(value, policy.allowed_transcription_fields, "session.input_audio_transcription.")
    language = kept.get("language")
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise _Refused("language must be a language code", "session.input_audio_transcription.language")
    return kept


def _check_voice(policy: PolicyRules, voice: Any, param: str) -> None:
    if not isinstance(voice, str) or len(voice) > _MAX_ECHO:
        raise _Refused("voice must be a voice name", param)
    if policy.allowed_voices is not None and voice not in policy.allowed_voices:
        raise _Refused("voice not allowed", param)


# -- audio and items -----------------------------------------------------------------------------


def _check_base64_audio(policy: PolicyRules, audio: str | None, param: str) -> None:
    if not audio:
        raise _Refused("audio is empty", param)
    if len(audio) > (policy.max_append_bytes + 2) // 3 * 4:
        raise _Refused(f"audio is larger than {policy.max_append_bytes} bytes", param)
    try:
        base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused("audio is not valid base64", param) from None


def _check_append(policy: PolicyRules, event: InputAudioBufferAppend) -> InputAudioBufferAppend:
    _check_base64_audio(policy, event.audio, "audio")
    return event


def _check_item_create(policy: PolicyRules, event: ConversationItemCreate) -> ConversationItemCreate:
    item = event.item
    if not isinstance(item, MessageItem):
        raise _Refused(f"the client may not create {_name(item.type)} items", "item.type")
    if item.role not in policy.allowed_roles:
        raise _Refused(f"the client may not create {_name(item.role)} messages", "item.role")
    if item.id is not None and len(item.id) > MAX_ID_CHARS:
        raise _Refused(f"item.id is longer than {MAX_ID_CHARS} characters", "item.id")
    if not item.content:
        raise _Refused("the message has no content", "item.content")
    text_chars = 0
    for index, part in enumerate(item.content):
        where = f"item.content[{index}]"
        if part.type not in policy.allowed_content_types:
            raise _Refused(f"content of type {_name(part.type)} is not allowed", f"{where}.type")
        if isinstance(part, InputTextPart):
            text_chars += len(part.text)
        elif isinstance(part, InputAudioPart):
            text_chars += len(part.transcript or "")
            _check_base64_audio(policy, part.audio, f"{where}.audio")
    if text_chars > policy.max_text_chars:
        raise _Refused(f"the message is longer than {policy.max_text_chars} characters", "item.content")
    if event.previous_item_id is None:
        return event
    fields = _Fields(policy)
    fields.forbidden.append("previous_item_id")
    fields.settle()
    return ConversationItemCreate(event_id=event.event_id, item=item)


def _check_truncate(policy: PolicyRules, event: ConversationItemTruncate) -> ConversationItemTruncate:
    if not event.item_id or len(event.item_id) > MAX_ID_CHARS:
        raise _Refused("item_id must name an item", "item_id")
    if event.content_index < 0:
        raise _Refused("content_index cannot be negative", "content_index")
    if event.audio_end_ms < 0:
        raise _Refused("audio_end_ms cannot be negative", "audio_end_ms")
    return event


# -- responses -----------------------------------------------------------------------------------


def _check_response_create(policy: PolicyRules, event: ResponseCreate) -> ResponseCreate:
    if event.response is None:
        return event
    values = {k: v for k, v in event.response.model_dump(exclude_unset=True).items() if v is not None}
    fields = _Fields(policy)
    kept = fields.keep(values, policy.allowed_response_fields, "response.")
    modalities = kept.get("output_modalities")
    if modalities is not None and set(modalities) not in _MODALITIES:
        raise _Refused('output_modalities must be ["audio"] or ["text"]', "response.output_modalities")
    if "voice" in kept:
        _check_voice(policy, kept["voice"], "response.voice")
    if "output_audio_format" in kept and kept["output_audio_format"] not in policy.allowed_audio_formats:
        raise _Refused("audio format not allowed", "response.output_audio_format")
    tokens = kept.get("max_output_tokens")
    if tokens is not None and tokens != "inf" and not 1 <= tokens <= 4096:
        raise _Refused("max_output_tokens must be within 1..4096", "response.max_output_tokens")
    fields.settle()
    params = ResponseParams.model_validate(kept) if kept else None
    return ResponseCreate(event_id=event.event_id, response=params)


def _check_cancel(policy: PolicyRules, event: ResponseCancel) -> ResponseCancel:
    if event.response_id is not None and len(event.response_id) > MAX_ID_CHARS:
        raise _Refused(f"response_id is longer than {MAX_ID_CHARS} characters", "response_id")
    return event


_CHECKS: dict[type[ClientEvent], Callable[[PolicyRules, Any], ClientEvent]] = {
    SessionUpdate: _check_session_update,
    InputAudioBufferAppend: _check_append,
    ConversationItemCreate: _check_item_create,
    ConversationItemTruncate: _check_truncate,
    ResponseCreate: _check_response_create,
    ResponseCancel: _check_cancel,
}
