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
from agentkit.protocol.interim import interim_problem


class EncodeError(ValueError):
    """A canonical value this dialect cannot carry (the server would reject it): say so before sending."""


class Dialect(str, enum.Enum):
    """The wire dialect: GA (`/v1/realtime`, the default), the 2024 preview (beta), or Azure Voice Live.

    Voice Live speaks the preview's event names and flat session, but takes voices as objects
    (`{"name": ..., "type": "azure-standard"}`) and session extras of its own.
    """

    GA = "ga"
    PREVIEW = "preview"
    VOICE_LIVE = "voicelive"

    @property
    def preview_style(self) -> bool:
        """Preview event names and a flat session (the preview itself, and Voice Live)."""
        return self is not Dialect.GA


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

_GA_ONLY: tuple[type[s.ServerEvent], ...] = (
    s.ConversationItemCreated,  # in the preview, that wire name *is* ConversationItemAdded
)
GA_ONLY_SERVER_EVENTS: frozenset[type[s.ServerEvent]] = frozenset(_GA_ONLY) | frozenset(
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

EXTENSION_SERVER_EVENTS: frozenset[type[s.ServerEvent]] = frozenset(
    {s.InputAudioTranscriptionUpdated, s.Ping, s.WarningEvent}
)
"""Events of OpenAI-compatible services (xAI, Voice Live) that OpenAI's own API never sends."""

SERVER_EVENT_BY_WIRE_NAME: dict[str, type[s.ServerEvent]] = {
    **{cls.kind: cls for cls in s.SERVER_EVENTS},
    **{name: cls for cls, name in PREVIEW_SERVER_NAMES.items()},
    # The GA SDK still lists `conversation.item.created` beside `.added`; some GA servers send it.
    "conversation.item.created": s.ConversationItemCreated,
    "transcription_session.created": s.SessionCreated,
    "transcription_session.updated": s.SessionUpdated,
}
"""How a GA codec reads wire names (it also reads preview names: a preview-style server behind a GA
URL, such as Voice Live, still decodes)."""

PREVIEW_SERVER_EVENT_BY_WIRE_NAME: dict[str, type[s.ServerEvent]] = {
    **SERVER_EVENT_BY_WIRE_NAME,
    "conversation.item.created": s.ConversationItemAdded,
}
"""How a preview codec reads wire names: there, `conversation.item.created` *is* the added event."""


def server_event_table(dialect: Dialect) -> dict[str, type[s.ServerEvent]]:
    return PREVIEW_SERVER_EVENT_BY_WIRE_NAME if dialect.preview_style else SERVER_EVENT_BY_WIRE_NAME


CLIENT_EVENT_BY_WIRE_NAME: dict[str, type[c.ClientEvent]] = {
    **{cls.kind: cls for cls in c.CLIENT_EVENTS},
    **{cls.kind: cls for cls in c.VOICE_LIVE_CLIENT_EVENTS},
    "transcription_session.update": c.SessionUpdate,
}


def server_event_name(cls: type[s.ServerEvent], dialect: Dialect, session_type: str | None = None) -> str:
    if dialect.preview_style:
        if cls in GA_ONLY_SERVER_EVENTS:
            raise ValueError(f"{cls.kind} does not exist in the preview dialect")
        if session_type == "transcription" and cls in (s.SessionCreated, s.SessionUpdated):
            return "transcription_session." + cls.kind.split(".", 1)[1]
        return PREVIEW_SERVER_NAMES.get(cls, cls.kind)
    return cls.kind


def client_event_name(cls: type[c.ClientEvent], dialect: Dialect, session_type: str | None = None) -> str:
    if cls in c.VOICE_LIVE_CLIENT_EVENTS and dialect is not Dialect.VOICE_LIVE:
        raise EncodeError(f"{cls.kind} is a Voice Live event; this endpoint does not take it")
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
    if dialect.preview_style and isinstance(value, list) and "audio" in value:
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


VOICE_LIVE_SESSION_FIELDS = (
    "input_audio_sampling_rate",
    "input_audio_echo_cancellation",
    "interim_response",
    "output_audio_timestamp_types",
    "animation",
    "avatar",
)
VOICE_LIVE_TURN_DETECTION_FIELDS = (
    "end_of_utterance_detection",
    "remove_filler_words",
    "languages",
    "auto_truncate",
)


def _voice_live_only(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse Voice Live's own settings for another dialect (the service would reject them); unset
    (None) ones are simply left out."""
    out = {k: v for k, v in fields.items() if not (k in VOICE_LIVE_SESSION_FIELDS and v is None)}
    detection = out.get("turn_detection")
    if isinstance(detection, dict):
        detection = {
            k: v for k, v in detection.items() if not (k in VOICE_LIVE_TURN_DETECTION_FIELDS and v is None)
        }
        out["turn_detection"] = detection
        named = [f"turn_detection.{k}" for k in VOICE_LIVE_TURN_DETECTION_FIELDS if k in detection]
    else:
        named = []
    named = [k for k in VOICE_LIVE_SESSION_FIELDS if k in out] + named
    if named:
        raise EncodeError(f"{', '.join(named)}: Voice Live settings, which this endpoint does not take")
    return out


def session_to_wire(fields: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """Canonical session fields that were set -> the dialect's session object."""
    fields = dict(fields)
    extras = fields.pop("extras", None) or {}
    if dialect is not Dialect.VOICE_LIVE:
        fields = _voice_live_only(fields)
    elif fields.get("interim_response") is not None:
        problem = interim_problem(fields["interim_response"])
        if problem is not None:
            raise EncodeError(f"{problem[0]}: {problem[1]}")
    return {**_session_to_wire(fields, dialect), **extras}


def _session_to_wire(fields: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    if fields.get("type") == "transcription":
        fields = {k: v for k, v in fields.items() if k in _TRANSCRIPTION_SESSION_FIELDS}
    if dialect.preview_style:
        return _preview_session(fields, dialect)
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


def _preview_voice(voice: Any) -> Any:
    """Preview voices are names. A `{"name": ...}` object (Voice Live's spelling) becomes its name;
    a custom voice by id has no preview form."""
    if not isinstance(voice, dict):
        return voice
    name = voice.get("name")
    plain = set(voice) <= {"name", "type"} and voice.get("type") in (None, "openai")
    if plain and isinstance(name, str) and name:
        return name
    raise EncodeError(
        f"the preview dialect takes a voice name such as 'alloy', not {sorted(voice)!r}: "
        "use the GA endpoint (leave OPENAI_API_VERSION unset) for custom or Azure voices"
    )


def _preview_session(fields: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    transcription = fields.get("type") == "transcription"
    drops = tuple(k for k in _PREVIEW_DROPS if not (transcription and k == "include"))
    out = {k: v for k, v in fields.items() if k not in drops and k != "output_modalities"}
    if "output_modalities" in fields:
        out["modalities"] = modalities_to_wire(fields["output_modalities"], dialect)
    if "max_output_tokens" in out:
        out["max_response_output_tokens"] = out.pop("max_output_tokens")
    if "voice" in out and dialect is Dialect.PREVIEW:
        out["voice"] = _preview_voice(out["voice"])
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
    if dialect.preview_style:
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
    if dialect.preview_style and "output_modalities" in out:
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
    if dialect.preview_style:
        if "output_modalities" in out:
            out["modalities"] = modalities_to_wire(out.pop("output_modalities"), dialect)
        if "max_output_tokens" in out:
            out["max_response_output_tokens"] = out.pop("max_output_tokens")
        for key in ("parallel_tool_calls", "prompt", "reasoning"):
            out.pop(key, None)
        if "voice" in out and dialect is Dialect.PREVIEW:
            out["voice"] = _preview_voice(out["voice"])
        if isinstance(out.get("input"), list):
            out["input"] = [item_to_wire(i, dialect, from_server=False) for i in out["input"]]
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
    if dialect.preview_style or in_part_event:
        kind = part.get("type", "")
        return {**part, "type": _PREVIEW_PART_NAMES.get(kind, kind)}
    return part


_GA_ONLY_INPUT_PARTS = ("input_image",)


def _refuse_preview_parts(content: list[Any]) -> None:
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _GA_ONLY_INPUT_PARTS:
            raise EncodeError(
                f"the preview dialect has no {kind} content parts: send images over a GA endpoint "
                "(leave OPENAI_API_VERSION unset)"
            )


def item_to_wire(item: dict[str, Any], dialect: Dialect, *, from_server: bool = True) -> dict[str, Any]:
    """Item -> wire. Server-sent items carry `object: "realtime.item"`; client-created ones don't."""
    if "raw" in item and item.get("type") not in ("message", "function_call", "function_call_output"):
        raw: dict[str, Any] = item["raw"]
        return raw
    out = dict(item)
    if from_server:
        out.setdefault("object", "realtime.item")
    elif dialect is Dialect.PREVIEW and isinstance(out.get("content"), list):
        _refuse_preview_parts(out["content"])
    if isinstance(out.get("content"), list):
        out["content"] = [part_to_wire(p, dialect) for p in out["content"]]
    return out
