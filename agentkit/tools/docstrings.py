"""Reads a tool's description and per-parameter descriptions from its docstring.

Google (`Args:`), NumPy (`Parameters` + dashes) and Sphinx (`:param x:`) styles are understood.
Only the first paragraph becomes the tool description: the rest (examples, return values) is
for humans and would just cost the model tokens.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

_GOOGLE_PARAMS = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments):\s*$")
_GOOGLE_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|Returns?|Yields?|"
    r"Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Todo|References):\s*$"
)
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_RULE = re.compile(r"^-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]*?))?:\s*(.*)$")


@dataclass(frozen=True)
class Docstring:
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    if not doc or not doc.strip():
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    end = next((index for index in range(len(lines)) if _starts_section(lines, index)), len(lines))
    _google_params(lines, params)
    _numpy_params(lines, params)
    _sphinx_params(lines, params)
    return Docstring(description=_first_paragraph(lines[:end]), params=params)


def _starts_section(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith(":") and _SPHINX_FIELD.match(line):
        return True
    if _GOOGLE_SECTION.match(line):
        return True
    return index + 1 < len(lines) and bool(line.strip()) and bool(_NUMPY_RULE.match(lines[index + 1]))


def _first_paragraph(lines: list[str]) -> str:
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _collect(items: list[tuple[str, list[str]]], params: dict[str, str]) -> None:
    for name, text in items:
        joined = " ".join(part.strip() for part in text if part.strip())
        if joined:
            params.setdefault(name, joined)


def _google_params(lines: list[str], params: dict[str, str]) -> None:
    items: list[tuple[str, list[str]]] = []
    in_section = False
    item_indent = -1
    for line in lines:
        if _GOOGLE_PARAMS.match(line):
            in_section, item_indent = True, -1
            continue
        if not in_section:
            continue
        if line.strip() and _indent(line) == 0:
            in_section = False
            continue
        if not line.strip():
            continue
        if item_indent < 0:
            item_indent = _indent(line)
        match = _GOOGLE_ITEM.match(line.strip())
        if _indent(line) == item_indent and match:
            items.append((match.group(1), [match.group(2)]))
        elif items:
            items[-1][1].append(line)
    _collect(items, params)


def _numpy_params(lines: list[str], params: dict[str, str]) -> None:
    items: list[tuple[str, list[str]]] = []
    in_section = False
    for index, line in enumerate(lines):
        next_is_rule = index + 1 < len(lines) and bool(_NUMPY_RULE.match(lines[index + 1]))
        if next_is_rule:
            in_section = line.strip() in {"Parameters", "Other Parameters"}
            continue
        if not in_section or _NUMPY_RULE.match(line) or not line.strip():
            continue
        match = _NUMPY_ITEM.match(line)
        if _indent(line) == 0 and match:
            items.append((match.group(1), []))
        elif items:
            items[-1][1].append(line)
    _collect(items, params)


def _sphinx_params(lines: list[str], params: dict[str, str]) -> None:
    items: list[tuple[str, list[str]]] = []
    in_param = False
    for line in lines:
        match = _SPHINX_FIELD.match(line)
        if match:
            kind, target, text = match.groups()
            in_param = kind in {"param", "parameter", "arg", "argument", "key", "keyword"} and bool(target)
            if in_param and target:
                items.append((target.split()[-1], [text]))
        elif in_param and line.strip() and items:
            items[-1][1].append(line)
    _collect(items, params)
