"""What a command-line target names: a plugin, a module, `module:attribute`, or a .py file."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import TypeGuard

from agentkit.tools.plugins import as_toolset, load_plugin, plugin_names
from agentkit.tools.tool import Tool
from agentkit.tools.toolset import Toolset


def import_file(path: Path) -> ModuleType:
    """Import a .py file under its dotted name (so its relative imports work): the folders above
    it that are packages give the name, and the first one that is not goes on `sys.path`."""
    if not path.is_file():
        raise ImportError(f"no such Python file: {path}")
    path = path.resolve()
    parts, root = [path.stem], path.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(".".join(parts))


def import_module_here(name: str) -> ModuleType:
    """Import a module by name with the current folder on `sys.path`, as `python -m` does, so
    `agentkit tools my_bot` finds the `my_bot.py` that `agentkit chat my_bot:agent` finds."""
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    return importlib.import_module(name)


class TargetError(Exception):
    """A command-line target names nothing usable: bad form, nothing importable, or the wrong kind."""


def import_target_module(name: str) -> ModuleType:
    """A module by dotted name (the current folder importable) or a .py file, for any command."""
    try:
        return import_file(Path(name)) if name.endswith(".py") else import_module_here(name)
    except ImportError as exc:
        raise TargetError(f"cannot import {name}: {exc}") from exc


def load_object(target: str, kinds: tuple[type, ...], *, form: str = "MODULE:ATTRIBUTE") -> object:
    """The object `module:attribute` or `file.py:attribute` names, called first when it is a factory
    (anything callable that is not already one of `kinds`); `TargetError` says what is wrong.

    `agentkit chat`, `agentkit relay` and `agentkit tools` all load their targets through this."""
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise TargetError(f"expected {form}, like my_bot:agent or bots/shop.py:agent, got {target!r}")
    module = import_target_module(module_name)
    try:
        value = getattr(module, attribute)
    except AttributeError:
        raise TargetError(f"{module_name} has no attribute {attribute!r}") from None
    if callable(value) and not isinstance(value, kinds):
        value = value()  # a factory
    if not isinstance(value, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise TargetError(f"{target} is not {_article(names)} {names} (got {type(value).__name__})")
    return value


def load_target(target: str) -> Toolset:
    """A plugin by name, `pkg.mod:attr` (a toolset, a tool, a tuple or list of them, or an Agent), or
    every tool a module or .py file holds at its top level: its public Tools, Toolsets, tuples and
    lists of tools, and the tools of its Agents."""
    from agentkit.agent import Agent  # here: the agent module imports this package

    if target in plugin_names():
        return load_plugin(target)
    module_name, _, attribute = target.partition(":")
    if attribute:
        value = load_object(target, (Tool, Toolset, Agent, tuple, list))
        return value.toolset if isinstance(value, Agent) else as_toolset(value, name=attribute)
    module = import_target_module(module_name)
    public = [value for key, value in vars(module).items() if not key.startswith("_")]
    found: list[Tool | Toolset] = []
    for value in public:
        if isinstance(value, Agent):
            found.append(value.toolset)
        elif isinstance(value, (Tool, Toolset)):
            found.append(value)
        elif _is_tool_sequence(value):
            found.extend(value)
    if not found:
        raise TargetError(
            f"{target} defines no tools (no public Tool, Toolset, tuple of tools or Agent at its top level)"
        )
    return Toolset(found, name=module_name)


def _is_tool_sequence(value: object) -> TypeGuard[tuple[Tool | Toolset, ...] | list[Tool | Toolset]]:
    return (
        isinstance(value, (tuple, list))
        and bool(value)
        and all(isinstance(item, (Tool, Toolset)) for item in value)
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
