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


def load_target(target: str) -> Toolset:
    """A plugin by name, `pkg.mod:attr`, or every public Tool/Toolset in a module or .py file."""
    if target in plugin_names():
        return load_plugin(target)
    module_name, _, attribute = target.partition(":")
    module = (
        import_file(Path(module_name))
        if module_name.endswith(".py")
        else importlib.import_module(module_name)
    )
    if attribute:
        return as_toolset(getattr(module, attribute), name=attribute)
    public = (value for key, value in vars(module).items() if not key.startswith("_"))
    found = [value for value in public if isinstance(value, (Tool, Toolset))]
    if not found:
        raise ImportError(f"{target} defines no tools (no public Tool or Toolset objects)")
    return Toolset(found, name=module_name)
