"""What the agent is told to say while a slow tool runs (the engine decides when; see `engine.fillers`)."""

from __future__ import annotations

from agentkit.tools import Tool

GENERIC_FILLER = (
    "The user is waiting while you {task}. Say one short, natural sentence that you are still working "
    "on it. Do not give any result and do not make anything up."
)


def filler_instructions(tool: Tool) -> str | None:
    """The tool's filler instructions: its own text, a generic line, or None when it wants none."""
    if tool.filler is False:
        return None
    if isinstance(tool.filler, str):
        return tool.filler
    task = tool.description.split(". ")[0].rstrip(".").strip()
    task = task[0].lower() + task[1:] if task else f"run {tool.name.replace('_', ' ')}"
    return GENERIC_FILLER.format(task=task)
