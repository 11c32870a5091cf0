"""What a tool's definition lacks that the model needs: a description, and a type for each argument.

A missing docstring leaves the model only the function's name to go on; a parameter without a type
hint becomes `{}` in the schema, so the model may send anything and agentkit validates nothing.
Both are accepted with a `ToolDefinitionWarning`, or refused with `strict=True`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from agentkit.tools.errors import ToolDefinitionError, ToolDefinitionWarning

_WARNED: dict[Any, Any] = {}
"""The `warnings` registry for these warnings: under the default filter each message shows once per
process, however often a tool is rebuilt (plugins and MCP servers build theirs per session)."""


def definition_gaps(description: str, untyped: Sequence[str]) -> list[str]:
    """Each thing the model will miss, as a clause that says how to fix it."""
    gaps: list[str] = []
    if not description.strip():
        gaps.append("it has no description (add a docstring, or pass description=...)")
    if untyped:
        names = ", ".join(untyped)
        many = len(untyped) > 1
        gaps.append(
            f"parameter{'s' if many else ''} {names} {'have' if many else 'has'} no type hint, so the model"
            " may send any JSON value and nothing is checked"
            f" (annotate {'each' if many else 'it'}, like {untyped[0]}: str)"
        )
    return gaps


def report_gaps(function: Callable[..., Any], name: str, gaps: list[str], *, strict: bool) -> None:
    """Warn about the gaps, pointing at the function's definition; with `strict`, refuse the tool."""
    if not gaps:
        return
    message = f"tool {name}: " + "; ".join(gaps)
    if strict:
        raise ToolDefinitionError(message)
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        warnings.warn(message, ToolDefinitionWarning, stacklevel=4)
        return
    warnings.warn_explicit(
        message,
        ToolDefinitionWarning,
        filename=code.co_filename,
        lineno=code.co_firstlineno,
        module=getattr(function, "__module__", None) or "agentkit.tools",
        registry=_WARNED,
    )
