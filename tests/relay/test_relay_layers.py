"""The relay's modules depend in one direction: no import circle, even one hidden behind TYPE_CHECKING.

New channels sit beside the relay and build on it; a circle would make a reader (and Python) load
half a module to understand the other half. Every import counts here: top-level, inside functions,
and under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import agentkit.relay

PACKAGE = "agentkit.relay"
FOLDER = Path(agentkit.relay.__file__).parent


def _module_names() -> set[str]:
    return {path.stem for path in FOLDER.glob("*.py")}


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The relay modules `path` imports; importing the package itself counts as `__init__`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this package
                base = PACKAGE + ("." + base if base else "")
            targets = [f"{base}.{alias.name}" for alias in node.names] if base == PACKAGE else [base]
        else:
            continue
        for target in targets:
            if target == PACKAGE:
                found.add("__init__")
            elif target.startswith(PACKAGE + "."):
                name = target[len(PACKAGE) + 1 :].split(".")[0]
                found.add(name if name in modules else "__init__")
    found.discard(path.stem)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _module_names()
    return {path.stem: _imports(path, modules) for path in FOLDER.glob("*.py")}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None when the graph is acyclic."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle is not None:
            return cycle
    return None


def test_relay_modules_import_in_one_direction() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle in agentkit/relay: " + " -> ".join(cycle or [])


def test_the_package_facade_is_imported_by_no_module_of_the_relay() -> None:
    graph = import_graph()
    assert [name for name, targets in graph.items() if "__init__" in targets] == []


def test_the_cycle_finder_finds_a_circle_through_type_checking_imports(tmp_path: Path) -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from agentkit.relay.b import B\n"
    (tmp_path / "a.py").write_text(source)
    (tmp_path / "b.py").write_text("def f():\n    from agentkit.relay import a\n")
    graph = {path.stem: _imports(path, {"a", "b"}) for path in tmp_path.glob("*.py")}
    assert graph == {"a": {"b"}, "b": {"a"}}
    assert find_cycle(graph) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
