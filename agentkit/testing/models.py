"""The local server's "brains": what a model would answer, decided from the conversation so far.

A model sees the conversation items, the session configuration (instructions, tool schemas) and the
`response.create` parameters, and returns what to output, in order: words (`Say`) and function calls
(`Call`). The server turns that into a stream of wire events (text or audio, argument deltas, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentkit.protocol.items import Item, MessageItem
from agentkit.protocol.session_config import ResponseParams, SessionConfig


@dataclass(frozen=True)
class Say:
    """An assistant message: streamed as text deltas, or as audio with a transcript."""

    text: str


@dataclass(frozen=True)
class Call:
    """A function call. `arguments` as a dict is sent as JSON; as a str it is sent verbatim
    (so a test can make the model send truncated or invalid JSON)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)


Output = Say | Call


@dataclass
class ModelContext:
    """What a model may look at when it answers."""

    items: list[Item]
    session: SessionConfig
    response: ResponseParams | None = None

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tools on offer: the response's own list when `response.create` set one, else the session's."""
        if self.response is not None and self.response.tools is not None:
            return self.response.tools
        return self.session.tools or []

    @property
    def user_text(self) -> str:
        """The latest user message's text (an audio turn's transcript), or "" if there is none."""
        for item in reversed(self.items):
            if isinstance(item, MessageItem) and item.role == "user":
                return item.text
        return ""


class RealtimeModel(Protocol):
    """Anything with `respond`: called once per response, from the server's event loop, so it
    should return promptly; what it returns is streamed in order."""

    def respond(self, context: ModelContext) -> Sequence[Output]: ...


Step = Sequence[Output] | Callable[[ModelContext], Sequence[Output]]


class ScriptedModel:
    """Answers each response with the next scripted step: a list of outputs, or a function of the context.

    When the script is used up it answers with `exhausted` (by default a short sentence saying so), so a
    test that asks one turn too many sees it in the transcript instead of hanging.
    """

    def __init__(self, steps: Sequence[Step], *, exhausted: Sequence[Output] = (Say("(script finished)"),)):
        self._steps = list(steps)
        self._exhausted = list(exhausted)
        self.contexts: list[ModelContext] = []
        """Every context the model was asked with, for assertions."""

    @property
    def remaining(self) -> int:
        return len(self._steps)

    def respond(self, context: ModelContext) -> Sequence[Output]:
        self.contexts.append(context)
        if not self._steps:
            return list(self._exhausted)
        step = self._steps.pop(0)
        return list(step(context) if callable(step) else step)
