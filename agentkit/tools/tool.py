"""`@tool`: a Python function becomes a Realtime function tool with its schema and invoker."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import types
from collections.abc import Callable
from typing import Any, Literal, overload

import anyio.to_thread

from agentkit.tools.checks import definition_gaps, report_gaps
from agentkit.tools.context import ToolContext
from agentkit.tools.docstrings import parse_docstring
from agentkit.tools.errors import ToolDefinitionError
from agentkit.tools.queue import ToolQueue
from agentkit.tools.schema import ArgumentSpec, build_from_schema, build_from_signature, is_method

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

LatePolicy = Literal["speak", "silent", "drop"]
_LATE_POLICIES = ("speak", "silent", "drop")

ApprovalPredicate = Callable[[dict[str, Any], ToolContext[Any]], bool]
"""`(validated arguments, context) -> True` when this call needs a person's approval first."""


class Tool:
    """A function the model can call: name, description, JSON schema and how to invoke it.

    Everything is worked out once, here; a call only validates and invokes. Calling the tool
    object directly calls the plain function, so decorated functions stay testable as usual.
    `timeout=None` means "use the session's default"; pass `math.inf` for no limit at all.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        timeout: float | None = None,
        follow_up: bool = True,
        cancel_on_interrupt: bool = False,
        needs_approval: bool | ApprovalPredicate = False,
        approval_timeout: float | None = None,
        strict: bool = False,
        filler: bool | str = True,
        late: LatePolicy = "silent",
        queue: ToolQueue | None = None,
    ) -> None:
        if not callable(function):
            raise ToolDefinitionError(f"@tool needs a function, got {type(function).__name__}")
        if inspect.isasyncgenfunction(function) or inspect.isgeneratorfunction(function):
            raise ToolDefinitionError(f"tool function {function.__qualname__}: generators are not supported")
        self.name: str = name if name is not None else getattr(function, "__name__", "")
        if not _NAME.match(self.name):
            raise ToolDefinitionError(
                f"tool function {getattr(function, '__qualname__', function)!s}: name {self.name!r} must be "
                "1-64 characters of letters, digits, '_' or '-'"
            )
        if timeout is not None and not timeout > 0:
            raise ToolDefinitionError(f"tool {self.name}: timeout must be positive, got {timeout!r}")
        if approval_timeout is not None and not approval_timeout > 0:
            raise ToolDefinitionError(
                f"tool {self.name}: approval_timeout must be positive, got {approval_timeout!r}"
            )
        if late not in _LATE_POLICIES:
            raise ToolDefinitionError(
                f"tool {self.name}: late must be 'speak', 'silent' or 'drop', got {late!r}"
            )
        if queue is not None and not isinstance(queue, ToolQueue):
            raise ToolDefinitionError(
                f"tool {self.name}: queue must be a job queue such as agentkit.queue.ArqToolQueue, "
                f"got {type(queue).__name__}"
            )
        if not isinstance(needs_approval, bool) and not callable(needs_approval):
            raise ToolDefinitionError(
                f"tool {self.name}: needs_approval must be a bool or a predicate (arguments, context) -> bool"
            )
        docstring = parse_docstring(inspect.getdoc(function))
        self.description: str = description if description is not None else docstring.description
        self.timeout: float | None = timeout
        self.follow_up: bool = follow_up
        self.cancel_on_interrupt: bool = cancel_on_interrupt
        self.needs_approval: bool | ApprovalPredicate = needs_approval
        self.approval_timeout: float | None = approval_timeout
        """Seconds to wait for a decision; None: the agent's `approval_timeout`."""
        self.filler: bool | str = filler
        self.late: LatePolicy = late
        self.queue: ToolQueue | None = queue
        """Where calls run: None in the session; a queue runs them as jobs on its workers."""
        self.function: Callable[..., Any] = function
        self._spec: ArgumentSpec = (
            build_from_signature(function, docstring)
            if parameters is None
            else build_from_schema(function, parameters)
        )
        self.parameters: dict[str, Any] = self._spec.parameters
        untyped = () if parameters is not None else self._spec.untyped
        report_gaps(function, self.name, definition_gaps(self.description, untyped), strict=strict)
        self.is_async: bool = inspect.iscoroutinefunction(function)
        params = list(inspect.signature(function).parameters.values())
        self._needs_receiver: bool = is_method(function, params)
        self._attribute: str | None = None

    @property
    def wants_context(self) -> bool:
        return self._spec.context_param is not None

    @property
    def is_unbound_method(self) -> bool:
        """Declared in a class and reached through the class, not an instance: not callable yet."""
        return self._needs_receiver

    def definition(self) -> dict[str, Any]:
        """The flat Realtime shape; a fresh copy, so callers may change it."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": copy.deepcopy(self.parameters),
        }

    def parse_arguments(self, arguments: str) -> dict[str, Any]:
        """Validate the model's arguments JSON; raises `InvalidArguments` with a message for it."""
        return self._spec.parse(arguments)

    async def invoke(self, values: dict[str, Any], context: ToolContext[Any] | None) -> Any:
        """Run with validated values: async functions on the loop, sync ones in a worker thread
        that is abandoned (left running) if the call is cancelled."""
        if self._needs_receiver:
            raise ToolDefinitionError(f"tool {self.name} is a method; use it through an instance")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        context_param = self._spec.context_param
        for name in (*values, *([context_param] if context_param else [])):
            value = context if name == context_param else values[name]
            if name in self._spec.positional_only:
                args.append(value)
            else:
                kwargs[name] = value
        if self.is_async:
            return await self.function(*args, **kwargs)
        call = functools.partial(self.function, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __set_name__(self, owner: type, name: str) -> None:
        self._attribute = name

    def __get__(self, instance: object, owner: type | None = None) -> Tool:
        if instance is None or not self._needs_receiver:
            return self
        bound = copy.copy(self)
        bound.function = types.MethodType(self.function, instance)
        bound._needs_receiver = False
        if self._attribute is not None:
            try:
                instance.__dict__[self._attribute] = bound  # later lookups skip the descriptor
            except AttributeError:
                pass
        return bound

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, timeout={self.timeout!r}, follow_up={self.follow_up!r})"


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
    follow_up: bool = True,
    cancel_on_interrupt: bool = False,
    needs_approval: bool | ApprovalPredicate = False,
    approval_timeout: float | None = None,
    strict: bool = False,
    filler: bool | str = True,
    late: LatePolicy = "silent",
    queue: ToolQueue | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
    follow_up: bool = True,
    cancel_on_interrupt: bool = False,
    needs_approval: bool | ApprovalPredicate = False,
    approval_timeout: float | None = None,
    strict: bool = False,
    filler: bool | str = True,
    late: LatePolicy = "silent",
    queue: ToolQueue | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a function a tool: `@tool` or `@tool(name=..., timeout=...)`.

    `parameters` takes a hand-written JSON schema instead of the signature; the function then
    receives the arguments object as its one (non-context) parameter.
    `follow_up=False` marks a state-only tool whose output needs no follow-up response by itself.
    `cancel_on_interrupt=True` lets a user barge-in cancel a running call.
    `needs_approval=True` (or a predicate over the validated arguments and the `ToolContext`) makes
    each call wait for `session.approve` / `session.reject` (or the agent's approver) before it
    runs; `approval_timeout` overrides the agent's limit on that wait.
    A tool without a description or with an untyped parameter is accepted with a
    `ToolDefinitionWarning`; `strict=True` refuses it with `ToolDefinitionError` instead.
    `filler`: when a call runs longer than the agent's `filler_after`, the agent says a short line out
    of band (True: a generic one; a string: instructions for what to say; False: stay quiet).
    `late`: what to do with a result that arrives after the user moved on: `silent` (post it, no
    reply), `speak` (the model says it once the line is quiet) or `drop` (answer with a short note).
    `queue`: run each call as a job on this queue's workers (e.g. `agentkit.queue.ArqToolQueue`), so
    that it outlives the instance that started it; see docs/scaling.md.
    """

    def decorate(fn: Callable[..., Any]) -> Tool:
        return Tool(
            fn,
            name=name,
            description=description,
            parameters=parameters,
            timeout=timeout,
            follow_up=follow_up,
            cancel_on_interrupt=cancel_on_interrupt,
            needs_approval=needs_approval,
            approval_timeout=approval_timeout,
            strict=strict,
            filler=filler,
            late=late,
            queue=queue,
        )

    return decorate if function is None else decorate(function)
