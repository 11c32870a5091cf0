"""Terminal front ends for agents: the chat view, turn-taking from lines of text, and where to connect.

`agentkit chat` and the example bot are built from these; so can other command-line apps.
"""

from agentkit.console.backend import describe, endpoint_or_local_server
from agentkit.console.chat import run_chat
from agentkit.console.tracefile import TraceFileUnavailable, trace_file_observer
from agentkit.console.turns import EventHook, TurnView, converse, follow_turn, lines_of, read_lines
from agentkit.console.view import ChatView, TurnStats, call_label, describe_turn, format_duration

__all__ = [
    "ChatView",
    "EventHook",
    "TraceFileUnavailable",
    "TurnStats",
    "TurnView",
    "call_label",
    "converse",
    "describe",
    "describe_turn",
    "endpoint_or_local_server",
    "follow_turn",
    "format_duration",
    "lines_of",
    "read_lines",
    "run_chat",
    "trace_file_observer",
]
