"""Terminal front ends for agents: the chat view, turn-taking from lines of text, and where to connect.

`agentkit chat` and the example bot are built from these; so can other command-line apps.
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.console.backend import (
        describe as describe,
    )
    from agentkit.console.backend import (
        endpoint_or_local_server as endpoint_or_local_server,
    )
    from agentkit.console.backend import (
        live_endpoint_or_local_server as live_endpoint_or_local_server,
    )
    from agentkit.console.chat import run_chat as run_chat
    from agentkit.console.tracefile import (
        TraceFileUnavailable as TraceFileUnavailable,
    )
    from agentkit.console.tracefile import (
        trace_file_observer as trace_file_observer,
    )
    from agentkit.console.turns import (
        Conversation as Conversation,
    )
    from agentkit.console.turns import (
        EventHook as EventHook,
    )
    from agentkit.console.turns import (
        TurnView as TurnView,
    )
    from agentkit.console.turns import (
        converse as converse,
    )
    from agentkit.console.turns import (
        follow_turn as follow_turn,
    )
    from agentkit.console.turns import (
        lines_of as lines_of,
    )
    from agentkit.console.turns import (
        read_lines as read_lines,
    )
    from agentkit.console.view import (
        ChatView as ChatView,
    )
    from agentkit.console.view import (
        TurnStats as TurnStats,
    )
    from agentkit.console.view import (
        call_label as call_label,
    )
    from agentkit.console.view import (
        describe_turn as describe_turn,
    )
    from agentkit.console.view import (
        format_duration as format_duration,
    )

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "backend": ("describe", "endpoint_or_local_server", "live_endpoint_or_local_server"),
        "chat": ("run_chat",),
        "tracefile": ("TraceFileUnavailable", "trace_file_observer"),
        "turns": (
            "Conversation",
            "EventHook",
            "TurnView",
            "converse",
            "follow_turn",
            "lines_of",
            "read_lines",
        ),
        "view": ("ChatView", "TurnStats", "call_label", "describe_turn", "format_duration"),
    },
)
