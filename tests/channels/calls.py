"""Shared pieces for call tests: speech the local server hears, and queries on a call's state."""

from __future__ import annotations

from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem, MessageItem, ResponseCreate
from agentkit.session import ReconnectPolicy
from agentkit.testing.audio import spoken
from agentkit.testing.calls import LocalCall
from agentkit.testing.speech import silence

FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)


def utterance(text: str) -> bytes:
    """What a caller's microphone sends: a little quiet, the words, then enough quiet to end the turn."""
    return silence(300) + spoken(text) + silence(1200)


def outputs_in_conversation(call: LocalCall) -> list[FunctionCallOutputItem]:
    """The function_call_output items the call's model will see."""
    return [
        item for item in call.connection.conversation.for_model() if isinstance(item, FunctionCallOutputItem)
    ]


def assistant_texts(call: LocalCall) -> list[str]:
    return [
        item.text
        for item in call.connection.conversation.for_model()
        if isinstance(item, MessageItem) and item.role == "assistant"
    ]


def creates(call: LocalCall) -> list[ResponseCreate]:
    return [event for event in call.connection.received if isinstance(event, ResponseCreate)]


def posted_outputs(call: LocalCall) -> list[str]:
    """The call ids of every function_call_output anyone posted to the call."""
    return [
        event.item.call_id
        for event in call.connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem)
    ]
