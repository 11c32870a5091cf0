"""Builds a Toolset from an OpenAPI document; each tool sends its operation's request with httpx."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from agentkit.tools import Tool, ToolError, Toolset
from agentkit_openapi.document import OpenAPIError, load_document
from agentkit_openapi.operations import Operation, read_operations

_MAX_ERROR_BODY = 1000


@dataclass(frozen=True)
class _Target:
    """Where and how requests go. Headers may hold credentials: kept out of reprs and messages."""

    base_url: str
    headers: Mapping[str, str] = field(repr=False)
    timeout: float
    client: httpx.AsyncClient | None = field(repr=False)


def openapi_toolset(
    document: str | Path | Mapping[str, Any],
    *,
    base_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    operations: Collection[str] | None = None,
    name: str = "openapi",
    timeout: float = 30.0,
    client: httpx.AsyncClient | None = None,
) -> Toolset:
    """One tool per operation of an OpenAPI 3 document (a dict, a file path, or an http(s) URL).

    `base_url` defaults to the document's first server (relative ones resolve against the
    document's URL). `headers` (e.g. `Authorization`) go with every API request, never with the
    document fetch. `operations` allow-lists operations by operationId or tool name. Pass
    `client` to reuse connections; otherwise each call opens its own.
    """
    spec = load_document(document, timeout=timeout)
    found = read_operations(spec)
    if operations is not None:
        found = _allowed(found, operations)
    target = _Target(_base_url(spec, document, base_url), dict(headers or {}), timeout, client)
    return Toolset([_tool(operation, target) for operation in found], name=name)


def _allowed(found: list[Operation], allowed: Collection[str]) -> list[Operation]:
    names = {op.name for op in found} | {op.operation_id for op in found if op.operation_id}
    unknown = sorted(set(allowed) - names)
    if unknown:
        available = ", ".join(op.name for op in found) or "none"
        raise OpenAPIError(f"unknown operations {', '.join(unknown)}; the document has: {available}")
    return [op for op in found if op.name in allowed or op.operation_id in allowed]


def _base_url(spec: Mapping[str, Any], source: object, base_url: str | None) -> str:
    if base_url:
        return base_url
    servers = spec.get("servers") or []
    url = str(servers[0].get("url", "")) if servers and isinstance(servers[0], Mapping) else ""
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return urljoin(source, url or "/")
    if url.startswith(("http://", "https://")):
        return url
    raise OpenAPIError("the document names no absolute server URL; pass base_url")


def _tool(operation: Operation, target: _Target) -> Tool:
    async def call_operation(arguments: dict[str, Any]) -> Any:
        return await _send(operation, target, arguments)

    return Tool(
        call_operation,
        name=operation.name,
        description=operation.description,
        parameters=operation.parameters,
    )


def _path_segment(name: str, value: object) -> str:
    """One path parameter, escaped. An empty or dot-only value would make the URL point at another
    endpoint (`/pets/.` is `/pets`), past the allow-list: refused."""
    text = str(value)
    if text in ("", ".", ".."):
        raise ToolError(f"path parameter {name} cannot be {text!r}: it would change the endpoint")
    return quote(text, safe="")


async def _send(operation: Operation, target: _Target, arguments: dict[str, Any]) -> Any:
    path = operation.path
    for name in operation.path_params:
        path = path.replace("{" + name + "}", _path_segment(name, arguments[name]))
    query = {name: arguments[name] for name in operation.query_params if arguments.get(name) is not None}
    # The configured headers (credentials) win over header parameters the model fills in.
    configured = {name.lower() for name in target.headers}
    headers = {
        name: str(arguments[name])
        for name in operation.header_params
        if name in arguments and name.lower() not in configured
    }
    headers.update(target.headers)
    body = arguments.get(operation.body_param) if operation.body_param else None
    url = target.base_url.rstrip("/") + path
    try:
        async with contextlib.AsyncExitStack() as stack:
            client = target.client
            if client is None:
                client = await stack.enter_async_context(httpx.AsyncClient(timeout=target.timeout))
            response = await client.request(operation.method, url, params=query, headers=headers, json=body)
    except httpx.HTTPError as exc:
        raise ToolError(f"{operation.method} {path} failed: {type(exc).__name__}: {exc}") from None
    if response.is_error:
        text = response.text[:_MAX_ERROR_BODY]
        raise ToolError(f"{operation.method} {path} returned HTTP {response.status_code}: {text}")
    if not response.content:
        return {"status": response.status_code}
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text
