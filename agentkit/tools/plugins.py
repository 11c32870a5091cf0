"""Finds tool plugins: distributions with entry points in the `agentkit.plugins` group.

Each entry point resolves to a `Toolset` (or a `Tool`, or a zero-argument callable returning
either). One broken plugin is reported with its error and never hides the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from agentkit.tools.errors import PluginError
from agentkit.tools.tool import Tool
from agentkit.tools.toolset import Toolset

GROUP = "agentkit.plugins"


@dataclass(frozen=True)
class PluginInfo:
    """One installed plugin: its toolset when it loaded, else the reason it did not."""

    name: str
    target: str
    distribution: str | None
    toolset: Toolset | None = None
    error: str | None = None


def discover_plugins() -> list[PluginInfo]:
    """Load every installed plugin, sorted by name; failures are captured, not raised."""
    found: list[PluginInfo] = []
    for point in sorted(_entry_points(), key=lambda ep: ep.name):
        dist = point.dist.name if point.dist is not None else None
        try:
            found.append(PluginInfo(point.name, point.value, dist, toolset=_resolve(point)))
        except Exception as exc:
            found.append(PluginInfo(point.name, point.value, dist, error=f"{type(exc).__name__}: {exc}"))
    return found


def plugin_names() -> list[str]:
    return sorted({point.name for point in _entry_points()})


def load_plugin(name: str) -> Toolset:
    """The named plugin's toolset; `PluginError` says why when it cannot be had."""
    points = [point for point in _entry_points() if point.name == name]
    if not points:
        installed = ", ".join(plugin_names()) or "none"
        raise PluginError(f"no agentkit plugin named {name!r}; installed: {installed}")
    try:
        return _resolve(points[0])
    except Exception as exc:
        raise PluginError(f"plugin {name!r} failed to load: {type(exc).__name__}: {exc}") from exc


def as_toolset(obj: object, *, name: str) -> Toolset:
    """Accept a Toolset, a Tool, a tuple or list of them, or a zero-argument callable returning one."""
    if not isinstance(obj, (Toolset, Tool)) and callable(obj):
        obj = obj()
    if isinstance(obj, Tool):
        return Toolset([obj], name=name)
    if isinstance(obj, Toolset):
        return obj
    if isinstance(obj, (tuple, list)) and obj and all(isinstance(item, (Tool, Toolset)) for item in obj):
        return Toolset(obj, name=name)
    raise PluginError(
        f"{name} gave {type(obj).__name__}, expected a Toolset, a Tool, a tuple or list of tools,"
        " or a callable returning one"
    )


def _resolve(point: EntryPoint) -> Toolset:
    return as_toolset(point.load(), name=point.name)


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=GROUP))
