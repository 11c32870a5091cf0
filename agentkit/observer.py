"""Session observer hooks: how tracing (or metrics, or logging) watches a session from outside.

The session calls these hooks at fixed points so that no tracing code lives in its logic. Every
`now` is a `time.monotonic()`-style float from the session's clock, the same clock as
`AppEvent.time`; an observer that needs wall-clock time anchors once at `session_started`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agentkit.engine import AppEvent, ToolCallStarted
from agentkit.protocol import Dialect

__all__ = ["MultiObserver", "NullObserver", "SessionInfo", "SessionObserver"]


@dataclass(frozen=True)
class SessionInfo:
    """Who and what a session talks to, as known when it opens."""

    agent_name: str
    provider: str
    """`azure.ai.openai`, `openai`, `local` or `custom`."""
    model: str | None
    session_id: str
    """The client-side session id (`Session.id`); stable across reconnects."""
    dialect: Dialect
    server_session_id: str | None = None
    """The id from the server's `session.created`, when one arrived."""
    connecting_since: float | None = None
    """When opening the connection began (the session's clock): the handshake and `session.created`
    took from then until `session_started`."""


@runtime_checkable
class SessionObserver(Protocol):
    """Hooks a session calls; each must return quickly and never raise."""

    def session_started(self, info: SessionInfo, now: float) -> None:
        """The session is connected and configured."""

    def on_event(self, event: AppEvent) -> None:
        """Every app event the engine emits, in order."""

    def connection_event(self, name: str, now: float, **attributes: Any) -> None:
        """`connected`, `connection_lost`, `reconnecting`, `reconnected`, `reconnect_failed`, or (an
        attached call) `call_ended`.

        Attributes, where they apply: `attempt`, `code`, `reason`.
        """

    def tool_scope(self, call: ToolCallStarted) -> AbstractContextManager[None]:
        """Entered inside the tool's own task around its run, so spans it opens nest under it."""

    def session_closed(self, now: float) -> None:
        """The session ended (normally or not); no hook is called after this."""


class NullObserver:
    """The default observer: does nothing and costs (almost) nothing."""

    __slots__ = ()

    def session_started(self, info: SessionInfo, now: float) -> None:
        pass

    def on_event(self, event: AppEvent) -> None:
        pass

    def connection_event(self, name: str, now: float, **attributes: Any) -> None:
        pass

    def tool_scope(self, call: ToolCallStarted) -> AbstractContextManager[None]:
        return nullcontext()

    def session_closed(self, now: float) -> None:
        pass


class MultiObserver:
    """Fans every hook out to several observers, in the order given."""

    __slots__ = ("observers",)

    def __init__(self, observers: Iterable[SessionObserver]) -> None:
        self.observers: tuple[SessionObserver, ...] = tuple(observers)

    def session_started(self, info: SessionInfo, now: float) -> None:
        for observer in self.observers:
            observer.session_started(info, now)

    def on_event(self, event: AppEvent) -> None:
        for observer in self.observers:
            observer.on_event(event)

    def connection_event(self, name: str, now: float, **attributes: Any) -> None:
        for observer in self.observers:
            observer.connection_event(name, now, **attributes)

    def tool_scope(self, call: ToolCallStarted) -> AbstractContextManager[None]:
        return self._nested_scopes(call)

    @contextmanager
    def _nested_scopes(self, call: ToolCallStarted) -> Any:
        with ExitStack() as stack:
            for observer in self.observers:
                stack.enter_context(observer.tool_scope(call))
            yield

    def session_closed(self, now: float) -> None:
        for observer in self.observers:
            observer.session_closed(now)


def combine(observers: Iterable[SessionObserver | None]) -> SessionObserver:
    """One observer for many: the null one for none, the observer itself for one."""
    present = [observer for observer in observers if observer is not None]
    if not present:
        return NullObserver()
    if len(present) == 1:
        return present[0]
    return MultiObserver(present)
