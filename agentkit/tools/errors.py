"""Errors a tool author raises or sees."""

from __future__ import annotations


class ToolError(Exception):
    """Raise from a tool to tell the model what went wrong; the message is shown to it verbatim."""


class ToolDefinitionError(TypeError):
    """A function cannot become a tool (raised when it is decorated, never per call)."""


class PluginError(RuntimeError):
    """A plugin could not be found or loaded."""


class ToolDefinitionWarning(UserWarning):
    """A tool was accepted, but the model will know less than it should: no description, or a
    parameter without a type hint (so its schema is `{}`). `@tool(strict=True)` refuses such a tool;
    `warnings.simplefilter("error", ToolDefinitionWarning)` refuses them everywhere."""
