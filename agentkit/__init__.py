"""agentkit: voice and text agents on the OpenAI / Azure OpenAI Realtime API.

The names below load on first use, so `import agentkit.protocol` (or the local server) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Agent": "agentkit.agent",
    "Endpoint": "agentkit.connection",
    "Session": "agentkit.session",
    "SessionClosed": "agentkit.session",
    "ReconnectPolicy": "agentkit.session",
    "ToolProgress": "agentkit.session",
    "Decision": "agentkit.session",
    "EventsDropped": "agentkit.session",
    "SessionObserver": "agentkit.observer",
    "HandedOff": "agentkit.handoffs",
    "HandoffError": "agentkit.handoffs",
    "HistoryError": "agentkit.history",
    "GuardrailTripped": "agentkit.guardrails",
    "tool": "agentkit.tools",
    "Tool": "agentkit.tools",
    "ToolContext": "agentkit.tools",
    "ToolError": "agentkit.tools",
    "Toolset": "agentkit.tools",
    **{
        name: "agentkit.engine"
        for name in (
            "AppEvent",
            "ApprovalDecided",
            "ApprovalError",
            "ApprovalRequested",
            "ArgumentsDelta",
            "AudioChunk",
            "ErrorReported",
            "InputTranscript",
            "InputTranscriptFailed",
            "InputTranscriptPartial",
            "Interrupted",
            "OutputAudioCleared",
            "OutputAudioStarted",
            "OutputAudioStopped",
            "Reconnected",
            "ResponseFinished",
            "ResponseStarted",
            "ServiceWarning",
            "SpeechStopped",
            "TextDelta",
            "ToolCallFinished",
            "ToolCallRecord",
            "ToolCallStarted",
            "TranscriptDelta",
            "Turn",
            "TurnDone",
            "TurnStarted",
        )
    },
}

__all__ = [
    "Agent",
    "AppEvent",
    "ApprovalDecided",
    "ApprovalError",
    "ApprovalRequested",
    "ArgumentsDelta",
    "AudioChunk",
    "Decision",
    "Endpoint",
    "ErrorReported",
    "EventsDropped",
    "GuardrailTripped",
    "HandedOff",
    "HandoffError",
    "HistoryError",
    "InputTranscript",
    "InputTranscriptFailed",
    "InputTranscriptPartial",
    "Interrupted",
    "OutputAudioCleared",
    "OutputAudioStarted",
    "OutputAudioStopped",
    "ReconnectPolicy",
    "Reconnected",
    "ResponseFinished",
    "ResponseStarted",
    "ServiceWarning",
    "Session",
    "SessionClosed",
    "SessionObserver",
    "SpeechStopped",
    "TextDelta",
    "Tool",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolContext",
    "ToolError",
    "ToolProgress",
    "Toolset",
    "TranscriptDelta",
    "Turn",
    "TurnDone",
    "TurnStarted",
    "__version__",
    "tool",
]

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.connection import Endpoint
    from agentkit.engine import (
        AppEvent,
        ApprovalDecided,
        ApprovalError,
        ApprovalRequested,
        ArgumentsDelta,
        AudioChunk,
        ErrorReported,
        InputTranscript,
        InputTranscriptFailed,
        InputTranscriptPartial,
        Interrupted,
        OutputAudioCleared,
        OutputAudioStarted,
        OutputAudioStopped,
        Reconnected,
        ResponseFinished,
        ResponseStarted,
        ServiceWarning,
        SpeechStopped,
        TextDelta,
        ToolCallFinished,
        ToolCallRecord,
        ToolCallStarted,
        TranscriptDelta,
        Turn,
        TurnDone,
        TurnStarted,
    )
    from agentkit.guardrails import GuardrailTripped
    from agentkit.handoffs import HandedOff, HandoffError
    from agentkit.history import HistoryError
    from agentkit.observer import SessionObserver
    from agentkit.session import (
        Decision,
        EventsDropped,
        ReconnectPolicy,
        Session,
        SessionClosed,
        ToolProgress,
    )
    from agentkit.tools import Tool, ToolContext, ToolError, Toolset, tool


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
