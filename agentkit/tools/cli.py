"""`agentkit plugins` and `agentkit tools MODULE_OR_PLUGIN`: see what the model will see."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plugins = subparsers.add_parser("plugins", help="list installed tool plugins and their tools")
    plugins.set_defaults(handler=_list_plugins)
    tools = subparsers.add_parser("tools", help="print a toolset's function definitions as JSON")
    tools.add_argument(
        "target",
        metavar="MODULE_OR_PLUGIN",
        help="a plugin name, a module (pkg.mod), pkg.mod:attribute (a toolset, tool or Agent), or a .py file",
    )
    tools.set_defaults(handler=_print_tools)


def _list_plugins(args: argparse.Namespace) -> int:
    from agentkit.tools.plugins import discover_plugins

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
    from agentkit.tools.errors import PluginError, ToolDefinitionError
    from agentkit.tools.targets import TargetError, load_target

    try:
        toolset = load_target(args.target)
    except (PluginError, ToolDefinitionError, TargetError) as exc:
        print(f"agentkit tools: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's module failed while importing: say how, briefly
        print(f"agentkit tools: cannot load {args.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(toolset.definitions(), indent=2, ensure_ascii=False))
    return 0
