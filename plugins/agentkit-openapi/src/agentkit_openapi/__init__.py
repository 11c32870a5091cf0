"""OpenAPI 3 operations as agentkit tools.

In code: `openapi_toolset(document, base_url=..., headers=..., operations=[...])`. As an installed
plugin (`openapi`), it reads its settings from the environment; see `from_environment`.
"""

from __future__ import annotations

import json
import os

from agentkit.tools import Toolset
from agentkit_openapi.document import OpenAPIError, load_document
from agentkit_openapi.toolset import openapi_toolset

__all__ = ["OpenAPIError", "from_environment", "load_document", "openapi_toolset"]


def from_environment() -> Toolset:
    """The plugin entry point. AGENTKIT_OPENAPI_DOCUMENT (path or URL) is required;
    AGENTKIT_OPENAPI_BASE_URL, AGENTKIT_OPENAPI_HEADERS (a JSON object) and
    AGENTKIT_OPENAPI_OPERATIONS (comma-separated) are optional."""
    document = os.environ.get("AGENTKIT_OPENAPI_DOCUMENT")
    if not document:
        raise OpenAPIError("set AGENTKIT_OPENAPI_DOCUMENT to the path or URL of an OpenAPI 3 document")
    try:
        headers = json.loads(os.environ.get("AGENTKIT_OPENAPI_HEADERS") or "{}")
    except ValueError:
        raise OpenAPIError("AGENTKIT_OPENAPI_HEADERS must be a JSON object") from None
    if not isinstance(headers, dict):
        raise OpenAPIError("AGENTKIT_OPENAPI_HEADERS must be a JSON object")
    listed = os.environ.get("AGENTKIT_OPENAPI_OPERATIONS")
    operations = [name.strip() for name in listed.split(",") if name.strip()] if listed else None
    return openapi_toolset(
        document,
        base_url=os.environ.get("AGENTKIT_OPENAPI_BASE_URL") or None,
        headers={str(key): str(value) for key, value in headers.items()},
        operations=operations,
    )
