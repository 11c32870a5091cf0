"""Where the two wire dialects differ: event names, and the shapes of sessions, responses and items.

Everything dialect-specific in agentkit lives in this file. Decoding is tolerant of *both*
dialects at once (a preview-style server behind a GA URL still decodes); encoding is strict to the
chosen dialect, because servers reject what they do not know.
"""

from __future__ import annotations

import enum
from typing import Any

from agentkit.protocol import client_events as c
from agentkit.protocol import events as s


class Dialect(str, enum.Enum):
    """The wire dialect: GA (`/v1/realtime`, the default) or the 2024 preview (beta)."""

    GA = "ga"
    PREVIEW = "preview"


# --- event names --------------------------------------------------------------------------------

PREVIEW_SERVER_NAMES: dict[type[s.ServerEvent], str] = {
    s.ConversationItemAdded: "conversation.item.created",
    s.ResponseTextDelta: "response.text.delta",
    s.ResponseTextDone: "response.text.done",
    s.ResponseAudioDelta: "response.audio.delta",
    s.ResponseAudioDone: "response.audio.done",
    s.ResponseAudioTranscriptDelta: "response.audio_transcript.delta",
    s.ResponseAudioTranscriptDone: "response.audio_transcript.done",
}

GA_ONLY_SERVER_EVENTS: frozenset[type[s.ServerEvent]] = frozenset(
    {
        s.ConversationItemDone,
        s.InputAudioTranscriptionSegment,
        s.InputAudioBufferDtmfEventReceived,
        s.ResponseMcpCallArgumentsDelta,
        s.ResponseMcpCallArgumentsDone,
        s.ResponseMcpCallInProgress,
        s.ResponseMcpCallCompleted,
        s.ResponseMcpCallFailed,
        s.McpListToolsInProgress,
        s.McpListToolsCompleted,
        s.McpListToolsFailed,
    }
)
"""Events the preview dialect does not have; a preview server never sends them."""

SERVER_EVENT_BY_WIRE_NAME: dict[str, type[s.ServerEvent]] = {
    **{cls.kind: cls for cls in s.SERVER_EVENTS},
    **{name: cls for cls, name in PREVIEW_SERVER_NAMES.items()},
    # The GA SDK still lists `conversation.item.created`; some GA servers send it.
    "conversation.item.created": s.ConversationItemAdded,
    "transcription_session.created": s.SessionCreated,
    "transcription_session.updated": s.SessionUpdated,
}

CLIENT_EVENT_BY_WIRE_NAME: dict[str, type[c.ClientEvent]] = {
    **{cls.kind: cls for cls in c.CLIENT_EVENTS},
    "transcription_session.update": c.SessionUpdate,
}


def server_event_name(cls: type[s.ServerEvent], dialect: Dialect, session_type: str | None = None) -> str:
    if dialect is Dialect.PREVIEW:
        if cls in GA_ONLY_SERVER_EVENTS:
            raise ValueError(f"{cls.kind} does not exist in the preview dialect")
        if session_type == "transcription" and cls in (s.SessionCreated, s.SessionUpdated):
            return "transcription_session." + cls.kind.split(".", 1)[1]
        return PREVIEW_SERVER_NAMES.get(cls, cls.kind)
    return cls.kind


def client_event_name(cls: type[c.ClientEvent], dialect: Dialect, session_type: str | None = None) -> str:
    if dialect is Dialect.PREVIEW and cls is c.SessionUpdate and session_type == "transcription":
        return "transcription_session.update"
    return cls.kind


# --- audio formats and modalities ---------------------------------------------------------------

_FORMAT_TO_GA: dict[str, dict[str, Any]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_FORMAT_FROM_GA = {"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}


def format_from_wire(value: Any) -> Any:
    """`pcm16` or `{"type": "audio/pcm", "rate": 24000}` -> `pcm16` (unknown values pass through)."""
    if isinstance(value, dict):
        kind = value.get("type")
        return _FORMAT_FROM_GA.get(kind, kind) if isinstance(kind, str) else None
    return value


def format_to_wire(value: Any, dialect: Dialect) -> Any:
    if dialect is Dialect.GA and isinstance(value, str):
        return dict(_FORMAT_TO_GA.get(value, {"type": value}))
    return value


def modalities_from_wire(value: Any) -> Any:
    """Preview `["text", "audio"]` -> canonical `["audio"]`; `["text"]` stays."""
    if isinstance(value, list):
        return ["audio"] if "audio" in value else [m for m in value if isinstance(m, str)]
    return value


def modalities_to_wire(value: Any, dialect: Dialect) -> Any:
    if dialect is Dialect.PREVIEW and isinstance(value, list) and "audio" in value:
        return ["text", "audio"]
    return value


# --- sessions -----------------------------------------------------------------------------------

_GA_INPUT_FIELDS = {
    "format": "input_audio_format",
    "transcription": "input_audio_transcription",
    "noise_reduction": "input_audio_noise_reduction",
    "turn_detection": "turn_detection",
}
_GA_OUTPUT_FIELDS = {"format": "output_audio_format", "voice": "voice", "speed": "speed"}
_PREVIEW_DROPS = ("type", "parallel_tool_calls", "truncation", "prompt", "reasoning", "include")
_GA_ONLY_TRANSCRIPTION = ("languages", "keywords", "delay")
_GA_ONLY_TURN_DETECTION = ("idle_timeout_ms",)
_TRANSCRIPTION_SESSION_FIELDS = frozenset(
    {
        "type",
        "id",
        "object",
        "expires_at",
        "include",
        "input_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
    }
)
"""What a transcription session has: input audio settings only (no model output of any kind)."""


def _without(value: Any, keys: tuple[str, ...]) -> Any:
    return {k: v for k, v in value.items() if k not in keys} if isinstance(value, dict) else value


def session_from_wire(session: Any) -> Any:
    """Either dialect's session object -> canonical `SessionConfig` fields (presence kept)."""
    if not isinstance(session, dict):
        return session
    out = {k: v for k, v in session.items() if k not in ("audio", "modalities", "max_response_output_tokens")}
    audio = session.get("audio")
    if isinstance(audio, dict):
        for side, fields in (("input", _GA_INPUT_FIELDS), ("output", _GA_OUTPUT_FIELDS)):
            section = audio.get(side)
            if isinstance(section, dict):
                for wire_key, key in fields.items():
                    if wire_key in section:
                        out[key] = section[wire_key]
    if "modalities" in session and "output_modalities" not in session:
        out["output_modalities"] = modalities_from_wire(session["modalities"])
    if "max_response_output_tokens" in session and "max_output_tokens" not in session:
        out["max_output_tokens"] = session["max_response_output_tokens"]
    for key in ("input_audio_format", "output_audio_format"):
        if key in out:
            out[key] = format_from_wire(out[key])
    return out


def session_to_wire(fields: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """Canonical session fields that were set -> the dialect's session object."""
    if fields.get("type") == "transcription":
        fields = {k: v for k, v in fields.items() if k in _TRANSCRIPTION_SESSION_FIELDS}
    if dialect is Dialect.PREVIEW:
        return _preview_session(fields)
    out = {k: v for k, v in fields.items() if k != "temperature"}
    out.setdefault("type", "realtime")
    audio_input = {w: out.pop(k) for w, k in _GA_INPUT_FIELDS.items() if k in out}
    audio_output = {w: out.pop(k) for w, k in _GA_OUTPUT_FIELDS.items() if k in out}
    if "format" in audio_input:
        audio_input["format"] = format_to_wire(audio_input["format"], dialect)
    if "format" in audio_output:
        audio_output["format"] = format_to_wire(audio_output["format"], dialect)
    if audio_input or audio_output:
        audio: dict[str, Any] = {}
        if audio_input:
            audio["input"] = audio_input
        if audio_output:
            audio["output"] = audio_output
        out["audio"] = audio
    return out


def _preview_session(fields: dict[str, Any]) -> dict[str, Any]:
    transcription = fields.get("type") == "transcription"
    drops = tuple(k for k in _PREVIEW_DROPS if not (transcription and k == "include"))
    out = {k: v for k, v in fields.items() if k not in drops and k != "output_modalities"}
    if "output_modalities" in fields:
        out["modalities"] = modalities_to_wire(fields["output_modalities"], Dialect.PREVIEW)
    if "max_output_tokens" in out:
        out["max_response_output_tokens"] = out.pop("max_output_tokens")
    if "input_audio_noise_reduction" in out:
        out["input_audio_noise_reduction"] = _without(out["input_audio_noise_reduction"], ("strength",))
    if "input_audio_transcription" in out:
        out["input_audio_transcription"] = _without(out["input_audio_transcription"], _GA_ONLY_TRANSCRIPTION)
    if "turn_detection" in out:
        out["turn_detection"] = _without(out["turn_detection"], _GA_ONLY_TURN_DETECTION)
    return out


# --- responses ----------------------------------------------------------------------------------


def _audio_output_from_wire(out: dict[str, Any]) -> None:
    """GA `audio.output{voice, format}` -> canonical `voice` / `output_audio_format`, in place."""
    audio = out.pop("audio", None)
    if isinstance(audio, dict) and isinstance(audio.get("output"), dict):
        output = audio["output"]
        if "voice" in output:
            out["voice"] = output["voice"]
        if "format" in output:
            out["output_audio_format"] = output["format"]
    if "output_audio_format" in out:
        out["output_audio_format"] = format_from_wire(out["output_audio_format"])


def _audio_output_to_wire(out: dict[str, Any], dialect: Dialect) -> None:
    """Canonical `voice` / `output_audio_format` -> GA `audio.output{...}`, in place (preview: as is)."""
    if dialect is Dialect.PREVIEW:
        return
    output: dict[str, Any] = {}
    if "voice" in out:
        output["voice"] = out.pop("voice")
    if "output_audio_format" in out:
        output["format"] = format_to_wire(out.pop("output_audio_format"), dialect)
    if output:
        out["audio"] = {"output": output}


def response_from_wire(response: Any) -> Any:
    if not isinstance(response, dict):
        return response
    out = dict(response)
    if "modalities" in out and "output_modalities" not in out:
        out["output_modalities"] = modalities_from_wire(out["modalities"])
    _audio_output_from_wire(out)
    return out


def response_to_wire(response: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    out = dict(response)
    if "output" in out:
        out["output"] = [item_to_wire(i, dialect) for i in out["output"]]
    if dialect is Dialect.PREVIEW and "output_modalities" in out:
        out["modalities"] = modalities_to_wire(out.pop("output_modalities"), dialect)
    _audio_output_to_wire(out, dialect)
    out.setdefault("object", "realtime.response")
    return out


def response_params_from_wire(params: Any) -> Any:
    if not isinstance(params, dict):
        return params
    out = dict(params)
    if "modalities" in out and "output_modalities" not in out:
        out["output_modalities"] = modalities_from_wire(out.pop("modalities"))
    if "max_response_output_tokens" in out and "max_output_tokens" not in out:
        out["max_output_tokens"] = out.pop("max_response_output_tokens")
    _audio_output_from_wire(out)
    return out


def response_params_to_wire(params: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    out = dict(params)
    if dialect is Dialect.PREVIEW:
        if "output_modalities" in out:
            out["modalities"] = modalities_to_wire(out.pop("output_modalities"), dialect)
        if "max_output_tokens" in out:
            out["max_response_output_tokens"] = out.pop("max_output_tokens")
        for key in ("parallel_tool_calls", "prompt", "reasoning"):
            out.pop(key, None)
        return out
    out.pop("temperature", None)
    _audio_output_to_wire(out, dialect)
    return out


# --- items and content parts --------------------------------------------------------------------

_PREVIEW_PART_NAMES = {"output_text": "text", "output_audio": "audio"}


def part_to_wire(part: dict[str, Any], dialect: Dialect, *, in_part_event: bool = False) -> dict[str, Any]:
    """Content part -> wire. Part events use `text`/`audio` in both dialects; items only in preview."""
    if part.get("type") not in _PREVIEW_PART_NAMES and "raw" in part:
        raw: dict[str, Any] = part["raw"]
        return raw
    if dialect is Dialect.PREVIEW or in_part_event:
        kind = part.get("type", "")
        return {**part, "type": _PREVIEW_PART_NAMES.get(kind, kind)}
    return part


def item_to_wire(item: dict[str, Any], dialect: Dialect, *, from_server: bool = True) -> dict[str, Any]:
    """Item -> wire. Server-sent items carry `object: "realtime.item"`; client-created ones don't."""
    if "raw" in item and item.get("type") not in ("message", "function_call", "function_call_output"):
        raw: dict[str, Any] = item["raw"]
        return raw
    out = dict(item)
    if from_server:
        out.setdefault("object", "realtime.item")
    if isinstance(out.get("content"), list):
        out["content"] = [part_to_wire(p, dialect) for p in out["content"]]
    return out
