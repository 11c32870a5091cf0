"""A tool the model would know too little about is not accepted silently (issue 16: a `@tool` without
a docstring or type hints gave an empty description and `{}` schemas, and an unsupported parameter
type printed pydantic's advice about `arbitrary_types_allowed`)."""

from __future__ import annotations

import inspect
import socket
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from agentkit.tools import Tool, ToolContext, ToolDefinitionError, ToolDefinitionWarning, Toolset, tool


def bare(order_id, reason):  # type: ignore[no-untyped-def]
    return order_id


def documented(order_id: str, ctx: ToolContext[None]) -> str:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return order_id


def no_warnings(make: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ToolDefinitionWarning)
        return make()


def test_a_bare_function_is_accepted_with_a_warning_that_says_what_the_model_misses() -> None:
    with pytest.warns(ToolDefinitionWarning) as caught:
        made = tool(bare)
    assert made.description == ""
    assert made.parameters["properties"] == {"order_id": {}, "reason": {}}
    [warning] = caught.list
    message = str(warning.message)
    assert message.startswith("tool bare: it has no description (add a docstring")
    assert "parameters order_id, reason have no type hint" in message
    assert "annotate each, like order_id: str" in message
    # It points at the function's definition, not at agentkit's internals.
    assert warning.filename == __file__
    assert warning.lineno == inspect.getsourcelines(bare)[1]


def test_only_what_is_missing_is_reported() -> None:
    def typed_but_undocumented(order_id: str) -> str:
        return order_id

    with pytest.warns(
        ToolDefinitionWarning, match="tool typed_but_undocumented: it has no description"
    ) as caught:
        tool(typed_but_undocumented)
    assert "type hint" not in str(caught.list[0].message)

    with pytest.warns(ToolDefinitionWarning) as caught:
        tool(description="Look up an order.")(bare)
    assert str(caught.list[0].message).startswith("tool bare: parameters order_id, reason have no type hint")


def test_a_complete_tool_and_a_raw_schema_tool_warn_about_nothing() -> None:
    no_warnings(lambda: tool(documented))
    no_warnings(lambda: tool(strict=True)(documented))

    def raw(arguments):  # type: ignore[no-untyped-def]
        return arguments

    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    no_warnings(lambda: tool(description="Search.", parameters=schema)(raw))


def test_strict_refuses_an_incomplete_tool() -> None:
    with pytest.raises(ToolDefinitionError, match="tool bare: it has no description"):
        tool(strict=True)(bare)
    with pytest.raises(ToolDefinitionError, match="parameters order_id, reason have no type hint"):
        Tool(bare, description="Look up an order.", strict=True)


def test_a_warnings_filter_makes_every_tool_strict() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ToolDefinitionWarning)
        with pytest.raises(ToolDefinitionWarning, match="tool bare"):
            Toolset([bare])  # plain functions added to a toolset are checked too


def test_an_unsupported_parameter_type_names_the_parameter_and_the_type() -> None:
    def connect_to(sock: socket.socket, port: int) -> str:
        """Use a socket."""
        return ""

    def call_back(done: Callable[[int], int]) -> str:
        """Call back."""
        return ""

    with pytest.raises(ToolDefinitionError) as refused:
        tool(connect_to)
    message = str(refused.value)
    assert message.startswith(
        "tool function test_an_unsupported_parameter_type_names_the_parameter_and_the_type.<locals>."
        "connect_to: parameter sock: type socket.socket is not supported: the model sends arguments as JSON"
    )
    assert "arbitrary_types_allowed" not in message
    assert "model_config" not in message

    with pytest.raises(
        ToolDefinitionError, match=r"parameter done: type Callable\[\[int\], int\] is not supported"
    ):
        tool(call_back)


def test_under_the_default_filter_each_warning_shows_once() -> None:
    """Plugins and MCP servers rebuild their tools for every session: one warning, not one each time."""

    def rebuilt(query):  # type: ignore[no-untyped-def]
        return query

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            tool(rebuilt)
    assert [type(w.message) for w in caught] == [ToolDefinitionWarning]
