"""Toolsets: lookup, definitions, enable/disable per copy, combining, name clashes."""

from __future__ import annotations

import pytest

from agentkit.tools import Tool, ToolDefinitionError, Toolset, tool


@tool
def alpha(x: int) -> int:
    """Alpha."""
    return x


@tool
def beta() -> None:
    """Beta."""


def gamma(word: str) -> str:
    """Gamma."""
    return word


def test_lookup_iteration_and_definitions() -> None:
    tools = Toolset([alpha, beta, gamma], name="demo")
    assert tools.names() == ["alpha", "beta", "gamma"]
    assert isinstance(tools["gamma"], Tool)
    assert tools.get("alpha") is alpha
    assert "beta" in tools
    assert "delta" not in tools
    assert len(tools) == 3
    assert [d["name"] for d in tools.definitions()] == ["alpha", "beta", "gamma"]
    assert tools.definitions()[1] == {
        "type": "function",
        "name": "beta",
        "description": "Beta.",
        "parameters": {"type": "object", "additionalProperties": False, "properties": {}},
    }
    with pytest.raises(KeyError):
        tools["delta"]


def test_definitions_are_copies() -> None:
    tools = Toolset([alpha])
    tools.definitions()[0]["parameters"]["properties"].clear()
    assert tools.definitions()[0]["parameters"]["properties"] == {"x": {"type": "integer"}}


def test_disable_and_enable_are_per_copy() -> None:
    shared = Toolset([alpha, beta])
    session = shared.copy()
    session.disable("alpha")
    assert session.names() == ["beta"]
    assert session.get("alpha") is None
    assert not session.is_enabled("alpha")
    assert len(session) == 1
    assert shared.names() == ["alpha", "beta"]
    session.enable("alpha")
    assert session.names() == ["alpha", "beta"]
    with pytest.raises(KeyError, match="has no tool zeta; it has alpha, beta"):
        session.disable("zeta")


def test_combining_keeps_disabled_state() -> None:
    first = Toolset([alpha], name="first")
    first.disable("alpha")
    combined = first + Toolset([beta], name="second")
    assert combined.name == "first+second"
    assert combined.names() == ["beta"]
    assert [t.name for t in combined.all_tools] == ["alpha", "beta"]
    assert Toolset([first, beta, beta]).names() == ["beta"]


def test_duplicate_names_are_rejected() -> None:
    other = tool(name="alpha")(gamma)
    with pytest.raises(ToolDefinitionError, match="toolset demo: two tools are named 'alpha'"):
        Toolset([alpha, other], name="demo")


def test_unbound_method_is_rejected() -> None:
    class Service:
        @tool
        def ping(self) -> str:
            return "pong"

    with pytest.raises(ToolDefinitionError, match="ping is a method reached through its class"):
        Toolset([Service.ping])
    assert Toolset([Service().ping]).names() == ["ping"]
