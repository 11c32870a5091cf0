"""Attribute names (GenAI semantic conventions first, `agentkit.*` where they have none) and the
small builders that turn engine facts into attribute dicts.

Only identifiers, counts, statuses and error codes are built here: never argument or result text
(the observer adds those itself, and only when the user opts in), and never connection secrets.
"""

from __future__ import annotations

from typing import Final

from agentkit.protocol import ErrorDetail, StatusDetails, TokenDetails, Usage

OPERATION: Final = "gen_ai.operation.name"
PROVIDER: Final = "gen_ai.provider.name"
AGENT_NAME: Final = "gen_ai.agent.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
CONVERSATION_ID: Final = "gen_ai.conversation.id"
RESPONSE_ID: Final = "gen_ai.response.id"
FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
CACHED_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
TOKEN_TYPE: Final = "gen_ai.token.type"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_RESULT: Final = "gen_ai.tool.call.result"
ERROR_TYPE: Final = "error.type"

SESSION_ID: Final = "agentkit.session.id"
SERVER_SESSION_ID: Final = "agentkit.session.server_id"
DIALECT: Final = "agentkit.dialect"
TURN_NUMBER: Final = "agentkit.turn.number"
TURN_INTERRUPTED: Final = "agentkit.turn.interrupted"
TURN_RESPONSES: Final = "agentkit.turn.responses"
TURN_TOOL_CALLS: Final = "agentkit.turn.tool_calls"
TURN_USER_INPUT: Final = "agentkit.turn.user_input"
"""What the user said or typed in the turn (with `record_content=True` only: it is personal data)."""
TIME_TO_FIRST_AUDIO: Final = "agentkit.turn.time_to_first_audio_ms"
TIME_TO_FIRST_TEXT: Final = "agentkit.turn.time_to_first_text_ms"
TIME_TO_FIRST_DELTA: Final = "agentkit.response.time_to_first_delta_ms"
RESPONSE_STATUS: Final = "agentkit.response.status"
RESPONSE_STATUS_REASON: Final = "agentkit.response.status_reason"
TOOL_STATUS: Final = "agentkit.tool.status"
INPUT_TEXT_TOKENS: Final = "agentkit.usage.input_text_tokens"
INPUT_AUDIO_TOKENS: Final = "agentkit.usage.input_audio_tokens"
OUTPUT_TEXT_TOKENS: Final = "agentkit.usage.output_text_tokens"
OUTPUT_AUDIO_TOKENS: Final = "agentkit.usage.output_audio_tokens"

AttributeValue = str | bool | int | float | tuple[str, ...]
Attributes = dict[str, AttributeValue]

TOOL_OK: Final = "ok"
RESPONSE_ERRORS: Final = frozenset({"failed", "disconnected"})
"""Response statuses that are errors; `cancelled` (barge-in) and `incomplete` (a token cap) are not."""


def usage_attributes(usage: Usage) -> Attributes:
    """Token counts, with the text/audio/cached split wherever the server reported one."""
    attributes: Attributes = {INPUT_TOKENS: usage.input_tokens, OUTPUT_TOKENS: usage.output_tokens}
    _add_details(attributes, usage.input_token_details, INPUT_TEXT_TOKENS, INPUT_AUDIO_TOKENS)
    _add_details(attributes, usage.output_token_details, OUTPUT_TEXT_TOKENS, OUTPUT_AUDIO_TOKENS)
    details = usage.input_token_details
    if details is not None and details.cached_tokens is not None:
        attributes[CACHED_INPUT_TOKENS] = details.cached_tokens
    return attributes


def _add_details(attributes: Attributes, details: TokenDetails | None, text: str, audio: str) -> None:
    if details is None:
        return
    if details.text_tokens is not None:
        attributes[text] = details.text_tokens
    if details.audio_tokens is not None:
        attributes[audio] = details.audio_tokens


def finish_reason(status: str, details: StatusDetails | None) -> str:
    """The server's reason when it gave one (`turn_detected`, `max_output_tokens`...), else the status."""
    if details is not None and details.reason:
        return details.reason
    return status


def response_error_type(status: str, details: StatusDetails | None) -> str | None:
    """`error.type` for a response that failed: the server's error code when known, else its status."""
    if status not in RESPONSE_ERRORS:
        return None
    if details is not None and details.error is not None:
        return details.error.code or details.error.type or status
    return status


def error_attributes(error: ErrorDetail, *, fatal: bool, handled: bool) -> Attributes:
    """An `error` frame as span-event attributes: code, type and the server's message."""
    attributes: Attributes = {
        ERROR_TYPE: error_type(error),
        "agentkit.error.fatal": fatal,
        "agentkit.error.handled": handled,
    }
    if error.message:
        attributes["agentkit.error.message"] = error.message
    if error.param:
        attributes["agentkit.error.param"] = error.param
    return attributes


def error_type(error: ErrorDetail) -> str:
    return error.code or error.type or "_OTHER"
