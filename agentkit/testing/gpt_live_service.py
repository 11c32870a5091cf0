"""A local, sans-I/O GPT-Live service: what the real one checks and says, for offline tests.

It holds one session: `session.start` first (strict config, `model` required), then full duplex —
it starts its own turns, delegates a call when a registered keyword is heard in the input
transcript, and waits for exactly one answer per delegated call. Commands GPT-Live does not have
(`response.cancel`, `conversation.item.truncate`, ...) get the `error` a real service sends.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

_SESSION_FIELDS = frozenset({"model", "instructions", "audio", "delegation", "input"})
_COMMANDS = frozenset(
    {
        "session.update",
        "session.input_audio.append",
        "session.input_audio.mute",
        "session.input_audio.unmute",
        "session.close",
        "session.instructions.append",
        "session.thinking.append",
        "session.commentary.append",
        "response.item.create",
        "response.create",
    }
)


_ACKS = {
    "session.update": "session.updated",
    "session.input_audio.mute": "session.input_audio.muted",
    "session.input_audio.unmute": "session.input_audio.unmuted",
    "session.instructions.append": "session.instructions.appended",
    "session.thinking.append": "session.thinking.appended",
    "session.commentary.append": "session.commentary.appended",
}


class LocalGptLive:
    """Feed it client frames (`receive`), get back the server frames to send, in order."""

    def __init__(self, delegations: dict[str, tuple[str, str]] | None = None) -> None:
        """`delegations`: heard keyword -> (function name, JSON arguments) the backend then calls."""
        self.delegations = dict(delegations or {})
        self.started = False
        self.closed = False
        self.open_calls: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self._ids = itertools.count(1)

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "event_id": f"event_{next(self._ids)}", **fields}

    def _error(self, code: str, message: str, client_event_id: Any = None) -> dict[str, Any]:
        error = {"type": "invalid_request_error", "code": code, "message": message}
        event = self._event("error", error=error)
        if isinstance(client_event_id, str):
            event["client_event_id"] = client_event_id
        return event

    def receive(self, frame: str | bytes) -> list[dict[str, Any]]:
        try:
            data = json.loads(frame)
        except ValueError:
            return [self._error("invalid_json", "The frame is not valid JSON.")]
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return [self._error("invalid_event", "The event has no string `type`.")]
        kind, client_id = data["type"], data.get("event_id")
        if self.closed:
            return [self._error("session_closed", "The session is closed.", client_id)]
        if not self.started:
            return self._start(data, client_id)
        if kind not in _COMMANDS:
            return [self._error("unknown_event", f"Unknown event type `{kind}`.", client_id)]
        if kind == "session.close":
            self.closed = True
            return [self._event("session.closed", reason="close_requested", usage={"seconds": 0})]
        if kind == "response.item.create":
            return self._output(data.get("item"), client_id)
        if kind in ("response.create", "session.input_audio.append"):
            return []
        return [self._event(_ACKS[kind])]

    def _start(self, data: dict[str, Any], client_id: Any) -> list[dict[str, Any]]:
        session = data.get("session")
        if data["type"] != "session.start" or not isinstance(session, dict):
            return [self._error("session_not_started", "The first event must be `session.start`.", client_id)]
        unknown = sorted(set(session) - _SESSION_FIELDS)
        if unknown:
            return [self._error("unknown_parameter", f"Unknown session field `{unknown[0]}`.", client_id)]
        if not isinstance(session.get("model"), str) or not session["model"]:
            return [self._error("missing_required_parameter", "`session.model` is required.", client_id)]
        self.started = True
        return [self._event("session.started", session={"id": "sess_local"})]

    def hear(self, text: str) -> list[dict[str, Any]]:
        """The user said `text`: its transcript, then the service's own turn (or a delegation)."""
        frames = [self._event("session.input_transcript.delta", delta=text)]
        for keyword, (name, arguments) in self.delegations.items():
            if keyword in text.lower():
                call_id = f"call_{next(self._ids)}"
                self.open_calls[call_id] = name
                item = {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}
                done = {"type": "response.output_item.done", "item": item}
                frames += [
                    self._event(
                        "session.delegation.created",
                        delegation={"id": f"del_{call_id}", "target": "responses"},
                    ),
                    self._event("response.event", delegation_id=f"del_{call_id}", event=done),
                ]
                return frames
        return [*frames, self._event("session.output_transcript.delta", delta=f"You said: {text}")]

    def _output(self, item: Any, client_id: Any) -> list[dict[str, Any]]:
        if not isinstance(item, dict) or item.get("type") != "function_call_output":
            return [self._error("invalid_item", "Expected a `function_call_output` item.", client_id)]
        call_id = item.get("call_id")
        if call_id in self.outputs:
            return [self._error("duplicate_output", f"Call `{call_id}` was already answered.", client_id)]
        if call_id not in self.open_calls:
            return [self._error("unknown_call", f"No delegated call `{call_id}`.", client_id)]
        self.outputs[call_id] = str(item.get("output", ""))
        del self.open_calls[call_id]
        return [self._event("session.output_transcript.delta", delta=f"Done: {self.outputs[call_id]}")]
