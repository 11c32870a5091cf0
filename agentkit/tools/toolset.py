"""A named group of tools: lookup by name, definitions for `session.update`, enable/disable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Union

from agentkit.tools.errors import ToolDefinitionError
from agentkit.tools.tool import Tool

ToolLike = Union[Tool, "Toolset", Callable[..., Any]]


class Toolset:
    """Tools grouped under a name. Plain functions are wrapped with `@tool`; nested toolsets are
    flattened (their disabled tools stay disabled). Names must be unique.

    Iteration, `get`, `definitions()` and `names()` see only enabled tools; `all_tools` sees all.
    Give each session its own `copy()`: enabling and disabling then stays per session.
    """

    def __init__(self, tools: Iterable[ToolLike] = (), *, name: str = "tools") -> None:
        self.name = name
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()
        for item in tools:
            self.add(item)

    def add(self, item: ToolLike) -> None:
        if isinstance(item, Toolset):
            for member in item.all_tools:
                self._add_tool(member)
            self._disabled |= item._disabled
            return
        self._add_tool(item if isinstance(item, Tool) else Tool(item))

    def _add_tool(self, tool: Tool) -> None:
        if tool.is_unbound_method:
            raise ToolDefinitionError(
                f"tool {tool.name} is a method reached through its class; add it through an instance"
            )
        existing = self._tools.get(tool.name)
        if existing is not None and existing is not tool:
            raise ToolDefinitionError(f"toolset {self.name}: two tools are named {tool.name!r}")
        self._tools[tool.name] = tool

    @property
    def all_tools(self) -> tuple[Tool, ...]:
        return tuple(self._tools.values())

    def get(self, name: str) -> Tool | None:
        """The enabled tool with this name: a disabled tool is unknown to the model."""
        return None if name in self._disabled else self._tools.get(name)

    def replace(self, tool: Tool) -> Tool:
        """Put `tool` in place of the tool with its name (enabled or not, as before); returns the old
        one. A test's mock goes in this way; send `update_tools()` if the schema changed."""
        old = self._tools.get(tool.name)
        if old is None:
            have = ", ".join(self._tools) or "none"
            raise KeyError(f"toolset {self.name} has no tool {tool.name}; it has {have}")
        self._tools[tool.name] = tool
        return old

    def __getitem__(self, name: str) -> Tool:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Tool]:
        return (tool for name, tool in self._tools.items() if name not in self._disabled)

    def __len__(self) -> int:
        return len(self._tools) - len(self._disabled)

    def names(self) -> list[str]:
        return [tool.name for tool in self]

    def definitions(self) -> list[dict[str, Any]]:
        """What goes into `session.update`'s `tools` (send it again after enable/disable)."""
        return [tool.definition() for tool in self]

    def enable(self, *names: str) -> None:
        self._disabled -= set(self._known(names))

    def disable(self, *names: str) -> None:
        self._disabled |= set(self._known(names))

    def is_enabled(self, name: str) -> bool:
        return name in self._tools and name not in self._disabled

    def _known(self, names: Iterable[str]) -> list[str]:
        unknown = [name for name in names if name not in self._tools]
        if unknown:
            have = ", ".join(self._tools)
            raise KeyError(f"toolset {self.name} has no tool {', '.join(unknown)}; it has {have}")
        return list(names)

    def copy(self, *, name: str | None = None) -> Toolset:
        """Same tools, independent enabled/disabled state."""
        clone = Toolset(name=self.name if name is None else name)
        clone.add(self)
        return clone

    def __add__(self, other: Toolset) -> Toolset:
        return Toolset([self, other], name=f"{self.name}+{other.name}")

    def __repr__(self) -> str:
        return f"Toolset(name={self.name!r}, tools={self.names()!r})"
