"""Property tests: no frame, however broken, makes a decoder raise.

Frames are random bytes, random JSON, and valid frames (every sample event in both dialects) with
fields deleted or replaced by random JSON at any depth. The fast decoding path must also agree
exactly with the careful one.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.protocol import ClientEvent, Codec, Dialect, ProtocolError, ServerEvent
from tests.protocol import samples

_CODECS = [Codec(d) for d in Dialect]
_SERVER_FRAMES = [
    c.server_event_to_dict(e)
    for c in _CODECS
    for e in samples.server_events(c.dialect)
    if c.supports(type(e))
]
_CLIENT_FRAMES = [c.client_event_to_dict(e) for c in _CODECS for e in samples.client_events(c.dialect)]

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key / index path inside a JSON value."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@st.composite
def _mutated(draw: st.DrawFn, frames: list[dict[str, Any]]) -> str:
    frame = json.loads(json.dumps(draw(st.sampled_from(frames))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(frame)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        holder = frame
        for step in parents:
            holder = holder[step]
        if draw(st.booleans()):
            del holder[last]
        else:
            holder[last] = draw(_json)
    return json.dumps(frame)


def _check_server(frame: str | bytes) -> None:
    for codec in _CODECS:
        event = codec.decode_server_event(frame)
        assert isinstance(event, (ServerEvent, ProtocolError))


def _check_client(frame: str | bytes) -> None:
    for codec in _CODECS:
        event = codec.decode_client_event(frame)
        assert isinstance(event, (ClientEvent, ProtocolError))


@_SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(frame: bytes) -> None:
    _check_server(frame)
    _check_client(frame)


@_SETTINGS
@given(st.text(max_size=300))
def test_random_text_never_raises(frame: str) -> None:
    _check_server(frame)
    _check_client(frame)


@_SETTINGS
@given(_json)
def test_random_json_never_raises(value: Any) -> None:
    _check_server(json.dumps(value))
    _check_client(json.dumps(value))


@_SETTINGS
@given(st.sampled_from(sorted({f["type"] for f in _SERVER_FRAMES + _CLIENT_FRAMES})), _json)
def test_known_types_with_random_bodies_never_raise(kind: str, body: Any) -> None:
    frame = json.dumps({"type": kind, **(body if isinstance(body, dict) else {"x": body})})
    _check_server(frame)
    _check_client(frame)


@_SETTINGS
@given(_mutated(_SERVER_FRAMES))
def test_mutated_server_frames_never_raise_and_both_paths_agree(frame: str) -> None:
    for codec in _CODECS:
        event = codec.decode_server_event(frame)
        assert isinstance(event, (ServerEvent, ProtocolError))
        data = json.loads(frame)
        if isinstance(data, dict):
            assert codec.server_event_from_dict(data, frame) == event


@_SETTINGS
@given(_mutated(_CLIENT_FRAMES))
def test_mutated_client_frames_never_raise_and_both_paths_agree(frame: str) -> None:
    for codec in _CODECS:
        event = codec.decode_client_event(frame)
        assert isinstance(event, (ClientEvent, ProtocolError))
        data = json.loads(frame)
        if isinstance(data, dict):
            assert codec.client_event_from_dict(data, frame) == event


@_SETTINGS
@given(_mutated(_SERVER_FRAMES), st.integers(0, 40))
def test_truncated_frames_never_raise(frame: str, cut: int) -> None:
    _check_server(frame[: len(frame) * cut // 41])
    _check_server(frame.encode()[: len(frame) * cut // 41])
