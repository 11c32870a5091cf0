"""Fuzzing the parts that face untrusted input: the codec, the turn engine and the relay policy.

Frames are built from the real wire vocabulary (every event type of both dialects, the ID fields
that tie events together) filled with arbitrary JSON, plus raw garbage. CI runs a bounded number of
examples; a nightly-style run sets `AGENTKIT_FUZZ_EXAMPLES=100000`.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.engine import Send, StartCall, TurnEngine
from agentkit.protocol import (
    ClientEvent,
    Codec,
    ConversationItemCreate,
    Dialect,
    FunctionCallOutputItem,
    ProtocolError,
    ServerEvent,
    SessionConfig,
    UnknownClientEvent,
    UnknownEvent,
)
from agentkit.protocol.dialects import (
    CLIENT_EVENT_BY_WIRE_NAME,
    PREVIEW_SERVER_NAMES,
    SERVER_EVENT_BY_WIRE_NAME,
)
from agentkit.relay import Refusal, RelayPolicy

EXAMPLES = int(os.environ.get("AGENTKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 1000,  # CI: the same inputs every run; nightly: fresh ones
)
CODECS = {dialect: Codec(dialect) for dialect in Dialect}
SERVER_TYPES = sorted({*SERVER_EVENT_BY_WIRE_NAME, *PREVIEW_SERVER_NAMES.values()})
CLIENT_TYPES = sorted(CLIENT_EVENT_BY_WIRE_NAME)

_ids = st.sampled_from(["resp_1", "resp_2", "item_1", "item_2", "call_1", "call_2", "", "x" * 300])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | _ids,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_known_fields = {
    "event_id": _ids,
    "response_id": _ids,
    "item_id": _ids,
    "call_id": _ids,
    "previous_item_id": _ids | st.none(),
    "output_index": st.integers(-1, 3),
    "content_index": st.integers(-1, 3),
    "delta": st.text(max_size=30) | json_values,
    "arguments": st.sampled_from(['{"a": 1}', "{", "", "null"]) | st.text(max_size=10),
    "name": st.sampled_from(["lookup", "", "nope"]),
    "item": st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "function_call", "function_call_output", "mystery"])},
        optional={"id": _ids, "call_id": _ids, "role": st.sampled_from(["user", "assistant", "x"])},
    )
    | json_values,
    "response": st.fixed_dictionaries(
        {"id": _ids}, optional={"status": st.sampled_from(["completed", "cancelled", "failed", "?"])}
    )
    | json_values,
    "error": st.fixed_dictionaries({"message": st.text(max_size=20)}, optional={"code": _ids}) | json_values,
    "session": st.dictionaries(st.sampled_from(["type", "id", "tools", "voice", "modalities"]), json_values),
}


def frames(types: list[str]) -> st.SearchStrategy[str | bytes]:
    shaped = st.builds(
        lambda kind, known, extra: json.dumps({**extra, **known, "type": kind}),
        st.sampled_from(types) | st.text(max_size=15),
        st.fixed_dictionaries({}, optional=_known_fields),
        st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    )
    garbage = st.text(max_size=60) | st.binary(max_size=60) | json_values.map(json.dumps)
    return st.one_of(shaped, shaped, shaped, garbage)


@FUZZ
@given(frame=frames(SERVER_TYPES), dialect=st.sampled_from(list(Dialect)))
def test_decoding_any_server_frame_never_raises(frame: str | bytes, dialect: Dialect) -> None:
    codec = CODECS[dialect]
    event = codec.decode_server_event(frame)
    assert isinstance(event, ServerEvent | ProtocolError | UnknownEvent)
    if not isinstance(event, ProtocolError | UnknownEvent) and codec.supports(type(event)):
        json.dumps(codec.server_event_to_dict(event))  # whatever decodes, encodes again


@FUZZ
@given(frame=frames(CLIENT_TYPES), dialect=st.sampled_from(list(Dialect)))
def test_decoding_any_client_frame_never_raises(frame: str | bytes, dialect: Dialect) -> None:
    event = CODECS[dialect].decode_client_event(frame)
    assert isinstance(event, ClientEvent | ProtocolError | UnknownClientEvent)


@FUZZ
@given(
    st.lists(st.tuples(st.sampled_from(["frame", "finish", "text", "lost", "back"]), frames(SERVER_TYPES)))
)
def test_the_engine_survives_any_event_sequence_and_answers_each_call_at_most_once(
    steps: list[tuple[str, str | bytes]],
) -> None:
    engine = TurnEngine(SessionConfig(instructions="fuzz"))
    codec = CODECS[Dialect.GA]
    now = 0.0
    running: list[str] = []
    answered: Counter[str] = Counter()
    actions = engine.connected(now)
    for step, frame in steps:
        now += 0.01
        if step == "frame":
            event = codec.decode_server_event(frame)
            actions = engine.receive(event, now) if isinstance(event, ServerEvent) else []
        elif step == "finish" and running:
            actions = engine.call_finished(running.pop(0), "ok", status="ok", now=now)
        elif step == "text":
            actions = engine.send_text("hello", now) if engine.is_connected and not engine.closed else []
        elif step == "lost" and engine.is_connected:
            actions, answered = engine.connection_lost(now), Counter()
        elif step == "back" and not engine.is_connected and not engine.closed:
            actions, answered = engine.reconnected(now), Counter()
        else:
            actions = []
        for action in actions:
            if isinstance(action, StartCall):
                running.append(action.call_id)
            elif (
                isinstance(action, Send)
                and isinstance(action.event, ConversationItemCreate)
                and isinstance(action.event.item, FunctionCallOutputItem)
            ):
                answered[action.event.item.call_id] += 1
        assert all(count == 1 for count in answered.values()), answered
    engine.close(now)


POLICIES = (RelayPolicy(), RelayPolicy(forbidden_fields="strip"))


@FUZZ
@given(frame=frames(CLIENT_TYPES), strict=st.booleans())
def test_the_relay_policy_judges_any_client_frame_without_raising(frame: str | bytes, strict: bool) -> None:
    verdict = POLICIES[0 if strict else 1].check_client_frame(frame)
    assert isinstance(verdict, ClientEvent | Refusal)


@FUZZ
@given(st.lists(frames(SERVER_TYPES), max_size=8))
def test_the_relay_policy_sanitizes_any_server_events_without_raising(batch: list[str | bytes]) -> None:
    policy = POLICIES[0]
    state = policy.new_connection_state()
    for frame in batch:
        event = CODECS[Dialect.GA].decode_server_event(frame)
        if isinstance(event, ServerEvent):
            sanitized = policy.sanitize_server_event(event, state)
            assert sanitized is None or isinstance(sanitized, ServerEvent)
