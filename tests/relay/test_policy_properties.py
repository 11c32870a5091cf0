"""Properties: whatever a client sends, nothing forbidden is forwarded; whatever the model sends,
no operator secret reaches the client."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.protocol import (
    ClientEvent,
    Codec,
    ConversationItemAdded,
    ConversationItemDone,
    ConversationItemRetrieved,
    ConversationItemTruncated,
    Dialect,
    ErrorDetail,
    ErrorEvent,
    FunctionCallItem,
    FunctionCallOutputItem,
    MessageItem,
    OutputAudioPart,
    Response,
    ResponseAudioDelta,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ServerEvent,
    SessionConfig,
    SessionUpdated,
    UnknownEvent,
    system_text,
)
from agentkit.relay import Refusal, RelayPolicy

GA = Codec(Dialect.GA)
POLICIES = (RelayPolicy(), RelayPolicy(forbidden_fields="strip"))
MARK = "SECRETMARK"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- client -> model -----------------------------------------------------------------------------------------

EVENT_TYPES = [
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "output_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
    "transcription_session.update",
    "session.close",
]
FORBIDDEN_KEYS = {"instructions", "tools", "tool_choice", "prompt", "tracing", "model", "metadata"}

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 100_000), st.floats(-2, 2), st.text(max_size=8)
)
text = st.one_of(st.just(MARK), st.text(max_size=30), st.just("x" * 5000))
audio = st.one_of(
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
    st.just(base64.b64encode(b"\0" * 70_000).decode()),
    st.just("not base64!"),
)
part = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["input_text", "input_audio", "input_image", "output_text", "item_reference", "x"]
        )
    },
    optional={"text": text, "audio": audio, "transcript": text, "id": st.just("fc_" + MARK)},
)
item = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "function_call_output", "mcp_call"])},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", "developer", MARK]),
        "content": st.lists(part, max_size=3),
        "call_id": st.just("call_" + MARK),
        "output": st.just(MARK),
        "name": st.just(MARK),
        "arguments": st.just(MARK),
        "id": st.text(max_size=10),
    },
)
turn_detection = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(
            ["type", "threshold", "silence_duration_ms", "prefix_padding_ms", "create_response", "eagerness"]
        ),
        st.one_of(json_leaf, st.sampled_from(["server_vad", "semantic_vad", "low"])),
    ),
)
session = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["realtime", "transcription"]),
        "instructions": st.just(MARK),
        "tools": st.just([{"type": "function", "name": MARK}]),
        "tool_choice": st.sampled_from(["required", {"type": "function", "name": MARK}]),
        "prompt": st.just({"id": MARK}),
        "model": st.just(MARK),
        "temperature": st.floats(0, 2),
        "voice": st.one_of(st.sampled_from(["ash", "marin"]), st.just({"id": MARK})),
        "audio": st.fixed_dictionaries(
            {},
            optional={
                "input": st.fixed_dictionaries(
                    {},
                    optional={
                        "turn_detection": turn_detection,
                        "transcription": st.one_of(
                            st.none(), st.fixed_dictionaries({}, optional={"language": text, "prompt": text})
                        ),
                        "format": st.sampled_from(
                            [{"type": "audio/pcm", "rate": 24000}, {"type": "audio/x"}]
                        ),
                    },
                ),
                "output": st.fixed_dictionaries({}, optional={"voice": st.sampled_from(["ash", MARK * 20])}),
            },
        ),
    },
)
response = st.fixed_dictionaries(
    {},
    optional={
        "instructions": st.just(MARK),
        "tools": st.just([{"name": MARK}]),
        "tool_choice": st.just(MARK),
        "input": st.just([{"type": "item_reference", "id": MARK}]),
        "metadata": st.just({"k": MARK}),
        "conversation": st.just("none"),
        "output_modalities": st.sampled_from([["audio"], ["text"], ["text", "audio"], [MARK]]),
    },
)
client_frame = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES)},
    optional={
        "event_id": st.text(max_size=140),
        "session": session,
        "item": item,
        "response": st.one_of(st.none(), response),
        "audio": audio,
        "item_id": st.text(max_size=10),
        "audio_end_ms": st.integers(-5, 10_000),
        "previous_item_id": st.sampled_from(["root", MARK]),
    },
)


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def assert_nothing_forbidden(policy: RelayPolicy, event: ClientEvent) -> None:
    body = GA.client_event_to_dict(event)
    assert body["type"] in policy.allowed_events
    assert not (keys(body) & FORBIDDEN_KEYS), body
    assert "previous_item_id" not in body
    assert set(body.get("response", {})) <= policy.allowed_response_fields
    if body["type"] == "session.update":
        assert body["session"].get("type", "realtime") == "realtime"
    if "item" in body:
        assert body["item"]["type"] == "message"
        assert body["item"]["role"] in policy.allowed_roles
        assert all(p["type"] in policy.allowed_content_types for p in body["item"]["content"])
        assert (
            sum(len(p.get("text", "") or p.get("transcript", "") or "") for p in body["item"]["content"])
            <= 4000
        )
    if "audio" in body and isinstance(body["audio"], str):
        assert len(base64.b64decode(body["audio"], validate=True)) <= policy.max_append_bytes
    rest = {k: v for k, v in body.items() if k not in ("item", "event_id", "item_id")}
    assert MARK not in json.dumps(rest), body


@SETTINGS
@given(frame=client_frame)
def test_no_forbidden_client_event_or_field_is_ever_forwarded(frame: dict[str, Any]) -> None:
    for policy in POLICIES:
        result = policy.check_client_frame(json.dumps(frame))
        if isinstance(result, Refusal):
            error = result.to_error_event().error
            assert error.code == "relay_policy_violation"
            assert MARK not in error.message
        else:
            assert_nothing_forbidden(policy, result)


@SETTINGS
@given(frame=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_arbitrary_bytes_never_crash_the_check(frame: bytes | str) -> None:
    result = POLICIES[0].check_client_frame(frame)
    assert isinstance(result, (Refusal, ClientEvent))


# -- model -> client ---------------------------------------------------------------------------------------


def _call(n: int) -> FunctionCallItem:
    return FunctionCallItem(
        id=f"fc_{n}_{MARK}", call_id=f"call_{n}_{MARK}", name=f"tool_{MARK}", arguments=MARK
    )


def _message(n: int) -> MessageItem:
    return MessageItem(id=f"msg_{n}", role="assistant", content=[OutputAudioPart(transcript="hi")])


def _events_for(kind: str, n: int, previous: str) -> list[ServerEvent]:
    rid = "resp_1"
    if kind == "call":
        call = _call(n)
        return [
            ResponseOutputItemAdded(response_id=rid, output_index=n, item=call),
            ConversationItemAdded(previous_item_id=previous, item=call),
            ResponseFunctionCallArgumentsDelta(
                response_id=rid, output_index=n, item_id=call.id, call_id=call.call_id
            ),
            ResponseFunctionCallArgumentsDone(
                response_id=rid, item_id=call.id, call_id=call.call_id, name=call.name
            ),
            ResponseOutputItemDone(response_id=rid, output_index=n, item=call),
            ConversationItemDone(previous_item_id=previous, item=call),
            ConversationItemRetrieved(item=call),
            ConversationItemTruncated(item_id=call.id or ""),
        ]
    if kind == "output":
        out = FunctionCallOutputItem(id=f"out_{n}_{MARK}", call_id=f"call_{n}_{MARK}", output=MARK)
        return [ConversationItemAdded(previous_item_id=previous, item=out)]
    if kind == "system":
        item = system_text(MARK).model_copy(update={"id": f"sys_{n}_{MARK}"})
        return [ConversationItemAdded(previous_item_id=previous, item=item)]
    if kind == "session":
        config = SessionConfig(instructions=MARK, tools=[{"name": MARK}], tool_choice=MARK, voice="ash")
        return [SessionUpdated(session=config)]
    if kind == "error":
        return [ErrorEvent(error=ErrorDetail(message=MARK, param=MARK, event_id=MARK))]
    if kind == "unknown":
        return [UnknownEvent(type=f"x.{MARK}", raw={"v": MARK})]
    message = _message(n)
    return [
        ResponseOutputItemAdded(response_id=rid, output_index=n, item=message),
        ConversationItemAdded(previous_item_id=previous, item=message),
        ResponseAudioDelta(response_id=rid, item_id=message.id or "", output_index=n, delta="AAAA"),
    ]


@SETTINGS
@given(
    kinds=st.lists(st.sampled_from(["call", "output", "system", "session", "error", "unknown", "message"]))
)
def test_no_operator_secret_ever_reaches_the_client(kinds: list[str]) -> None:
    policy = RelayPolicy()
    state = policy.new_connection_state()
    stream: list[ServerEvent] = [ResponseCreated(response=Response(id="resp_1"))]
    items: list[Any] = []
    previous = "root"
    for n, kind in enumerate(kinds):
        events = _events_for(kind, n, previous)
        stream += events
        added = [e.item for e in events if isinstance(e, ConversationItemAdded)]
        items += added
        previous = added[-1].id if added else previous
    stream.append(ResponseDone(response=Response(id="resp_1", output=items, metadata={"m": MARK})))
    shown = [e for e in (policy.sanitize_server_event(ev, state) for ev in stream) if e is not None]
    text = "\n".join(GA.encode_server_event(e) for e in shown)
    assert MARK not in text
    visible = [e.output_index for e in shown if isinstance(e, ResponseOutputItemAdded)]
    assert visible == list(range(len(visible)))
