"""Errors of the MCP plugin."""

from __future__ import annotations


class MCPStartError(RuntimeError):
    """A server could not be started or reached when `MCPServers` was entered."""
