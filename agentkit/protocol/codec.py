"""The codec: wire JSON <-> canonical events, for one dialect, in both directions.

A client decodes server events and encodes client events; the local server and the relay do the
opposite, with the same tables. Decoding never raises: bad frames come back as `ProtocolError`,
unknown types as `UnknownEvent` / `UnknownClientEvent`.

Speed: events whose wire shape is already canonical (deltas, items, parts: everything but sessions
and responses) are validated by pydantic straight from the JSON text, without building a dict first;
audio stays base64 text. The other events, and any frame the fast path cannot take, go through
`json.loads` and the dialect normalisers. Both paths give the same result (a property test checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from agentkit.protocol import client_events as c
from agentkit.protocol import dialects as d
from agentkit.protocol import events as s
from agentkit.protocol.dialects import Dialect

_FRAME_PREVIEW = 200
_SERVER_ONLY_SESSION_FIELDS = ("id", "expires_at")
"""Session fields a server reports but a client must not send back in `session.update`."""

_Normalizer = Callable[[dict[str, Any]], dict[str, Any]]


def _session_event(data: dict[str, Any]) -> dict[str, Any]:
    session = d.session_from_wire(data.get("session"))
    if data.get("type", "").startswith("transcription_session") and isinstance(session, dict):
        session.setdefault("type", "transcription")
    return {**data, "session": session}


def _response_event(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "response": d.response_from_wire(data.get("response"))}


def _response_create(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("response") is None:
        return data
    return {**data, "response": d.response_params_from_wire(data.get("response"))}


_SERVER_NORMALIZERS: dict[type[s.ServerEvent], _Normalizer] = {
    s.SessionCreated: _session_event,
    s.SessionUpdated: _session_event,
    s.ResponseCreated: _response_event,
    s.ResponseDone: _response_event,
}
_CLIENT_NORMALIZERS: dict[type[c.ClientEvent], _Normalizer] = {
    c.SessionUpdate: _session_event,
    c.ResponseCreate: _response_create,
}


_E = TypeVar("_E", s.ServerEvent, c.ClientEvent)

# The top-level `type`, when it is the frame's first key (or second, after a plain `event_id`): where
# OpenAI and Azure put it. Anything else (a nested `type` first, escapes) takes the careful path.
_LEADING_TYPE = r'\A\s*\{\s*(?:"event_id"\s*:\s*"[^"\\]*"\s*,\s*)?"type"\s*:\s*"([^"\\]{1,100})"'
_LEADING_TYPE_STR = re.compile(_LEADING_TYPE)
_LEADING_TYPE_BYTES = re.compile(_LEADING_TYPE.encode("ascii"))


def _leading_type(frame: str | bytes) -> str | None:
    if isinstance(frame, str):
        match = _LEADING_TYPE_STR.match(frame)
        return match.group(1) if match else None
    match_bytes = _LEADING_TYPE_BYTES.match(frame)
    return match_bytes.group(1).decode("utf-8", "replace") if match_bytes else None


def _fast_table(
    by_name: Mapping[str, type[_E]], normalizers: Mapping[type[_E], _Normalizer]
) -> dict[str, type[_E]]:
    """Wire names whose events validate straight from JSON: no shape to translate first."""
    return {name: cls for name, cls in by_name.items() if cls not in normalizers}


def _fast_decode(frame: str | bytes, table: Mapping[str, type[_E]]) -> _E | None:
    """Validate the frame straight from JSON when its type needs no normalising; None otherwise.

    Any failure (bad JSON, bad fields) returns None, so the careful path can explain it. The one
    divergence: a frame with two top-level `type` keys is read by its first here, by its last there.
    """
    kind = _leading_type(frame)
    cls = table.get(kind) if kind is not None else None
    if cls is None:
        return None
    try:
        return cls.model_validate_json(frame)
    except (ValueError, TypeError, AttributeError):  # ValidationError is a ValueError
        return None


def _short(frame: str | bytes) -> str:
    text = frame.decode("utf-8", "replace") if isinstance(frame, (bytes, bytearray)) else frame
    return text[:_FRAME_PREVIEW]


def _validation_summary(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "frame"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _load(frame: str | bytes) -> dict[str, Any] | s.ProtocolError:
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        return s.ProtocolError(message=f"frame is not valid JSON: {exc}", frame=_short(frame))
    except RecursionError:  # a hostile peer can nest arrays deeper than the parser's stack
        return s.ProtocolError(message="frame is nested too deeply to decode", frame=_short(frame))
    if not isinstance(data, dict):
        return s.ProtocolError(message="frame is not a JSON object", frame=_short(frame))
    kind = data.get("type")
    if not isinstance(kind, str):
        return s.ProtocolError(message="frame has no string `type`", frame=_short(frame))
    return data


def _event_from_dict(
    data: dict[str, Any],
    frame: str | bytes,
    by_wire_name: Mapping[str, type[_E]],
    normalizers: Mapping[type[_E], _Normalizer],
    unknown: Callable[..., _E],
) -> _E | s.ProtocolError:
    """The careful path, the same for both directions: an unknown type is kept, a bad one explained."""
    kind = data.get("type")
    if not isinstance(kind, str):
        return s.ProtocolError(message="frame has no string `type`", frame=_short(frame))
    cls = by_wire_name.get(kind)
    if cls is None:
        return unknown(type=kind, raw=data, event_id=_str_or_none(data.get("event_id")))
    try:
        normalize = normalizers.get(cls)
        return cls.model_validate(normalize(data) if normalize else data)
    except ValidationError as exc:
        message = f"invalid {kind} event: {_validation_summary(exc)}"
    except (TypeError, ValueError, AttributeError) as exc:
        message = f"invalid {kind} event: {exc}"
    return s.ProtocolError(message=message, type=kind, frame=_short(frame or json.dumps(data)))


_FAST_SERVER = {
    dialect: _fast_table(d.server_event_table(dialect), _SERVER_NORMALIZERS) for dialect in Dialect
}
_FAST_CLIENT = _fast_table(d.CLIENT_EVENT_BY_WIRE_NAME, _CLIENT_NORMALIZERS)


class Codec:
    """Translates between one wire dialect and agentkit's canonical events."""

    def __init__(self, dialect: Dialect | str = Dialect.GA) -> None:
        self.dialect = Dialect(dialect)
        self._server_names = d.server_event_table(self.dialect)
        self._fast_server = _FAST_SERVER[self.dialect]

    def __repr__(self) -> str:
        return f"Codec({self.dialect.value!r})"

    # -- server events ---------------------------------------------------------------------------

    def decode_server_event(self, frame: str | bytes) -> s.ServerEvent:
        """One wire frame from a server -> a canonical event (never raises)."""
        fast = _fast_decode(frame, self._fast_server)
        if fast is not None:
            return fast
        data = _load(frame)
        return data if isinstance(data, s.ProtocolError) else self.server_event_from_dict(data, frame)

    def server_event_from_dict(self, data: dict[str, Any], frame: str | bytes = "") -> s.ServerEvent:
        return _event_from_dict(data, frame, self._server_names, _SERVER_NORMALIZERS, s.UnknownEvent)

    def server_event_to_dict(self, event: s.ServerEvent) -> dict[str, Any]:
        """A canonical server event -> the dialect's wire object (used by servers and the relay)."""
        if isinstance(event, s.UnknownEvent):
            return dict(event.raw) or {"type": event.type}
        if isinstance(event, s.ProtocolError):
            raise ValueError("a ProtocolError is a decoding result, not an event to send")
        cls = type(event)
        session_type = event.session.type if isinstance(event, (s.SessionCreated, s.SessionUpdated)) else None
        body = event.model_dump(mode="json", exclude_none=True, exclude={"session"})
        body = {"type": d.server_event_name(cls, self.dialect, session_type), **body}
        if isinstance(event, (s.SessionCreated, s.SessionUpdated)):
            session = d.session_to_wire(event.session.set_fields(), self.dialect)
            if self.dialect is Dialect.GA:
                session.setdefault("object", "realtime.session")
            elif session_type == "transcription":
                session.pop("type", None)
            body["session"] = session
        elif isinstance(event, (s.ResponseCreated, s.ResponseDone)):
            body["response"] = d.response_to_wire(body["response"], self.dialect)
        elif "item" in body:
            body["item"] = d.item_to_wire(body["item"], self.dialect)
        elif "part" in body:
            body["part"] = d.part_to_wire(body["part"], self.dialect, in_part_event=True)
        if isinstance(event, s.ErrorEvent):
            body["error"] = event.error.model_dump(mode="json")
        return body

    def encode_server_event(self, event: s.ServerEvent) -> str:
        return json.dumps(self.server_event_to_dict(event), separators=(",", ":"))

    def supports(self, cls: type[s.ServerEvent]) -> bool:
        """Whether this dialect has the event at all (the preview has no GA-only events)."""
        return self.dialect is Dialect.GA or cls not in d.GA_ONLY_SERVER_EVENTS

    # -- client events ---------------------------------------------------------------------------

    def decode_client_event(self, frame: str | bytes) -> c.ClientEvent | s.ProtocolError:
        """One wire frame from a client -> a canonical client event (never raises)."""
        fast = _fast_decode(frame, _FAST_CLIENT)
        if fast is not None:
            return fast
        data = _load(frame)
        return data if isinstance(data, s.ProtocolError) else self.client_event_from_dict(data, frame)

    def client_event_from_dict(
        self, data: dict[str, Any], frame: str | bytes = ""
    ) -> c.ClientEvent | s.ProtocolError:
        return _event_from_dict(
            data, frame, d.CLIENT_EVENT_BY_WIRE_NAME, _CLIENT_NORMALIZERS, c.UnknownClientEvent
        )

    def client_event_to_dict(self, event: c.ClientEvent) -> dict[str, Any]:
        """A canonical client event -> the dialect's wire object."""
        if isinstance(event, c.UnknownClientEvent):
            return dict(event.raw) or {"type": event.type}
        cls = type(event)
        session_type = event.session.type if isinstance(event, c.SessionUpdate) else None
        body = event.model_dump(mode="json", exclude_none=True, exclude={"session", "response"})
        body = {"type": d.client_event_name(cls, self.dialect, session_type), **body}
        if isinstance(event, c.SessionUpdate):
            fields = event.session.set_fields()
            for key in _SERVER_ONLY_SESSION_FIELDS:
                fields.pop(key, None)
            session = d.session_to_wire(fields, self.dialect)
            if self.dialect is Dialect.PREVIEW and session_type == "transcription":
                session.pop("type", None)
            body["session"] = session
        elif isinstance(event, c.ResponseCreate) and event.response is not None:
            params = event.response.model_dump(mode="json", exclude_none=True)
            body["response"] = d.response_params_to_wire(params, self.dialect)
        elif "item" in body:
            body["item"] = d.item_to_wire(body["item"], self.dialect, from_server=False)
        return body

    def encode_client_event(self, event: c.ClientEvent) -> str:
        return json.dumps(self.client_event_to_dict(event), separators=(",", ":"))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
