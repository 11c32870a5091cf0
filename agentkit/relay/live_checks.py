"""Client -> model checks that need the live session, which the pure policy (`client_check`) cannot see.

- A session update is merged over the operator's current values. The service replaces an object
  setting (`turn_detection`, `input_audio_transcription`, noise reduction...) *whole*, so forwarding
  a client's allowed `{"threshold": 0.6}` as is would silently reset every key the client may not
  touch (`create_response`, `interrupt_response`, `idle_timeout_ms`, the transcription `model`...).
- One response at a time: the service refuses `response.create` while a response is active, and the
  session queues an application's requests instead; a client's request while one is active or
  queued is refused here, so a burst of them never becomes a queue of billed responses.
"""

from __future__ import annotations

from typing import Any

from agentkit.protocol import ResponseCreate, SessionConfig, SessionUpdate
from agentkit.relay.refusal import Refusal

_VAD_ONLY: dict[str, str] = {
    "threshold": "server_vad",
    "prefix_padding_ms": "server_vad",
    "silence_duration_ms": "server_vad",
    "idle_timeout_ms": "server_vad",
    "eagerness": "semantic_vad",
}
"""Turn-detection keys that only one detector type accepts."""

RESPONSE_IN_PROGRESS = (
    "a response is already in progress or requested; wait for its response.done (or send response.cancel)"
)


def merge_session_update(update: SessionUpdate, current: SessionConfig) -> SessionUpdate:
    """`update` with each object setting merged over the current one: the client's keys win, every
    other key keeps the operator's value (set fields only; scalars and lists are replaced)."""
    base = current.set_fields()
    values = update.session.set_fields()
    merged = {
        name: _merged(name, base.get(name), value) if isinstance(value, dict) else value
        for name, value in values.items()
    }
    return SessionUpdate(event_id=update.event_id, session=SessionConfig.model_validate(merged))


def _merged(name: str, old: Any, new: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(old, dict):
        return new
    result = dict(old)
    for key, value in new.items():
        result[key] = _merged(key, old.get(key), value) if isinstance(value, dict) else value
    if name == "turn_detection" and old.get("type") != result.get("type"):
        # A new detector: the old one's tuning does not apply; the operator's shared keys still do.
        kept_type = result.get("type")
        result = {
            key: value
            for key, value in result.items()
            if key in new or _VAD_ONLY.get(key) in (None, kept_type)
        }
    return result


def refuse_busy_response(event: ResponseCreate) -> Refusal:
    """The refusal for a `response.create` while a response is in progress (the service's rule)."""
    return Refusal(event.kind, RESPONSE_IN_PROGRESS, event.event_id, "type")
