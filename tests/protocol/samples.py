"""Realistic canonical events, at least one of every kind, for round-trip and conformance tests.

Values follow what real servers send (ids with their usual prefixes, 24 kHz PCM16 audio as base64,
usage with token details). Samples take the dialect because a few things exist in one dialect only
(GA-only events, `temperature` in preview, GA's extra transcription settings).
"""

from __future__ import annotations

import base64
from typing import Any

from agentkit.protocol import (
    ConversationCreated,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    Dialect,
    ErrorDetail,
    ErrorEvent,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCleared,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferDtmfEventReceived,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    InputAudioClear,
    InputAudioPart,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    InputAudioTranscriptionSegment,
    InputAudioTranscriptionUpdated,
    InputAudioTurnAppend,
    InputAudioTurnCancel,
    InputAudioTurnEnd,
    InputAudioTurnStart,
    InputImagePart,
    InputTextPart,
    InputTranscription,
    McpListToolsCompleted,
    McpListToolsFailed,
    McpListToolsInProgress,
    MessageItem,
    NoiseReduction,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    OutputAudioPart,
    OutputTextPart,
    Ping,
    RateLimit,
    RateLimitsUpdated,
    Response,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseCancel,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseMcpCallArgumentsDelta,
    ResponseMcpCallArgumentsDone,
    ResponseMcpCallCompleted,
    ResponseMcpCallFailed,
    ResponseMcpCallInProgress,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseParams,
    ResponseTextDelta,
    ResponseTextDone,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    StatusDetails,
    TokenDetails,
    TurnDetection,
    Usage,
    WarningDetail,
    WarningEvent,
)
from agentkit.protocol.client_events import ClientEvent
from agentkit.protocol.events import ServerEvent

AUDIO_4800 = base64.b64encode(bytes(range(256)) * 18 + bytes(range(192))).decode("ascii")
"""100 ms of 24 kHz PCM16 (4800 bytes), base64: what one audio delta usually carries."""

RESP = "resp_CdQ3xEc6vYkq0Z2Uf7Hn1"
MSG = "item_CdQ3xF0a9Kqm1tBv2Lc3d"
CALL_ITEM = "item_CdQ3xG7pS5wXn8rYe4Jk2"
USER_ITEM = "item_CdQ3wZ1uX4mNq7rT0aB9c"
CALL = "call_Jq2mV8xL0pR5tN1k"

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def _turn_detection(dialect: Dialect) -> TurnDetection:
    extra = {"idle_timeout_ms": 6000} if dialect is Dialect.GA else {}
    return TurnDetection(
        type="server_vad",
        threshold=0.5,
        prefix_padding_ms=300,
        silence_duration_ms=200,
        create_response=True,
        interrupt_response=True,
        **extra,
    )


def _voice(dialect: Dialect) -> str | dict[str, object]:
    if dialect is Dialect.VOICE_LIVE:
        return {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard", "temperature": 0.8}
    return "marin" if dialect is Dialect.GA else "alloy"


def realtime_session(dialect: Dialect, *, server: bool) -> SessionConfig:
    """A full realtime session as a server reports it (`server=True`) or a client sets it."""
    fields: dict[str, object] = {
        "instructions": "You are a helpful, concise assistant.",
        "voice": _voice(dialect),
        "speed": 1.0,
        "output_modalities": ["audio"],
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_transcription": InputTranscription(model="gpt-4o-mini-transcribe", language="en"),
        "input_audio_noise_reduction": NoiseReduction(type="near_field"),
        "turn_detection": _turn_detection(dialect),
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": "auto",
    }
    if dialect is Dialect.GA:
        fields.update(type="realtime", parallel_tool_calls=True, truncation="auto")
    else:
        fields.update(temperature=0.8)
    if server:
        fields.update(model="gpt-realtime" if dialect is Dialect.GA else "gpt-4o-realtime-preview-2024-12-17")
        fields.update(id="sess_CdQ3vR9tKx2mLp0qWe7Yz")
        if dialect is Dialect.GA:
            fields.update(expires_at=1765432100)
    return SessionConfig(**fields)  # type: ignore[arg-type]


def _transcription_sessions(dialect: Dialect, *kinds: Any) -> list[Any]:
    """Voice Live has no transcription-only sessions; the OpenAI dialects do."""
    if dialect is Dialect.VOICE_LIVE:
        return []
    return [kind(session=transcription_session(dialect)) for kind in kinds]


def transcription_session(dialect: Dialect) -> SessionConfig:
    return SessionConfig(
        type="transcription",
        input_audio_format="pcm16",
        input_audio_transcription=InputTranscription(
            model="gpt-4o-transcribe", language="de", prompt="Namen"
        ),
        input_audio_noise_reduction=NoiseReduction(type="far_field"),
        turn_detection=TurnDetection(type="server_vad", threshold=0.6, silence_duration_ms=500),
        include=["item.input_audio_transcription.logprobs"],
    )


def _assistant_message(dialect: Dialect, status: str, transcript: str) -> MessageItem:
    return MessageItem(
        id=MSG,
        role="assistant",
        status=status,
        content=[OutputAudioPart(transcript=transcript)],
    )


def _function_call(status: str, arguments: str) -> FunctionCallItem:
    return FunctionCallItem(
        id=CALL_ITEM, call_id=CALL, name="get_weather", arguments=arguments, status=status
    )


def _user_message(dialect: Dialect) -> MessageItem:
    parts: list[object] = [
        InputTextPart(text="What's the weather in Paris?"),
        InputAudioPart(transcript="and in Berlin?"),
    ]
    if dialect is Dialect.GA:
        parts.append(InputImagePart(image_url="data:image/png;base64,iVBORw0KGgo=", detail="auto"))
    return MessageItem(id=USER_ITEM, role="user", status="completed", content=parts)  # type: ignore[arg-type]


def _response(dialect: Dialect, status: str) -> Response:
    done = status != "in_progress"
    return Response(
        id=RESP,
        status=status,
        status_details=StatusDetails(type=status) if done else None,
        output=[
            _assistant_message(dialect, "completed", "Let me check."),
            _function_call("completed", '{"city": "Paris"}'),
        ]
        if done
        else [],
        usage=Usage(
            total_tokens=320,
            input_tokens=132,
            output_tokens=188,
            input_token_details=TokenDetails(text_tokens=59, audio_tokens=73, cached_tokens=64),
            output_token_details=TokenDetails(text_tokens=41, audio_tokens=147),
        )
        if done
        else None,
        conversation_id="conv_CdQ3vS0uLy3nMq1rXf8Za",
        metadata={"topic": "weather"},
        output_modalities=["audio"],
        max_output_tokens="inf",
    )


def server_events(dialect: Dialect) -> list[ServerEvent]:
    """At least one of every server event the dialect has, with realistic values."""
    ids = iter(f"event_CdQ3{n:04d}xYz" for n in range(1000))
    in_content = {"response_id": RESP, "item_id": MSG, "output_index": 0, "content_index": 0}
    in_call = {"response_id": RESP, "item_id": CALL_ITEM, "output_index": 1, "call_id": CALL}
    events: list[ServerEvent] = [
        SessionCreated(session=realtime_session(dialect, server=True)),
        SessionUpdated(session=realtime_session(dialect, server=True)),
        *_transcription_sessions(dialect, SessionCreated, SessionUpdated),
        ErrorEvent(
            error=ErrorDetail(
                type="invalid_request_error",
                code="conversation_already_has_active_response",
                message=f"Conversation already has an active response in progress: {RESP}.",
                param=None,
                event_id="evt_client_0007",
            )
        ),
        ErrorEvent(error=ErrorDetail(type="server_error", message="The server had an error.")),
        RateLimitsUpdated(
            rate_limits=[
                RateLimit(name="requests", limit=5000, remaining=4999, reset_seconds=0.012),
                RateLimit(name="tokens", limit=40000, remaining=39812, reset_seconds=0.282),
            ]
        ),
        ConversationCreated(
            conversation={"id": "conv_CdQ3vS0uLy3nMq1rXf8Za", "object": "realtime.conversation"}
        ),
        ConversationItemAdded(previous_item_id=None, item=_user_message(dialect)),
        ConversationItemAdded(previous_item_id=USER_ITEM, item=_function_call("in_progress", "")),
        ConversationItemRetrieved(item=_assistant_message(dialect, "completed", "It is sunny.")),
        ConversationItemRetrieved(
            item=FunctionCallOutputItem(
                id="item_out1", call_id=CALL, output='{"temp_c": 21}', status="completed"
            )
        ),
        ConversationItemDeleted(item_id=USER_ITEM),
        ConversationItemTruncated(item_id=MSG, content_index=0, audio_end_ms=1450),
        InputAudioTranscriptionDelta(item_id=USER_ITEM, content_index=0, delta="What's the"),
        InputAudioTranscriptionCompleted(
            item_id=USER_ITEM,
            content_index=0,
            transcript="What's the weather in Paris?",
            usage={"type": "duration", "seconds": 2.4},
        ),
        InputAudioTranscriptionCompleted(
            item_id=USER_ITEM,
            content_index=0,
            transcript="Hallo.",
            usage={
                "type": "tokens",
                "input_tokens": 31,
                "output_tokens": 4,
                "total_tokens": 35,
                "input_token_details": {"text_tokens": 0, "audio_tokens": 31},
            },
        ),
        InputAudioTranscriptionFailed(
            item_id=USER_ITEM,
            content_index=0,
            error=ErrorDetail(type="transcription_error", code="audio_unintelligible", message="No speech."),
        ),
        InputAudioBufferCommitted(previous_item_id=MSG, item_id=USER_ITEM),
        InputAudioBufferCleared(),
        InputAudioBufferSpeechStarted(audio_start_ms=1024, item_id=USER_ITEM),
        InputAudioBufferSpeechStopped(audio_end_ms=3360, item_id=USER_ITEM),
        InputAudioBufferTimeoutTriggered(audio_start_ms=3360, audio_end_ms=9360, item_id=USER_ITEM),
        OutputAudioBufferStarted(response_id=RESP),
        OutputAudioBufferStopped(response_id=RESP),
        OutputAudioBufferCleared(response_id=RESP),
        InputAudioTranscriptionUpdated(item_id=USER_ITEM, content_index=0, transcript="What's the weather"),
        Ping(),
        WarningEvent(warning=WarningDetail(code="voice_fallback", message="The voice is not available.")),
        ResponseCreated(response=_response(dialect, "in_progress")),
        ResponseDone(response=_response(dialect, "completed")),
        ResponseDone(
            response=Response(
                id=RESP,
                status="failed",
                status_details=StatusDetails(
                    type="failed",
                    error=ErrorDetail(type="server_error", code="internal_error", message="Try again."),
                ),
            )
        ),
        ResponseDone(
            response=Response(
                id=RESP,
                status="cancelled",
                status_details=StatusDetails(type="cancelled", reason="turn_detected"),
            )
        ),
        ResponseOutputItemAdded(
            response_id=RESP, output_index=0, item=_assistant_message(dialect, "in_progress", "")
        ),
        ResponseOutputItemDone(
            response_id=RESP, output_index=0, item=_assistant_message(dialect, "completed", "Let me check.")
        ),
        ResponseOutputItemDone(
            response_id=RESP, output_index=1, item=_function_call("completed", '{"city":"Paris"}')
        ),
        ResponseContentPartAdded(**in_content, part=OutputAudioPart(transcript="")),
        ResponseContentPartDone(**in_content, part=OutputAudioPart(transcript="Let me check.")),
        ResponseContentPartDone(**in_content, part=OutputTextPart(text="Let me check.")),
        ResponseTextDelta(**in_content, delta="Let me"),
        ResponseTextDone(**in_content, text="Let me check."),
        ResponseAudioDelta(**in_content, delta=AUDIO_4800),
        ResponseAudioDone(**in_content),
        ResponseAudioTranscriptDelta(**in_content, delta=" check."),
        ResponseAudioTranscriptDone(**in_content, transcript="Let me check."),
        ResponseFunctionCallArgumentsDelta(**in_call, delta='{"city":'),
        ResponseFunctionCallArgumentsDone(
            **in_call, arguments='{"city":"Paris"}', name="get_weather" if dialect is Dialect.GA else None
        ),
    ]
    if dialect is Dialect.GA:
        mcp = {"item_id": "mcp_CdQ3x1", "output_index": 2}
        events += [
            ConversationItemCreated(previous_item_id=None, item=_user_message(dialect)),
            ConversationItemDone(
                previous_item_id=USER_ITEM, item=_function_call("completed", '{"city":"Paris"}')
            ),
            InputAudioTranscriptionSegment(
                item_id=USER_ITEM,
                content_index=0,
                id="seg_1",
                start=0.0,
                end=1.75,
                speaker="A",
                text="Hi there.",
            ),
            InputAudioBufferDtmfEventReceived(event="5", received_at=1765432001),
            ResponseMcpCallArgumentsDelta(response_id=RESP, **mcp, delta='{"q":'),
            ResponseMcpCallArgumentsDone(response_id=RESP, **mcp, arguments='{"q":"docs"}'),
            ResponseMcpCallInProgress(**mcp),
            ResponseMcpCallCompleted(**mcp),
            ResponseMcpCallFailed(**mcp),
            McpListToolsInProgress(item_id="mcpl_CdQ3x2"),
            McpListToolsCompleted(item_id="mcpl_CdQ3x2"),
            McpListToolsFailed(item_id="mcpl_CdQ3x2"),
        ]
    for event in events:
        event.event_id = next(ids)
    return events


def client_events(dialect: Dialect) -> list[ClientEvent]:
    """At least one of every client event, as a client would send it in the dialect."""
    ga = dialect is Dialect.GA
    events: list[ClientEvent] = [
        SessionUpdate(session=realtime_session(dialect, server=False)),
        SessionUpdate(
            session=SessionConfig(
                instructions="Answer in French.", turn_detection=None, **({"type": "realtime"} if ga else {})
            )
        ),
        *_transcription_sessions(dialect, SessionUpdate),
        InputAudioBufferAppend(audio=AUDIO_4800),
        InputAudioBufferCommit(),
        InputAudioBufferClear(),
        OutputAudioBufferClear(),
        ConversationItemCreate(
            item=MessageItem(role="user", content=[InputTextPart(text="What's the weather in Paris?")])
        ),
        ConversationItemCreate(
            previous_item_id="root",
            item=MessageItem(role="system", content=[InputTextPart(text="The user is in France.")]),
        ),
        ConversationItemCreate(
            item=MessageItem(role="assistant", content=[OutputTextPart(text="Bonjour !")])
        ),
        ConversationItemCreate(item=MessageItem(role="user", content=[InputAudioPart(audio=AUDIO_4800)])),
        ConversationItemCreate(item=FunctionCallOutputItem(call_id=CALL, output='{"temp_c": 21}')),
        ConversationItemCreate(
            item=FunctionCallItem(call_id=CALL, name="get_weather", arguments='{"city":"Paris"}')
        ),
        ConversationItemRetrieve(item_id=MSG),
        ConversationItemTruncate(item_id=MSG, content_index=0, audio_end_ms=1450),
        ConversationItemDelete(item_id=USER_ITEM),
        ResponseCreate(),
        ResponseCreate(
            response=ResponseParams(
                output_modalities=["text"],
                instructions="Summarise the call in one sentence.",
                voice=_voice(dialect),
                output_audio_format="g711_ulaw",
                tools=[WEATHER_TOOL],
                tool_choice="required",
                max_output_tokens=512,
                conversation="none",
                metadata={"purpose": "summary"},
                **({} if ga else {"temperature": 0.7}),
            )
        ),
        ResponseCancel(),
        ResponseCancel(response_id=RESP),
    ]
    if dialect is Dialect.VOICE_LIVE:
        events += [
            InputAudioTurnStart(turn_id="turn_1"),
            InputAudioTurnAppend(turn_id="turn_1", audio=AUDIO_4800),
            InputAudioTurnEnd(turn_id="turn_1"),
            InputAudioTurnCancel(turn_id="turn_2"),
            InputAudioClear(),
        ]
    if ga:
        events.append(
            ConversationItemCreate(
                item=MessageItem(
                    role="user",
                    content=[InputImagePart(image_url="data:image/png;base64,iVBORw0KGgo=", detail="high")],
                )
            )
        )
    for n, event in enumerate(events):
        event.event_id = f"evt_client_{n:04d}"
    return events
