"""Loads an OpenAPI 3 document (dict, file or URL; JSON or YAML) and resolves local `$ref`s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml  # type: ignore[import-untyped,unused-ignore]  # typed where types-PyYAML is installed


class OpenAPIError(ValueError):
    """The document cannot be used (unreadable, not OpenAPI 3, or the options do not fit it)."""


def load_document(source: str | Path | Mapping[str, Any], *, timeout: float = 30.0) -> dict[str, Any]:
    """The document as a dict; an http(s) source is fetched, anything else is a file path."""
    if isinstance(source, Mapping):
        document: Any = dict(source)
    else:
        text = _fetch(str(source), timeout) if _is_url(source) else _read(Path(source))
        document = _parse(text, str(source))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise OpenAPIError(f"{_name(source)} is not an OpenAPI 3 document (no 'openapi: 3.x' field)")
    return document


def resolve(node: Any, document: Mapping[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Replace local `$ref`s with what they point at. A reference back into itself becomes `{}`
    (any value): the model loses detail on recursive shapes, never the whole operation."""
    if isinstance(node, list):
        return [resolve(item, document, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            return {}
        target = resolve(_follow(ref, document), document, (*stack, ref))
        siblings = {key: resolve(value, document, stack) for key, value in node.items() if key != "$ref"}
        return {**target, **siblings} if isinstance(target, dict) else target
    return {key: resolve(value, document, stack) for key, value in node.items()}


def _follow(ref: str, document: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise OpenAPIError(f"only local references are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            raise OpenAPIError(f"reference {ref!r} points at nothing")
        node = node[key]
    return node


def _is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def _fetch(url: str, timeout: float) -> str:
    shown = _without_credentials(url)
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}".replace(url, shown)
        raise OpenAPIError(f"cannot fetch the OpenAPI document from {shown}: {reason}") from None
    if response.is_error:
        raise OpenAPIError(f"cannot fetch the OpenAPI document from {shown}: HTTP {response.status_code}")
    return response.text


def _without_credentials(url: str) -> str:
    """The URL for messages: a user:password part or a query string may hold a key, so both go."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "the given URL"
    hidden = parsed.copy_with(username=None, password=None, query=None, fragment=None)
    return str(hidden) + ("?..." if parsed.query else "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OpenAPIError(f"cannot read the OpenAPI document {path}: {exc.strerror or exc}") from exc


def _parse(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        raise OpenAPIError(f"{origin} is nested too deeply to read") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OpenAPIError(f"{origin} is neither JSON nor YAML: {exc}") from exc
    except RecursionError:
        raise OpenAPIError(f"{origin} is nested too deeply to read") from None


def _name(source: object) -> str:
    return "the document" if isinstance(source, Mapping) else str(source)
