"""Model -> client: what one client connection may see of the upstream session.

The client sees its conversation (user and assistant messages, audio, transcripts) and nothing of
the operator's: no instructions, no tool schemas, no function calls, arguments or outputs, no MCP
traffic, no system messages. Hidden items are hidden everywhere they could show up: their own
events, `response.done`'s output list, `previous_item_id` links (re-pointed at the nearest visible
item) and `output_index` (renumbered so the visible outputs count 0, 1, 2...). Unknown event types
are dropped: deny by default. State is per connection, in `SanitizerState`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from agentkit.protocol import (
    ConversationCreated,
    ConversationItemAdded,
    ConversationItemCreated,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemRetrieved,
    ConversationItemTruncated,
    ErrorDetail,
    ErrorEvent,
    InputAudioBufferCleared,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    InputAudioTranscriptionSegment,
    InputAudioTranscriptionUpdated,
    Item,
    McpListToolsCompleted,
    McpListToolsFailed,
    McpListToolsInProgress,
    MessageItem,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    RateLimitsUpdated,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseContentPartAdded,
    ResponseContentPartDone,
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
    ResponseTextDelta,
    ResponseTextDone,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdated,
    StatusDetails,
    new_id,
)
from agentkit.relay.notices import ToolActivity, ToolPhase
from agentkit.relay.policy_rules import PolicyRules

GENERIC_ERROR_MESSAGE = "The agent's model service reported an error."
UNANSWERABLE_CALL_MESSAGE = "The model asked for a tool in a way the agent cannot answer; ask again."
_HIDDEN_TRANSCRIPTION_FIELDS = ("prompt",)


class SanitizerState:
    """What one client connection has been shown and what was hidden from it."""

    def __init__(self, remembered_client_events: int = 256) -> None:
        self.hidden_items: dict[str, str | None] = {}
        """Hidden item id -> the nearest visible item before it (what `previous_item_id` becomes)."""
        self.output_slots: dict[str, dict[int, int]] = {}
        """Response id -> upstream `output_index` -> the index this client sees."""
        self.tool_calls: dict[str, str] = {}
        """Upstream call id -> the opaque id used in this client's tool notices."""
        self._client_event_ids: deque[str] = deque(maxlen=remembered_client_events)

    def __repr__(self) -> str:
        return f"SanitizerState(hidden_items={len(self.hidden_items)}, tools_running={len(self.tool_calls)})"

    def remember_client_event(self, event_id: str | None) -> None:
        """Note an event id this client sent, so upstream errors about it reach the client whole."""
        if event_id:
            self._client_event_ids.append(event_id)

    def sent_by_client(self, event_id: str | None) -> bool:
        return event_id is not None and event_id in self._client_event_ids

    def hide(self, item_id: str | None, previous_item_id: str | None = None) -> None:
        """Hide an item; a known `previous_item_id` links it to the nearest visible item before it."""
        if not item_id or (previous_item_id is None and item_id in self.hidden_items):
            return
        self.hidden_items[item_id] = self.visible(previous_item_id)

    def visible(self, item_id: str | None) -> str | None:
        """`item_id` itself, or the nearest visible item before it when it is hidden."""
        if item_id is not None and item_id in self.hidden_items:
            return self.hidden_items[item_id]
        return item_id

    def slot(self, response_id: str, output_index: int) -> int:
        slots = self.output_slots.setdefault(response_id, {})
        return slots.setdefault(output_index, len(slots))


def sanitize_server_event(
    policy: PolicyRules, event: ServerEvent, state: SanitizerState
) -> ServerEvent | None:
    rule = _RULES.get(type(event))
    return rule(policy, event, state) if rule else None


def tool_activity(
    policy: PolicyRules,
    state: SanitizerState,
    *,
    call_id: str,
    name: str,
    phase: ToolPhase,
    ok: bool | None = None,
) -> ToolActivity | None:
    if not policy.tool_notices:
        return None
    if phase == "started":
        opaque = state.tool_calls.setdefault(call_id, new_id("tool"))
    else:
        opaque = state.tool_calls.pop(call_id, "") or new_id("tool")
    label = policy.tool_labels.get(name) or policy.default_tool_label or name
    return ToolActivity(
        event_id=new_id("event"),
        call_id=opaque,
        label=label,
        phase=phase,
        ok=ok if phase == "finished" else None,
    )


def unanswerable_call_error() -> ErrorEvent:
    """What a client is told when the model called a tool that cannot be answered (no call_id)."""
    detail = ErrorDetail(
        type="server_error", code="tool_call_unanswerable", message=UNANSWERABLE_CALL_MESSAGE
    )
    return ErrorEvent(event_id=new_id("event"), error=detail)


def _is_visible(policy: PolicyRules, item: Item) -> bool:
    return isinstance(item, MessageItem) and item.role in policy.visible_roles


# -- rules, one per kind of event ------------------------------------------------------------------


def _show(policy: PolicyRules, event: ServerEvent, state: SanitizerState) -> ServerEvent | None:
    return event


def _hide(policy: PolicyRules, event: ServerEvent, state: SanitizerState) -> ServerEvent | None:
    state.hide(getattr(event, "item_id", None))
    return None


def _unless_hidden_item(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent | None:
    if event.item_id in state.hidden_items:
        return None
    previous = getattr(event, "previous_item_id", None)
    if previous is not None and previous in state.hidden_items:
        return event.model_copy(update={"previous_item_id": state.visible(previous)})  # type: ignore[no-any-return]
    return event  # type: ignore[no-any-return]


def _session(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent:
    fields = {k: v for k, v in event.session.set_fields().items() if k in policy.visible_session_fields}
    transcription = fields.get("input_audio_transcription")
    if isinstance(transcription, dict):
        fields["input_audio_transcription"] = {
            k: v for k, v in transcription.items() if k not in _HIDDEN_TRANSCRIPTION_FIELDS
        }
    return event.model_copy(update={"session": SessionConfig.model_validate(fields)})  # type: ignore[no-any-return]


def _rate_limits(policy: PolicyRules, event: ServerEvent, state: SanitizerState) -> ServerEvent | None:
    return event if policy.show_rate_limits else None


def _error(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent:
    if state.sent_by_client(event.error.event_id):
        return event  # type: ignore[no-any-return]
    detail = ErrorDetail(type=event.error.type, code=event.error.code, message=GENERIC_ERROR_MESSAGE)
    return ErrorEvent(event_id=event.event_id, error=detail)


def _conversation_item(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent | None:
    previous = getattr(event, "previous_item_id", None)
    if not _is_visible(policy, event.item):
        state.hide(event.item.id, previous)
        return None
    if previous is not None and previous in state.hidden_items:
        return event.model_copy(update={"previous_item_id": state.visible(previous)})  # type: ignore[no-any-return]
    return event  # type: ignore[no-any-return]


def _output_item(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent | None:
    item_id = event.item.id
    if not _is_visible(policy, event.item):
        state.hide(item_id)
        return None
    return _renumbered(event, state)


def _content(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent | None:
    if event.item_id in state.hidden_items:
        return None
    return _renumbered(event, state)


def _renumbered(event: Any, state: SanitizerState) -> ServerEvent:
    slot = state.slot(event.response_id, event.output_index)
    if slot == event.output_index:
        return event  # type: ignore[no-any-return]
    return event.model_copy(update={"output_index": slot})  # type: ignore[no-any-return]


def _response(policy: PolicyRules, event: Any, state: SanitizerState) -> ServerEvent:
    response = event.response
    output = []
    for item in response.output:
        if _is_visible(policy, item):
            output.append(item)
        else:
            state.hide(item.id)
    update: dict[str, Any] = {"output": output, "metadata": None}
    details = response.status_details
    if details is not None and details.error is not None:
        error = ErrorDetail(type=details.error.type, code=details.error.code, message=GENERIC_ERROR_MESSAGE)
        update["status_details"] = StatusDetails(type=details.type, reason=details.reason, error=error)
    if isinstance(event, ResponseDone):
        state.output_slots.pop(response.id, None)
    return event.model_copy(update={"response": response.model_copy(update=update)})  # type: ignore[no-any-return]


_Rule = Callable[[PolicyRules, Any, SanitizerState], "ServerEvent | None"]

_RULES: dict[type[ServerEvent], _Rule] = {
    SessionCreated: _session,
    SessionUpdated: _session,
    ErrorEvent: _error,
    RateLimitsUpdated: _rate_limits,
    ConversationCreated: _show,
    ToolActivity: _show,
    ConversationItemAdded: _conversation_item,
    ConversationItemCreated: _conversation_item,
    ConversationItemDone: _conversation_item,
    ConversationItemRetrieved: _conversation_item,
    ConversationItemDeleted: _unless_hidden_item,
    ConversationItemTruncated: _unless_hidden_item,
    InputAudioTranscriptionDelta: _unless_hidden_item,
    InputAudioTranscriptionUpdated: _unless_hidden_item,
    InputAudioTranscriptionCompleted: _unless_hidden_item,
    InputAudioTranscriptionFailed: _unless_hidden_item,
    InputAudioTranscriptionSegment: _unless_hidden_item,
    InputAudioBufferCommitted: _unless_hidden_item,
    InputAudioBufferCleared: _show,
    InputAudioBufferSpeechStarted: _show,
    InputAudioBufferSpeechStopped: _show,
    InputAudioBufferTimeoutTriggered: _show,
    OutputAudioBufferStarted: _show,
    OutputAudioBufferStopped: _show,
    OutputAudioBufferCleared: _show,
    ResponseCreated: _response,
    ResponseDone: _response,
    ResponseOutputItemAdded: _output_item,
    ResponseOutputItemDone: _output_item,
    ResponseFunctionCallArgumentsDelta: _hide,
    ResponseFunctionCallArgumentsDone: _hide,
    ResponseMcpCallArgumentsDelta: _hide,
    ResponseMcpCallArgumentsDone: _hide,
    ResponseMcpCallInProgress: _hide,
    ResponseMcpCallCompleted: _hide,
    ResponseMcpCallFailed: _hide,
    McpListToolsInProgress: _hide,
    McpListToolsCompleted: _hide,
    McpListToolsFailed: _hide,
    ResponseContentPartAdded: _content,
    ResponseContentPartDone: _content,
    ResponseTextDelta: _content,
    ResponseTextDone: _content,
    ResponseAudioDelta: _content,
    ResponseAudioDone: _content,
    ResponseAudioTranscriptDelta: _content,
    ResponseAudioTranscriptDone: _content,
}
"""Every event type a client may see, with how; `_hide` rules only note what was hidden. Anything
not listed (unknown and malformed events, event types added later) is dropped."""
