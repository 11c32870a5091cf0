"""A testing kit for your own agents, on agentkit's local Realtime server.

- `expect(turn)`: assertions that read like the conversation (`.called(...)`, `.said(...)`,
  `.no_tool_called()`, `.rejected(...)`), failing with the conversation shown;
- `ToolMocks`: replace what a tool does for one test, without touching the agent;
- `Caller`: a simulated caller that plays a script of typed or spoken lines;
- `SessionRecorder` and `replaying`: record a real session to a file, replay it in a test;
- `Judge`: a rubric checked by a real model, when credentials are set;
- a pytest plugin (`agentkit_server`, `agentkit_session`, `agentkit_caller`, ... fixtures),
  registered automatically when agentkit is installed.
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.testing.kit.assertions import ANY as ANY
    from agentkit.testing.kit.assertions import REJECTED_STATUSES as REJECTED_STATUSES
    from agentkit.testing.kit.assertions import TurnAssertionError as TurnAssertionError
    from agentkit.testing.kit.assertions import TurnExpectation as TurnExpectation
    from agentkit.testing.kit.assertions import expect as expect
    from agentkit.testing.kit.assertions import format_turns as format_turns
    from agentkit.testing.kit.caller import Caller as Caller
    from agentkit.testing.kit.caller import Speech as Speech
    from agentkit.testing.kit.judge import Judge as Judge
    from agentkit.testing.kit.judge import Verdict as Verdict
    from agentkit.testing.kit.mocks import ToolMocks as ToolMocks
    from agentkit.testing.kit.recorder import SessionRecorder as SessionRecorder
    from agentkit.testing.kit.replay import RecordingError as RecordingError
    from agentkit.testing.kit.replay import Replay as Replay
    from agentkit.testing.kit.replay import replaying as replaying

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "caller": ("Caller", "Speech"),
        "assertions": (
            "ANY",
            "REJECTED_STATUSES",
            "TurnAssertionError",
            "TurnExpectation",
            "expect",
            "format_turns",
        ),
        "judge": ("Judge", "Verdict"),
        "mocks": ("ToolMocks",),
        "recorder": ("SessionRecorder",),
        "replay": ("RecordingError", "Replay", "replaying"),
    },
)
