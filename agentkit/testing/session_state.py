"""The effective session configuration of one connection: the defaults a real service starts with,
and `session.update` applied as the partial update it is, with the service's validation errors."""

from __future__ import annotations

import time
from typing import Any

from agentkit.protocol import Dialect, SessionConfig, TurnDetection, new_id
from agentkit.protocol.interim import interim_problem
from agentkit.testing.errors import ClientError, invalid_value, missing_parameter, unknown_parameter

DEFAULT_INSTRUCTIONS = "You are a helpful assistant running on agentkit's local Realtime server."
SESSION_LIFETIME_S = 30 * 60

_GA_KEYS = frozenset(
    {
        "type", "object", "id", "model", "instructions", "output_modalities", "audio", "tools",
        "tool_choice", "max_output_tokens", "tracing", "truncation", "prompt", "include",
        "parallel_tool_calls", "reasoning", "expires_at", "client_secret",
    }
)  # fmt: skip
_PREVIEW_KEYS = frozenset(
    {
        "object", "id", "model", "modalities", "instructions", "voice", "speed", "input_audio_format",
        "output_audio_format", "input_audio_transcription", "input_audio_noise_reduction",
        "turn_detection", "tools", "tool_choice", "temperature", "max_response_output_tokens",
        "tracing", "include", "expires_at", "client_secret",
    }
)  # fmt: skip
_VOICE_LIVE_KEYS = _PREVIEW_KEYS | {
    "input_audio_sampling_rate", "input_audio_echo_cancellation", "interim_response",
    "output_audio_timestamp_types", "animation", "avatar", "parallel_tool_calls", "reasoning_effort",
    "metadata",
}  # fmt: skip
_VOICE_LIVE_VAD = frozenset(
    {"azure_semantic_vad", "azure_semantic_vad_en", "azure_semantic_vad_multilingual"}
)
_SAMPLING_RATES = frozenset({16000, 24000})
_FORMATS = frozenset({"pcm16", "g711_ulaw", "g711_alaw"})
_TOOL_CHOICES = frozenset({"auto", "none", "required"})
_EAGERNESS = frozenset({"low", "medium", "high", "auto"})


def default_turn_detection(kind: str = "server_vad") -> TurnDetection:
    if kind == "semantic_vad":
        return TurnDetection(type=kind, eagerness="auto", create_response=True, interrupt_response=True)
    return TurnDetection(
        type="server_vad",
        threshold=0.5,
        prefix_padding_ms=300,
        silence_duration_ms=200,
        create_response=True,
        interrupt_response=True,
        idle_timeout_ms=None,
    )


def default_session(dialect: Dialect, model: str) -> SessionConfig:
    """What `session.created` reports on a fresh connection (every field set, so all are sent)."""
    session = SessionConfig(
        type="realtime",
        id=new_id("sess"),
        model=model,
        instructions=DEFAULT_INSTRUCTIONS,
        voice="alloy",
        speed=1.0,
        output_modalities=["audio"],
        input_audio_format="pcm16",
        output_audio_format="pcm16",
        input_audio_transcription=None,
        input_audio_noise_reduction=None,
        turn_detection=default_turn_detection(),
        tools=[],
        tool_choice="auto",
        max_output_tokens="inf",
        tracing=None,
        expires_at=int(time.time()) + SESSION_LIFETIME_S,
    )
    if dialect is Dialect.GA:
        return session.model_copy(update={"truncation": "auto", "prompt": None})
    if dialect is Dialect.VOICE_LIVE:
        voice = {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard"}
        return session.model_copy(
            update={"temperature": 0.8, "voice": voice, "input_audio_sampling_rate": 24000}
        )
    return session.model_copy(update={"temperature": 0.8})


def check_wire_session(raw: Any, dialect: Dialect, *, current_type: str | None) -> None:
    """Refuse what the service refuses before looking at values: unknown keys, a missing GA `type`."""
    if not isinstance(raw, dict):
        raise invalid_value("session", "Invalid value for 'session': expected an object.")
    allowed = {Dialect.GA: _GA_KEYS, Dialect.VOICE_LIVE: _VOICE_LIVE_KEYS}.get(dialect, _PREVIEW_KEYS)
    for key in raw:
        if key not in allowed:
            raise unknown_parameter(f"session.{key}")
    if dialect is Dialect.GA:
        if "type" not in raw:
            raise missing_parameter("session.type")
        if raw["type"] not in ("realtime", "transcription"):
            raise invalid_value("session.type", "Invalid value for 'session.type'.")
        if current_type is not None and raw["type"] != current_type:
            raise invalid_value("session.type", "The session type cannot be changed once created.")
        modalities = raw.get("output_modalities")
        if modalities is not None and modalities not in (["audio"], ["text"]):
            raise invalid_value("session.output_modalities", "Use ['audio'] or ['text'], not both.")
    else:
        modalities = raw.get("modalities")
        if modalities is not None and sorted(modalities) not in (["text"], ["audio", "text"]):
            raise invalid_value("session.modalities", "Use ['text'] or ['text', 'audio'].")


def _check_values(update: SessionConfig, dialect: Dialect) -> None:
    ga = dialect is Dialect.GA
    for name, wire in (
        ("input_audio_format", "session.audio.input.format" if ga else "session.input_audio_format"),
        ("output_audio_format", "session.audio.output.format" if ga else "session.output_audio_format"),
    ):
        value = getattr(update, name)
        if value is not None and value not in _FORMATS:
            raise invalid_value(wire, f"Invalid value for '{wire}': {value!r}.")
    detection = update.turn_detection
    where = "session.audio.input.turn_detection" if ga else "session.turn_detection"
    vad_types = {"server_vad", "semantic_vad"} | (_VOICE_LIVE_VAD if dialect is Dialect.VOICE_LIVE else set())
    if detection is not None:
        if detection.type not in vad_types:
            raise invalid_value(f"{where}.type", f"Invalid value: '{detection.type}'.")
        if detection.threshold is not None and not 0.0 <= detection.threshold <= 1.0:
            raise invalid_value(f"{where}.threshold", "The threshold must be between 0 and 1.")
        if detection.eagerness is not None and detection.eagerness not in _EAGERNESS:
            raise invalid_value(f"{where}.eagerness", f"Invalid value: '{detection.eagerness}'.")
    choice = update.tool_choice
    if isinstance(choice, str) and choice not in _TOOL_CHOICES:
        raise invalid_value("session.tool_choice", f"Invalid value: '{choice}'.")
    if isinstance(choice, dict) and choice.get("type") not in ("function", "mcp"):
        raise invalid_value("session.tool_choice.type", "Invalid tool choice.")
    for index, tool in enumerate(update.tools or []):
        if tool.get("type", "function") == "function" and not isinstance(tool.get("name"), str):
            raise missing_parameter(f"session.tools[{index}].name")
        if tool.get("type", "function") not in ("function", "mcp") or (not ga and tool.get("type") == "mcp"):
            raise invalid_value(f"session.tools[{index}].type", f"Invalid tool type: {tool.get('type')!r}.")
    if dialect is Dialect.VOICE_LIVE and update.interim_response is not None:
        problem = interim_problem(update.interim_response)
        if problem is not None:
            raise invalid_value(*problem)
    rate = update.input_audio_sampling_rate
    if rate is not None and rate not in _SAMPLING_RATES:
        raise invalid_value("session.input_audio_sampling_rate", "Use 16000 or 24000.")
    voice = update.voice
    if isinstance(voice, dict) and dialect is Dialect.VOICE_LIVE and not isinstance(voice.get("name"), str):
        raise missing_parameter("session.voice.name")
    tokens = update.max_output_tokens
    if isinstance(tokens, int) and not 1 <= tokens <= 4096:
        param = "session.max_output_tokens" if ga else "session.max_response_output_tokens"
        raise invalid_value(param, "The output token cap must be between 1 and 4096, or 'inf'.")
    if update.temperature is not None and not 0.6 <= update.temperature <= 1.2:
        raise invalid_value("session.temperature", "The temperature must be between 0.6 and 1.2.")


def apply_update(
    current: SessionConfig, update: SessionConfig, dialect: Dialect, *, voice_locked: bool = False
) -> SessionConfig:
    """The new effective session, or a `ClientError` the connection reports (the session is unchanged)."""
    _check_values(update, dialect)
    changes = {name: getattr(update, name) for name in update.model_fields_set}
    for fixed in ("model", "id", "expires_at"):
        changes.pop(fixed, None)
    if dialect is Dialect.GA:
        changes.pop("temperature", None)
    if "voice" in changes and voice_locked and changes["voice"] != current.voice:
        param = "session.audio.output.voice" if dialect is Dialect.GA else "session.voice"
        raise ClientError("cannot_update_voice", "Cannot update a voice once audio has been produced.", param)
    detection = changes.get("turn_detection")
    if isinstance(detection, TurnDetection):
        defaults = default_turn_detection(detection.type or "server_vad")
        if detection.type in _VOICE_LIVE_VAD:  # the local VAD stands in for Azure's semantic one
            defaults = defaults.model_copy(update={"type": detection.type})
        filled = {k: v for k, v in detection.model_dump().items() if v is not None or k == "idle_timeout_ms"}
        changes["turn_detection"] = defaults.model_copy(update=filled)
    return current.model_copy(update=changes)
