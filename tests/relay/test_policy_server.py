"""Model -> client: no instructions, tool schemas or tool-call data ever reach the client."""

from __future__ import annotations

import json

import pytest

from agentkit.protocol import (
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
    InputAudioBufferCommitted,
    InputAudioTranscriptionCompleted,
    MessageItem,
    OutputAudioPart,
    ProtocolError,
    Response,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseMcpCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdated,
    StatusDetails,
    TurnDetection,
    UnknownEvent,
    UnknownItem,
    system_text,
    user_text,
)
from agentkit.relay import RelayPolicy, SanitizerState, ToolActivity

GA = Codec(Dialect.GA)
POLICY = RelayPolicy()
SECRETS = ("SYSTEM-PROMPT", "lookup_order", "ORDER-4711", "call_8Kd2", "fc_item_1", "resp_meta_secret")


def wire(event: ServerEvent) -> str:
    return GA.encode_server_event(event)


def assert_no_secrets(events: list[ServerEvent]) -> None:
    text = "\n".join(wire(e) for e in events)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked to the client"


def run(events: list[ServerEvent], policy: RelayPolicy = POLICY) -> list[ServerEvent]:
    state = policy.new_connection_state()
    return [e for e in (policy.sanitize_server_event(ev, state) for ev in events) if e is not None]


def assistant(item_id: str, transcript: str = "") -> MessageItem:
    return MessageItem(id=item_id, role="assistant", content=[OutputAudioPart(transcript=transcript)])


def function_call() -> FunctionCallItem:
    return FunctionCallItem(
        id="fc_item_1", call_id="call_8Kd2", name="lookup_order", arguments='{"o":"ORDER-4711"}'
    )


def tool_round() -> list[ServerEvent]:
    """A response: spoken preamble (output 0), a function call (1), more speech (2); then its output."""
    call = function_call()
    before, after = assistant("msg_a", "One moment."), assistant("msg_b", "Found it.")
    audio = {"response_id": "resp_1", "content_index": 0, "delta": "AAAA"}
    return [
        ResponseCreated(response=Response(id="resp_1", metadata={"k": "resp_meta_secret"})),
        ResponseOutputItemAdded(response_id="resp_1", output_index=0, item=before),
        ConversationItemAdded(previous_item_id="msg_user", item=before),
        ResponseAudioDelta(item_id="msg_a", output_index=0, **audio),
        ResponseOutputItemDone(response_id="resp_1", output_index=0, item=before),
        ResponseOutputItemAdded(
            response_id="resp_1", output_index=1, item=call.model_copy(update={"arguments": ""})
        ),
        ConversationItemAdded(previous_item_id="msg_a", item=call),
        ResponseFunctionCallArgumentsDelta(
            response_id="resp_1",
            output_index=1,
            item_id="fc_item_1",
            call_id="call_8Kd2",
            delta='{"o":"ORDER-4711"',
        ),
        ResponseFunctionCallArgumentsDone(
            response_id="resp_1",
            output_index=1,
            item_id="fc_item_1",
            call_id="call_8Kd2",
            arguments=call.arguments,
            name="lookup_order",
        ),
        ResponseOutputItemDone(response_id="resp_1", output_index=1, item=call),
        ConversationItemDone(previous_item_id="msg_a", item=call),
        ResponseOutputItemAdded(response_id="resp_1", output_index=2, item=after),
        ConversationItemAdded(previous_item_id="fc_item_1", item=after),
        ResponseAudioDelta(item_id="msg_b", output_index=2, **audio),
        ResponseAudioTranscriptDelta(
            response_id="resp_1", item_id="msg_b", output_index=2, content_index=0, delta="Found"
        ),
        ResponseDone(
            response=Response(
                id="resp_1",
                status="completed",
                output=[before, call, after],
                metadata={"k": "resp_meta_secret"},
            )
        ),
        ConversationItemAdded(
            previous_item_id="msg_b",
            item=FunctionCallOutputItem(id="out_1", call_id="call_8Kd2", output="ORDER-4711 shipped"),
        ),
        InputAudioBufferCommitted(previous_item_id="out_1", item_id="msg_user_2"),
        ConversationItemAdded(
            previous_item_id="out_1", item=user_text("thanks").model_copy(update={"id": "msg_user_2"})
        ),
    ]


def test_session_events_lose_instructions_tools_and_tool_choice() -> None:
    session = SessionConfig.model_validate(
        {
            "type": "realtime",
            "id": "sess_1",
            "model": "gpt-realtime",
            "instructions": "SYSTEM-PROMPT: be nice",
            "tools": [{"type": "function", "name": "lookup_order", "parameters": {"type": "object"}}],
            "tool_choice": {"type": "function", "name": "lookup_order"},
            "prompt": {"id": "pmpt_1", "variables": {"x": "SYSTEM-PROMPT"}},
            "tracing": {"workflow_name": "lookup_order"},
            "voice": "marin",
            "input_audio_transcription": {
                "model": "whisper-1",
                "prompt": "SYSTEM-PROMPT words",
                "language": "en",
            },
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 200},
        }
    )
    for cls in (SessionCreated, SessionUpdated):
        [shown] = run([cls(session=session)])
        assert isinstance(shown, cls)
        assert_no_secrets([shown])
        body = json.loads(wire(shown))["session"]
        assert set(body) == {"type", "id", "object", "audio"}
        assert body["audio"]["output"] == {"voice": "marin"}
        assert body["audio"]["input"]["transcription"] == {"model": "whisper-1", "language": "en"}
        assert shown.session.turn_detection == TurnDetection(type="server_vad", silence_duration_ms=200)


def test_a_tool_round_shows_only_the_conversation() -> None:
    shown = run(tool_round())
    assert_no_secrets(shown)
    kinds = [type(e).__name__ for e in shown]
    assert "ResponseFunctionCallArgumentsDelta" not in kinds
    assert "ResponseFunctionCallArgumentsDone" not in kinds
    items = [e.item for e in shown if isinstance(e, (ConversationItemAdded, ResponseOutputItemAdded))]
    assert all(isinstance(item, MessageItem) for item in items)


def test_output_indexes_are_renumbered_around_hidden_calls() -> None:
    shown = run(tool_round())
    indexes = {
        (e.item_id if hasattr(e, "item_id") else e.item.id, e.output_index)
        for e in shown
        if hasattr(e, "output_index")
    }  # type: ignore[attr-defined]
    assert indexes == {("msg_a", 0), ("msg_b", 1)}


def test_response_output_lists_only_visible_items_and_no_metadata() -> None:
    done = [e for e in run(tool_round()) if isinstance(e, ResponseDone)]
    assert [item.id for item in done[0].response.output] == ["msg_a", "msg_b"]  # type: ignore[union-attr]
    assert done[0].response.metadata is None
    assert done[0].response.status == "completed"


def test_previous_item_links_skip_hidden_items() -> None:
    shown = run(tool_round())
    links = {e.item.id: e.previous_item_id for e in shown if isinstance(e, ConversationItemAdded)}
    assert links == {"msg_a": "msg_user", "msg_b": "msg_a", "msg_user_2": "msg_b"}
    [committed] = [e for e in shown if isinstance(e, InputAudioBufferCommitted)]
    assert committed.previous_item_id == "msg_b"


def test_later_events_about_hidden_items_stay_hidden() -> None:
    policy = POLICY
    state = policy.new_connection_state()
    for event in tool_round():
        policy.sanitize_server_event(event, state)
    for later in (
        ConversationItemRetrieved(item=function_call()),
        ConversationItemTruncated(item_id="fc_item_1"),
        InputAudioTranscriptionCompleted(item_id="out_1", transcript="ORDER-4711"),
    ):
        assert policy.sanitize_server_event(later, state) is None
    assert (
        policy.sanitize_server_event(ConversationItemTruncated(item_id="msg_b", audio_end_ms=300), state)
        is not None
    )


def test_argument_events_alone_are_hidden_and_remembered() -> None:
    state = POLICY.new_connection_state()
    delta = ResponseFunctionCallArgumentsDelta(item_id="fc_item_1", call_id="call_8Kd2", delta="{")
    assert POLICY.sanitize_server_event(delta, state) is None
    assert POLICY.sanitize_server_event(ConversationItemTruncated(item_id="fc_item_1"), state) is None


@pytest.mark.parametrize(
    "event",
    [
        ConversationItemAdded(item=system_text("SYSTEM-PROMPT: the customer is VIP")),
        ConversationItemAdded(
            item=UnknownItem.model_validate({"type": "mcp_list_tools", "tools": ["lookup_order"]})
        ),
        ResponseMcpCallArgumentsDone(item_id="mcp_1", arguments='{"o": "ORDER-4711"}'),
        UnknownEvent(
            type="response.secret_thing", raw={"type": "response.secret_thing", "x": "SYSTEM-PROMPT"}
        ),
        ProtocolError(message="bad", frame='{"instructions": "SYSTEM-PROMPT"}'),
    ],
)
def test_system_messages_mcp_unknown_and_broken_events_are_dropped(event: ServerEvent) -> None:
    assert run([event]) == []


def test_errors_about_the_clients_own_events_pass_whole() -> None:
    state = POLICY.new_connection_state()
    state.remember_client_event("evt_client_7")
    mine = ErrorEvent(
        error=ErrorDetail(
            type="invalid_request_error", code="x", message="bad voice", event_id="evt_client_7"
        )
    )
    assert POLICY.sanitize_server_event(mine, state) == mine


def test_other_errors_keep_only_their_type_and_code() -> None:
    theirs = ErrorEvent(
        event_id="evt_up",
        error=ErrorDetail(
            type="invalid_request_error",
            code="invalid_value",
            message="Invalid tool lookup_order: SYSTEM-PROMPT",
            param="session.tools[0]",
            event_id="evt_session_internal",
        ),
    )
    [shown] = run([theirs])
    assert isinstance(shown, ErrorEvent)
    assert_no_secrets([shown])
    assert (shown.error.type, shown.error.code, shown.error.param, shown.error.event_id) == (
        "invalid_request_error",
        "invalid_value",
        None,
        None,
    )


def test_failed_response_details_are_generic() -> None:
    failed = Response(
        id="resp_2",
        status="failed",
        status_details=StatusDetails(
            type="failed", error=ErrorDetail(type="server_error", message="lookup_order blew up")
        ),
    )
    [shown] = run([ResponseDone(response=failed)])
    assert_no_secrets([shown])
    assert shown.response.status_details.error.type == "server_error"  # type: ignore[attr-defined,union-attr]


def test_state_is_per_connection() -> None:
    first, second = POLICY.new_connection_state(), POLICY.new_connection_state()
    for event in tool_round():
        POLICY.sanitize_server_event(event, first)
    assert "fc_item_1" in first.hidden_items
    assert second.hidden_items == {}
    first.remember_client_event("e1")
    assert not second.sent_by_client("e1")
    assert "fc_item_1" not in repr(first)


def test_audio_passes_through_without_copies_when_nothing_is_hidden() -> None:
    state = SanitizerState()
    delta = ResponseAudioDelta(response_id="r", item_id="m", output_index=0, content_index=0, delta="AAAA")
    assert POLICY.sanitize_server_event(delta, state) is delta


# -- tool notices ------------------------------------------------------------------------------------------


def test_notices_are_off_by_default() -> None:
    assert (
        POLICY.tool_activity(SanitizerState(), call_id="call_8Kd2", name="lookup_order", phase="started")
        is None
    )


def test_notices_pair_up_with_an_opaque_id_and_the_operators_label() -> None:
    policy = RelayPolicy(tool_notices=True, tool_labels={"lookup_order": "Looking up your order"})
    state = policy.new_connection_state()
    started = policy.tool_activity(state, call_id="call_8Kd2", name="lookup_order", phase="started", ok=True)
    finished = policy.tool_activity(
        state, call_id="call_8Kd2", name="lookup_order", phase="finished", ok=False
    )
    assert isinstance(started, ToolActivity)
    assert isinstance(finished, ToolActivity)
    assert started.call_id == finished.call_id
    assert (started.label, started.phase, started.ok) == ("Looking up your order", "started", None)
    assert (finished.phase, finished.ok) == ("finished", False)
    assert state.tool_calls == {}
    assert_no_secrets([started, finished])
    body = json.loads(wire(finished))
    assert body["type"] == "agentkit.tool_activity"
    assert set(body) == {"type", "event_id", "call_id", "label", "phase", "ok"}
    assert policy.sanitize_server_event(finished, state) is finished


def test_unlabelled_tools_show_their_name_or_the_default_label() -> None:
    named = RelayPolicy(tool_notices=True)
    assert (
        named.tool_activity(SanitizerState(), call_id="c", name="get_weather", phase="started").label
        == "get_weather"
    )  # type: ignore[union-attr]
    generic = RelayPolicy(tool_notices=True, default_tool_label="Working on it")
    assert (
        generic.tool_activity(SanitizerState(), call_id="c", name="get_weather", phase="started").label
        == "Working on it"
    )  # type: ignore[union-attr]


def test_two_connections_get_different_opaque_ids_for_the_same_call() -> None:
    policy = RelayPolicy(tool_notices=True)
    ids = {
        policy.tool_activity(SanitizerState(), call_id="call_8Kd2", name="t", phase="started").call_id  # type: ignore[union-attr]
        for _ in range(2)
    }
    assert len(ids) == 2
