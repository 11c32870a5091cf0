"""`agentkit plugins` and `agentkit tools MODULE_OR_PLUGIN`: see what the model will see."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

from agentkit.tools.errors import PluginError, ToolDefinitionError
from agentkit.tools.plugins import as_toolset, discover_plugins, load_plugin, plugin_names
from agentkit.tools.tool import Tool
from agentkit.tools.toolset import Toolset


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plugins = subparsers.add_parser("plugins", help="list installed tool plugins and their tools")
    plugins.set_defaults(handler=_list_plugins)
    tools = subparsers.add_parser("tools", help="print a toolset's function definitions as JSON")
    tools.add_argument(
        "target",
        metavar="MODULE_OR_PLUGIN",
        help="a plugin name, a module (pkg.mod), pkg.mod:attribute, or a path to a .py file",
    )
    tools.set_defaults(handler=_print_tools)


def _list_plugins(args: argparse.Namespace) -> int:
    found = discover_plugins()
    if not found:
        print("no agentkit plugins installed")
    for plugin in found:
        origin = f" ({plugin.distribution})" if plugin.distribution else ""
        if plugin.toolset is None:
            print(f"{plugin.name}{origin}: failed to load: {plugin.error}")
        else:
            print(f"{plugin.name}{origin}: {', '.join(plugin.toolset.names()) or 'no tools'}")
    return 0


def _print_tools(args: argparse.Namespace) -> int:
    try:
        toolset = load_target(args.target)
    except (PluginError, ToolDefinitionError, ImportError) as exc:
        print(f"agentkit tools: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's module failed while importing: say how, briefly
        print(f"agentkit tools: cannot load {args.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(toolset.definitions(), indent=2, ensure_ascii=False))
    return 0


def _import_file(path: Path) -> ModuleType:
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
        _import_file(Path(module_name))
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
