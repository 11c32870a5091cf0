"""Handoffs between agents: `Agent(handoffs=[...])` gives the model one transfer tool per target.

A transfer answers its own call, then switches the session to the target with one `session.update`
(its instructions and its tools, transfer tools included), and the conversation goes on as it was:
the follow-up response is the target's. The session's `HandedOff` event, the console and the traces
say which agent took over and why.

Agents may hand back and forth (triage -> refunds -> triage): targets are resolved when a session
starts, and the whole graph it can reach is checked then, so a bad target is a clear error before the
first word, not in the middle of a call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit.engine import AppEvent
from agentkit.tools import Tool, ToolContext, ToolDefinitionError, Toolset

if TYPE_CHECKING:
    from agentkit.agent import Agent

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class HandedOff(AppEvent):
    """The conversation moved to another agent (its instructions and tools apply from now on)."""

    from_agent: str
    to_agent: str
    reason: str
    call_id: str | None
    """The transfer call that asked for it (None: the application handed off)."""


class HandoffError(ToolDefinitionError):
    """A handoff target cannot take over this session (its tools clash, or its audio differs)."""


def transfer_tool_name(target: Agent) -> str:
    slug = _SLUG.sub("_", target.name.lower()).strip("_") or "agent"
    return f"transfer_to_{slug}"[:64]


def transfer_tool(target: Agent) -> Tool:
    """The tool that hands the conversation to `target` (it runs inside the session that calls it)."""
    about = target.handoff_description or _first_sentence(target.instructions) or f"the {target.name} agent"

    async def transfer(reason: str, ctx: ToolContext[Any]) -> str:
        """Hand over.

        Args:
            reason: Why you are handing over, in a few words (the next agent sees it).
        """
        return str(await ctx.session.hand_off(target, reason=reason, call_id=ctx.call_id))

    description = (
        f"Hand the conversation over to {target.name} ({about}). Use it when the customer needs "
        f"what {target.name} does; they take over from the next sentence."
    )
    return Tool(transfer, name=transfer_tool_name(target), description=description, filler=False)


def session_toolset(agent: Agent) -> Toolset:
    """What a session running `agent` offers the model: its tools and one transfer tool per target."""
    tools = agent.toolset.copy(name=f"{agent.name} tools")
    for target in agent.handoffs:
        name = transfer_tool_name(target)
        if name in tools:
            raise HandoffError(
                f"agent {agent.name!r}: its handoff to {target.name!r} needs a tool named {name!r}, "
                "but it already has one (rename the agent or the tool)"
            )
        tools.add(transfer_tool(target))
    return tools


def reachable(root: Agent) -> list[Agent]:
    """`root` and every agent it can hand off to, directly or not (each once, cycles allowed)."""
    seen: dict[int, Agent] = {}
    pending: list[Agent] = [root]
    while pending:
        agent = pending.pop()
        if id(agent) not in seen:
            seen[id(agent)] = agent
            pending.extend(target for target in agent.handoffs if hasattr(target, "handoffs"))
    return list(seen.values())


def find_agent(root: Agent, name: str) -> Agent | None:
    """The agent named `name` among those `root` can reach by handoffs (None: there is none)."""
    return next((agent for agent in reachable(root) if agent.name == name), None)


def check_handoffs(root: Agent) -> None:
    """Every agent `root` can hand off to (directly or not) can take over its sessions."""
    for agent in reachable(root):
        _check_targets(agent, agent.handoffs)
        session_toolset(agent)
        check_audio(root, agent)


def _check_targets(agent: Agent, targets: Iterable[object]) -> None:
    from agentkit.agent import Agent

    names: dict[str, str] = {}
    for target in targets:
        if not isinstance(target, Agent):
            raise HandoffError(f"agent {agent.name!r}: a handoff target must be an Agent, got {target!r}")
        if target is agent:
            raise HandoffError(f"agent {agent.name!r} cannot hand off to itself")
        name = transfer_tool_name(target)
        if name in names:
            raise HandoffError(
                f"agent {agent.name!r}: handoff targets {names[name]!r} and {target.name!r} would both "
                f"be reached by a tool named {name!r}; give them distinct names"
            )
        names[name] = target.name


def check_audio(root: Agent, agent: Agent) -> None:
    """The Realtime API cannot change voice or audio formats once a conversation has audio."""
    for setting in ("voice", "input_audio_format", "output_audio_format"):
        mine, theirs = getattr(root, setting), getattr(agent, setting)
        if agent is not root and theirs is not None and theirs != mine:
            raise HandoffError(
                f"agent {agent.name!r} (reachable by handoff from {root.name!r}) has {setting}={theirs!r} "
                f"but the session uses {mine!r}: a conversation keeps its {setting} (leave it unset on "
                "the target, or make them equal)"
            )


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    first = text.strip().split("\n")[0].split(". ")[0].strip().rstrip(".")
    return first[:120]
