"""What a dialect cannot carry is refused before sending, and names survive a server's second trip."""

from __future__ import annotations

import json

import pytest

from agentkit.protocol import (
    Codec,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    Dialect,
    EncodeError,
    InputAudioTranscriptionUpdated,
    InputImagePart,
    MessageItem,
    Ping,
    RateLimit,
    RateLimitsUpdated,
    ResponseCreate,
    ResponseParams,
    SessionConfig,
    SessionUpdate,
    user_text,
)
from tests.protocol.oracle import assert_valid_server_frame

_CREATED = {
    "type": "conversation.item.created",
    "event_id": "event_1",
    "previous_item_id": None,
    "item": {
        "id": "item_1",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    },
}


def test_a_custom_voice_cannot_go_over_the_preview() -> None:
    update = SessionUpdate(session=SessionConfig(voice={"id": "voice_1234"}))
    with pytest.raises(EncodeError, match="voice name") as caught:
        Codec(Dialect.PREVIEW).encode_client_event(update)
    assert "GA endpoint" in str(caught.value)


def test_a_named_voice_object_becomes_the_preview_name() -> None:
    update = SessionUpdate(session=SessionConfig(voice={"name": "alloy", "type": "openai"}))
    wire = json.loads(Codec(Dialect.PREVIEW).encode_client_event(update))
    assert wire["session"]["voice"] == "alloy"


def test_a_response_voice_object_is_checked_for_the_preview_too() -> None:
    create = ResponseCreate(response=ResponseParams(voice={"id": "voice_1234"}))
    with pytest.raises(EncodeError):
        Codec(Dialect.PREVIEW).encode_client_event(create)


def test_voice_live_keeps_voices_as_objects() -> None:
    voice = {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard"}
    wire = json.loads(
        Codec(Dialect.VOICE_LIVE).encode_client_event(SessionUpdate(session=SessionConfig(voice=voice)))
    )
    assert wire["session"]["voice"] == voice


def _image_item() -> MessageItem:
    return MessageItem(role="user", content=[InputImagePart(image_url="data:image/png;base64,iVBORw0KGgo=")])


def test_images_cannot_go_over_the_preview() -> None:
    with pytest.raises(EncodeError, match="input_image"):
        Codec(Dialect.PREVIEW).encode_client_event(ConversationItemCreate(item=_image_item()))
    out_of_band = ResponseCreate(response=ResponseParams(input=[_image_item().model_dump(exclude_none=True)]))
    with pytest.raises(EncodeError, match="input_image"):
        Codec(Dialect.PREVIEW).encode_client_event(out_of_band)


def test_images_still_go_over_ga() -> None:
    wire = json.loads(Codec(Dialect.GA).encode_client_event(ConversationItemCreate(item=_image_item())))
    assert wire["item"]["content"][0]["type"] == "input_image"


def test_text_items_still_go_over_the_preview() -> None:
    wire = json.loads(
        Codec(Dialect.PREVIEW).encode_client_event(ConversationItemCreate(item=user_text("hi")))
    )
    assert wire["item"]["content"][0] == {"type": "input_text", "text": "hi"}


def test_ga_item_created_keeps_its_name_through_a_server() -> None:
    codec = Codec(Dialect.GA)
    event = codec.decode_server_event(json.dumps(_CREATED))
    assert isinstance(event, ConversationItemCreated)
    assert isinstance(event, ConversationItemAdded)  # handled wherever "an item was added" is
    assert json.loads(codec.encode_server_event(event))["type"] == "conversation.item.created"


def test_preview_item_created_is_the_added_event() -> None:
    codec = Codec(Dialect.PREVIEW)
    event = codec.decode_server_event(json.dumps(_CREATED))
    assert type(event) is ConversationItemAdded
    frame = codec.encode_server_event(event)
    assert json.loads(frame)["type"] == "conversation.item.created"
    assert_valid_server_frame(Dialect.PREVIEW, frame)


@pytest.mark.parametrize("dialect", [Dialect.GA, Dialect.PREVIEW])
def test_a_rate_limit_without_a_name_is_sent_without_one(dialect: Dialect) -> None:
    codec = Codec(dialect)
    event = codec.decode_server_event(
        '{"type":"rate_limits.updated","event_id":"event_9","rate_limits":[{"limit":5,"remaining":4}]}'
    )
    assert isinstance(event, RateLimitsUpdated)
    assert event.rate_limits == [RateLimit(limit=5, remaining=4)]
    frame = codec.encode_server_event(event)
    assert "name" not in json.loads(frame)["rate_limits"][0]
    assert_valid_server_frame(dialect, frame)


def test_xai_partial_transcripts_and_pings_are_known_events() -> None:
    codec = Codec(Dialect.GA)
    updated = codec.decode_server_event(
        '{"type":"conversation.item.input_audio_transcription.updated",'
        '"item_id":"item_1","transcript":"Where is"}'
    )
    assert updated == InputAudioTranscriptionUpdated(item_id="item_1", transcript="Where is")
    assert isinstance(codec.decode_server_event('{"type":"ping"}'), Ping)
