"""Tool mocks: replace what a tool does for one test, without touching the agent.

    mocks = ToolMocks()
    mocks.replace("lookup_order", returns={"order_id": "A-1001", "status": "lost"})
    mocks.replace("start_refund", raises=ToolError("refunds are paused"))
    mocks.replace("track_shipment", lambda order_id: {"carrier": "FedEx"})
    mocks.install(session)          # the `agentkit_session` fixture does this for you
    ...
    assert mocks.calls("lookup_order") == [{"order_id": "A-1001"}]

A mock keeps the real tool's name, schema, argument validation, timeout and approval settings (the
model sees exactly the real tool, and bad arguments are still refused), and replaces only what runs.
It goes into one session's own toolset, so other sessions of the agent keep the real tools.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

from agentkit.handoffs import reachable
from agentkit.session import Session
from agentkit.tools import Tool, ToolContext

_UNSET: Any = object()
_CONTEXT_NAMES = frozenset({"ctx", "context"})


class MockedTool(Tool):
    """A copy of a real tool whose run is replaced; each call's validated arguments are recorded."""

    def __init__(self, original: Tool, behaviour: Callable[..., Any], calls: list[dict[str, Any]]) -> None:
        self.__dict__.update(copy.copy(original).__dict__)
        self.original = original
        self._behaviour = behaviour
        self._calls = calls

    async def invoke(self, values: dict[str, Any], context: ToolContext[Any] | None) -> Any:
        self._calls.append(dict(values))
        result = self._behaviour(values, context)
        if inspect.isawaitable(result):
            result = await result
        return result

    def __repr__(self) -> str:
        return f"MockedTool(name={self.name!r})"


def _behaviour(implementation: Callable[..., Any] | None, returns: Any, raises: BaseException | None) -> Any:
    given = [implementation is not None, returns is not _UNSET, raises is not None]
    if sum(given) != 1:
        raise TypeError("give exactly one of: an implementation, returns=..., raises=...")
    if raises is not None:

        def fail(values: dict[str, Any], context: ToolContext[Any] | None) -> Any:
            raise raises

        return fail
    if implementation is None:
        return lambda values, context: copy.deepcopy(returns)
    if not callable(implementation):
        raise TypeError(f"a tool mock must be callable, got {type(implementation).__name__}")
    takes = _parameters(implementation)

    def run(values: dict[str, Any], context: ToolContext[Any] | None) -> Any:
        if takes is None:
            return implementation(**values)
        kwargs = {key: value for key, value in values.items() if key in takes}
        for key in _CONTEXT_NAMES & takes:
            kwargs.setdefault(key, context)
        return implementation(**kwargs)

    return run


def _parameters(function: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword names `function` takes; None when it takes any (`**kwargs`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY)


class ToolMocks:
    """Replacements for tools, by name, for the sessions they are installed in.

    An implementation is called with the call's validated arguments as keywords (those it does not
    take are left out; the `ToolContext` goes to a parameter named `ctx` or `context`); it may be
    sync or async. `returns=` gives a fixed
    result (a fresh copy per call), `raises=` an exception (a `ToolError` to test what the model is
    told). Replacing a tool again, or after `install`, takes effect for the next call.
    """

    def __init__(self) -> None:
        self._behaviours: dict[str, Callable[..., Any]] = {}
        self._calls: dict[str, list[dict[str, Any]]] = {}
        self._sessions: list[Session] = []

    def replace(
        self,
        name: str,
        implementation: Callable[..., Any] | None = None,
        *,
        returns: Any = _UNSET,
        raises: BaseException | None = None,
    ) -> ToolMocks:
        self._behaviours[name] = _behaviour(implementation, returns, raises)
        self._calls.setdefault(name, [])
        for session in self._sessions:
            self._put(session, name)
        return self

    def install(self, session: Session) -> None:
        """Put the mocks into `session`'s own toolset (before or during the conversation)."""
        for name in self._behaviours:
            self._put(session, name)
        self._sessions.append(session)

    def _put(self, session: Session, name: str) -> None:
        current = next((t for t in session.tools.all_tools if t.name == name), None)
        if current is None:  # a tool of an agent the session can hand off to
            current = next(
                (t for a in reachable(session.agent) for t in a.toolset.all_tools if t.name == name), None
            )
        if current is None:
            have = ", ".join(t.name for t in session.tools.all_tools) or "none"
            raise KeyError(f"cannot mock {name!r}: the agent has no such tool (it has {have})")
        original = current.original if isinstance(current, MockedTool) else current
        session.override_tool(MockedTool(original, self._behaviours[name], self._calls[name]))

    def calls(self, name: str) -> list[dict[str, Any]]:
        """The validated arguments of each call the mock of `name` ran, in order."""
        if name not in self._calls:
            raise KeyError(f"{name!r} is not mocked (mocked: {', '.join(self._calls) or 'nothing'})")
        return list(self._calls[name])
