"""How to reach an MCP server and which of its tools to expose: plain data, checked once."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True, kw_only=True)
class _ServerOptions:
    allow: Collection[str] | None = None
    """MCP tool names to expose (as the server names them); `None` exposes every tool."""
    prefix: str | None = None
    """Put before each tool name (`prefix_tool`); `None` uses the server name, `""` none at all."""
    timeout: float | None = None
    """Seconds per call; `None` leaves it to the session's default tool timeout."""
    connect_timeout: float = 30.0
    """Seconds to start (or restart) the server and list its tools."""
    protocol: str = "auto"
    """`"auto"` negotiates the newest protocol both sides speak; `"legacy"` forces the 2025
    initialize handshake (for servers that mishandle the discovery probe)."""

    def __post_init__(self) -> None:
        name = getattr(self, "name", "")
        if not _SERVER_NAME.match(name):
            raise ValueError(f"MCP server name {name!r} must be 1-32 letters, digits, '_' or '-'")
        if isinstance(self.allow, str):
            raise TypeError(f"MCP server {name}: allow takes a collection of tool names, not one string")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"MCP server {name}: timeout must be positive, got {self.timeout!r}")

    @property
    def tool_prefix(self) -> str:
        return getattr(self, "name", "") if self.prefix is None else self.prefix


@dataclass(frozen=True)
class StdioServer(_ServerOptions):
    """A server the plugin starts as a child process and talks to over its stdin/stdout.

    `env` is added to a minimal safe environment (PATH, HOME, ...), not to this process's:
    pass what the server needs explicitly. It is kept out of reprs since it often holds keys.
    """

    name: str
    command: str
    args: Sequence[str] = ()
    env: Mapping[str, str] | None = field(default=None, repr=False)
    cwd: str | Path | None = None


@dataclass(frozen=True)
class HttpServer(_ServerOptions):
    """A server reached over streamable HTTP. `headers` (e.g. `Authorization`) and the URL,
    which may carry a token, never appear in reprs, logs or error messages."""

    name: str
    url: str = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"MCP server {self.name}: url must start with http:// or https://")


ServerConfig = StdioServer | HttpServer


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts of a server that stopped: `initial`, times `factor` per failed
    attempt, at most `maximum`. A connection that stayed up `stable_after` seconds resets it."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    stable_after: float = 30.0

    def __post_init__(self) -> None:
        if not (self.initial > 0 and self.factor >= 1 and self.maximum >= self.initial):
            raise ValueError("Backoff needs initial > 0, factor >= 1 and maximum >= initial")

    def delay(self, attempt: int) -> float:
        return float(min(self.maximum, self.initial * self.factor ** min(attempt, 64)))
