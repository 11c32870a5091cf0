"""Maps MCP tool names onto Realtime function names (`^[A-Za-z0-9_-]{1,64}$`), per server.

A name that fits is kept as `prefix_name`. One that does not (other characters, too long) is
cleaned and cut short, with a digest of the original appended, so two different MCP names can
never end up as the same Realtime name.
"""

from __future__ import annotations

import hashlib
import re

_VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_INVALID_CHAR = re.compile(r"[^A-Za-z0-9_-]")
_DIGEST = 8
_LIMIT = 64


def realtime_name(prefix: str, tool_name: str) -> str:
    """The name the model sees for `tool_name` of the server with this prefix."""
    wanted = f"{prefix}_{tool_name}" if prefix else tool_name
    if _VALID.match(wanted):
        return wanted
    digest = hashlib.sha256(wanted.encode()).hexdigest()[:_DIGEST]
    cleaned = _INVALID_CHAR.sub("_", wanted)[: _LIMIT - _DIGEST - 1]
    return f"{cleaned}_{digest}"
