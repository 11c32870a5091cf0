"""Events the relay forwards keep the name the service used (GA's `conversation.item.created`)."""

from __future__ import annotations

import json

from agentkit.protocol import Codec, Dialect, FunctionCallItem, InputAudioTranscriptionUpdated, Ping
from agentkit.relay import RelayPolicy

GA = Codec(Dialect.GA)


def _created(item: dict[str, object]) -> str:
    return json.dumps({"type": "conversation.item.created", "event_id": "event_1", "item": item})


def test_a_user_item_created_reaches_the_client_under_its_own_name() -> None:
    policy = RelayPolicy()
    state = policy.new_connection_state()
    item = {
        "id": "item_1",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    shown = policy.sanitize_server_event(GA.decode_server_event(_created(item)), state)
    assert shown is not None
    assert json.loads(GA.encode_server_event(shown))["type"] == "conversation.item.created"


def test_a_function_call_item_created_stays_hidden_like_an_added_one() -> None:
    policy = RelayPolicy()
    state = policy.new_connection_state()
    item = FunctionCallItem(id="fc_1", call_id="call_1", name="lookup_order", arguments="{}").model_dump()
    assert policy.sanitize_server_event(GA.decode_server_event(_created(item)), state) is None


def test_partial_transcripts_are_shown_and_pings_are_not() -> None:
    policy = RelayPolicy()
    state = policy.new_connection_state()
    partial = InputAudioTranscriptionUpdated(item_id="item_1", transcript="Where is")
    assert policy.sanitize_server_event(partial, state) == partial
    assert policy.sanitize_server_event(Ping(), state) is None
