"""Reads the operations out of a resolved document: one JSON schema and one call plan each."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentkit_openapi.document import OpenAPIError, resolve

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Operation:
    """One HTTP operation as the model sees it (name, description, schema) and how to send it."""

    name: str
    operation_id: str | None
    description: str
    method: str
    path: str
    parameters: dict[str, Any]
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    body_param: str | None


_JSON_TYPES: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _shaped(value: Any, kind: type, where: str) -> Any:
    """`value` when it has the JSON type the spec requires there; else an error naming the place."""
    if not isinstance(value, kind):
        raise OpenAPIError(f"{where} must be {_JSON_TYPES[kind]}, got {type(value).__name__}")
    return value


def read_operations(document: Mapping[str, Any]) -> list[Operation]:
    operations: list[Operation] = []
    taken: set[str] = set()
    for path, item in _shaped(document.get("paths") or {}, dict, "paths").items():
        item = _shaped(resolve(item, document), dict, f"paths.{path}")
        shared = _shaped(item.get("parameters", []), list, f"paths.{path}.parameters")
        for method in _METHODS:
            spec = item.get(method)
            if isinstance(spec, dict):
                operation = _operation(method, path, spec, shared, document, taken)
                taken.add(operation.name)
                operations.append(operation)
    return operations


def _operation(
    method: str,
    path: str,
    spec: dict[str, Any],
    shared: list[dict[str, Any]],
    document: Mapping[str, Any],
    taken: set[str],
) -> Operation:
    place = f"paths.{path}.{method}"
    own = _shaped(resolve(spec.get("parameters", []), document), list, f"{place}.parameters")
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*shared, *own]:
        if isinstance(param, dict) and param.get("in") in {"path", "query", "header"} and param.get("name"):
            merged[(param["in"], _shaped(param["name"], str, f"{place}.parameters name"))] = param
    properties: dict[str, Any] = {}
    required: list[str] = []
    where: dict[str, list[str]] = {"path": [], "query": [], "header": []}
    for (location, name), param in merged.items():
        prop = dict(
            _shaped(param.get("schema") or {"type": "string"}, dict, f"{place}.parameters.{name}.schema")
        )
        if param.get("description"):
            prop["description"] = param["description"]
        properties[name] = prop
        where[location].append(name)
        if location == "path" or param.get("required"):
            required.append(name)
    body_param = _body(spec, properties, required, document, f"{place}.requestBody")
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return Operation(
        name=_unique(_name(method, path, spec), taken),
        operation_id=spec.get("operationId"),
        description=_describe(method, path, spec),
        method=method.upper(),
        path=path,
        parameters=schema,
        path_params=tuple(where["path"]),
        query_params=tuple(where["query"]),
        header_params=tuple(where["header"]),
        body_param=body_param,
    )


def _body(
    spec: dict[str, Any],
    properties: dict[str, Any],
    required: list[str],
    document: Mapping[str, Any],
    place: str,
) -> str | None:
    body = resolve(spec.get("requestBody"), document)
    if not isinstance(body, dict):
        return None
    content = _shaped(body.get("content") or {}, dict, f"{place}.content")
    media = next((value for key, value in content.items() if "json" in key), None)
    if not isinstance(media, dict):
        return None
    name = "body" if "body" not in properties else "request_body"
    schema = dict(_shaped(media.get("schema") or {}, dict, f"{place} schema"))
    if body.get("description"):
        schema["description"] = body["description"]
    properties[name] = schema
    if body.get("required"):
        required.append(name)
    return name


def _name(method: str, path: str, spec: dict[str, Any]) -> str:
    operation_id = spec.get("operationId")
    if operation_id:
        return _INVALID_NAME_CHARS.sub("_", str(operation_id)).strip("_")[:64] or method
    return "_".join([method, *_INVALID_NAME_CHARS.sub(" ", path).split()])[:64]


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate, number = name[: 64 - len(suffix)] + suffix, number + 1
    return candidate


def _describe(method: str, path: str, spec: dict[str, Any]) -> str:
    text = spec.get("summary") or spec.get("description") or ""
    return " ".join(str(text).split()) or f"{method.upper()} {path}"
