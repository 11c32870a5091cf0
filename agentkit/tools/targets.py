"""What a command-line target names: a plugin, a module, `module:attribute`, or a .py file."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

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


def load_target(target: str) -> Toolset:
    """A plugin by name, `pkg.mod:attr` (a toolset, a tool or an Agent), or every public
    Tool/Toolset in a module or .py file."""
    from agentkit.agent import Agent  # here: the agent module imports this package

    if target in plugin_names():
        return load_plugin(target)
    module_name, _, attribute = target.partition(":")
    module = (
        import_file(Path(module_name)) if module_name.endswith(".py") else import_module_here(module_name)
    )
    if attribute:
        value = getattr(module, attribute)
        if callable(value) and not isinstance(value, (Tool, Toolset, Agent)):
            value = value()  # a factory, as `agentkit chat` accepts
        return value.toolset if isinstance(value, Agent) else as_toolset(value, name=attribute)
    public = (value for key, value in vars(module).items() if not key.startswith("_"))
    found = [value for value in public if isinstance(value, (Tool, Toolset))]
    if not found:
        raise ImportError(f"{target} defines no tools (no public Tool or Toolset objects)")
    return Toolset(found, name=module_name)
