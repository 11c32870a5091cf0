"""Turns an MCP tool result into the one string the model reads.

Text blocks are kept as they are; structured content is used (as JSON) when there is no text.
Images, audio and binary resources cannot go into a function output, so they are described,
never dropped silently: the model then knows something was returned and can say so.
"""

from __future__ import annotations

import json
from typing import Any

from agentkit.tools import COMPLETED, ToolError


def render_call_result(result: Any, *, server: str, tool: str) -> str:
    """The output text of a `CallToolResult`; raises `ToolError` (same text) when it is an error."""
    parts = [_describe(block) for block in result.content or ()]
    has_text = any(getattr(block, "type", None) == "text" for block in result.content or ())
    structured = getattr(result, "structured_content", None)
    if structured is not None and not has_text:
        parts.insert(0, json.dumps(structured, ensure_ascii=False, default=str))
    text = "\n".join(part for part in parts if part)
    if result.is_error:
        raise ToolError(text or f"MCP tool {tool} on server {server} failed without saying why")
    return text or COMPLETED


def _describe(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind} ({block.mime_type}, {_decoded_size(block.data)} bytes) returned; not shown here]"
    if kind == "resource":
        return _describe_resource(block.resource)
    if kind == "resource_link":
        mime = f", {block.mime_type}" if getattr(block, "mime_type", None) else ""
        about = f": {block.description}" if getattr(block, "description", None) else ""
        return f"[resource link {block.name} <{block.uri}>{mime}{about}]"
    return f"[{kind or 'unknown'} content returned; not shown here]"


def _describe_resource(resource: Any) -> str:
    mime = getattr(resource, "mime_type", None)
    text = getattr(resource, "text", None)
    if isinstance(text, str):
        return f"[resource {resource.uri}{f' ({mime})' if mime else ''}]\n{text}"
    size = _decoded_size(getattr(resource, "blob", "") or "")
    return (
        f"[binary resource {resource.uri} ({mime or 'unknown type'}, {size} bytes) returned; not shown here]"
    )


def _decoded_size(data: str) -> int:
    """Bytes a base64 string decodes to, without decoding it."""
    return len(data) * 3 // 4 - data[-2:].count("=") if data else 0
