"""An outside referee for wire frames: the `openai` package's own typed Realtime event models.

agentkit's codec (and the local server built on it) must not be the only judge of its own output, or
client and server could agree on the same mistake. These helpers validate one wire frame against the
SDK's union of events for a dialect (`openai.types.realtime` for GA, `openai.types.beta.realtime`
for the preview), strictly: a missing required field, a wrong literal or a wrong JSON type fails, and
so does a field the SDK does not know (a server answers those with `unknown_parameter`).

Reuse it for every frame a test sees going over the wire::

    from tests.protocol.oracle import assert_valid_client_frame, assert_valid_server_frame

    assert_valid_server_frame(Dialect.GA, frame)  # a dict, or the JSON text of one frame
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from openai.types.beta.realtime.realtime_client_event import RealtimeClientEvent as PreviewClientEvent
from openai.types.beta.realtime.realtime_server_event import RealtimeServerEvent as PreviewServerEvent
from openai.types.realtime.realtime_client_event import RealtimeClientEvent as GAClientEvent
from openai.types.realtime.realtime_server_event import RealtimeServerEvent as GAServerEvent
from pydantic import BaseModel, TypeAdapter, ValidationError

from agentkit.protocol import Dialect

__all__ = [
    "OracleMismatch",
    "assert_valid_client_frame",
    "assert_valid_server_frame",
    "oracle_event_types",
]

_UNIONS: dict[tuple[Dialect, str], Any] = {
    (Dialect.GA, "server"): GAServerEvent,
    (Dialect.GA, "client"): GAClientEvent,
    (Dialect.PREVIEW, "server"): PreviewServerEvent,
    (Dialect.PREVIEW, "client"): PreviewClientEvent,
}

# Fields that real servers send but the SDK's models leave out. GA `session.created` / `.updated`
# reuse the *request* model, which has no `id` / `object` / `expires_at` / `model`-level metadata,
# although every real GA server frame (and the SDK's own create-response model) carries them.
# The GA `input_audio_buffer.dtmf_event_received` model also forgets the `event_id` every server
# event carries.
_SERVER_EXTRAS_ALLOWED: frozenset[tuple[str, ...]] = frozenset(
    {("session", "id"), ("session", "object"), ("session", "expires_at"), ("event_id",)}
)

# The preview SDK has `transcription_session.updated` but no `.created` (the server sends both,
# with the same payload); validate `.created` against the `.updated` model. That model is the REST
# answer to creating a transcription session, so it requires the ephemeral `client_secret`, which
# a WebSocket session never has: a placeholder stands in for it. It also lacks the noise reduction
# and `include` settings that the same session accepts in `transcription_session.update`.
_PREVIEW_STAND_INS = {"transcription_session.created": "transcription_session.updated"}
_PREVIEW_TRANSCRIPTION_EVENTS = frozenset({"transcription_session.created", "transcription_session.updated"})
_PLACEHOLDER_SECRET = {"value": "placeholder", "expires_at": 0}
_PREVIEW_TRANSCRIPTION_EXTRAS = frozenset(
    {("session", "input_audio_noise_reduction"), ("session", "include")}
)


class OracleMismatch(AssertionError):
    """The frame does not match the `openai` package's model of it."""


@functools.cache
def _models_by_type(dialect: Dialect, side: str) -> dict[str, type[BaseModel]]:
    members = typing.get_args(typing.get_args(_UNIONS[(dialect, side)])[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in members}


@functools.cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[BaseModel]:
    return TypeAdapter(model)


def _as_dict(frame: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    data = json.loads(frame) if isinstance(frame, (str, bytes)) else dict(frame)
    if not isinstance(data, dict):
        raise OracleMismatch(f"frame is not a JSON object: {data!r:.200}")
    return data


def _extras(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of every field the SDK model did not declare, anywhere in the validated tree."""
    if isinstance(value, BaseModel):
        for key in value.__pydantic_extra__ or {}:
            yield (*path, key)
        for name in type(value).model_fields:
            yield from _extras(getattr(value, name), (*path, name))
    elif isinstance(value, (list, tuple)):
        for index, entry in enumerate(value):
            yield from _extras(entry, (*path, str(index)))


def _validate(dialect: Dialect | str, side: str, frame: Mapping[str, Any] | str | bytes) -> BaseModel:
    dialect = Dialect(dialect)
    data = _as_dict(frame)
    kind = data.get("type")
    allowed = _SERVER_EXTRAS_ALLOWED if side == "server" else frozenset()
    if dialect is Dialect.PREVIEW and side == "server" and kind in _PREVIEW_TRANSCRIPTION_EVENTS:
        session = data.get("session")
        if isinstance(session, dict) and "client_secret" not in session:
            data["session"] = {**session, "client_secret": _PLACEHOLDER_SECRET}
        kind = data["type"] = _PREVIEW_STAND_INS.get(kind, kind)
        allowed = allowed | _PREVIEW_TRANSCRIPTION_EXTRAS
    model_cls = _models_by_type(dialect, side).get(kind) if isinstance(kind, str) else None
    if model_cls is None:
        raise OracleMismatch(f"the openai SDK has no {dialect.value} {side} event of type {kind!r}")
    try:
        # Through JSON so that strict mode judges JSON types (an int where a string belongs fails).
        model = _adapter(model_cls).validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise OracleMismatch(
            f"{dialect.value} {side} frame {kind!r} is not valid for the openai SDK:\n{exc}"
        ) from None
    unknown = [".".join(p) for p in _extras(model) if p not in allowed]
    if unknown:
        raise OracleMismatch(
            f"{dialect.value} {side} frame {kind!r} has fields the SDK does not know: {unknown}"
        )
    return model


def assert_valid_server_frame(dialect: Dialect | str, frame: Mapping[str, Any] | str | bytes) -> None:
    """Fail (`OracleMismatch`, an AssertionError) unless `frame` is a valid server event of `dialect`."""
    _validate(dialect, "server", frame)


def assert_valid_client_frame(dialect: Dialect | str, frame: Mapping[str, Any] | str | bytes) -> None:
    """Fail (`OracleMismatch`, an AssertionError) unless `frame` is a valid client event of `dialect`."""
    _validate(dialect, "client", frame)


def oracle_event_types(dialect: Dialect | str, side: str) -> frozenset[str]:
    """Every wire `type` the SDK's union for `dialect` has on `side` (`"server"` or `"client"`)."""
    return frozenset(_models_by_type(Dialect(dialect), side))
