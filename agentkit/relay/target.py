"""What `agentkit relay` serves: the target it names, as a `Relay` (shared by the CLI and its workers)."""

from __future__ import annotations

from agentkit.agent import Agent
from agentkit.connection import Endpoint
from agentkit.relay.policy import RelayPolicy
from agentkit.relay.relay import Relay
from agentkit.tools.targets import load_object


def load_target(target: str) -> Agent | Relay:
    """The `Agent` or `Relay` named `module.path:attribute` or `file.py:attribute` (or what a factory
    there returns); the current folder is importable, as for `agentkit chat`."""
    value = load_object(target, (Agent, Relay), form="MODULE:AGENT")
    assert isinstance(value, (Agent, Relay))
    return value


def build_relay(
    target: Agent | Relay,
    endpoint: Endpoint | None,
    *,
    path: str,
    origins: list[str] | None,
    tool_notices: bool,
    allowed_hosts: list[str] | None = None,
) -> Relay:
    """The relay the command serves: `target` itself when it is one, else a relay for the agent."""
    if isinstance(target, Relay):
        if endpoint is not None:
            target.endpoint = endpoint
        return target
    return Relay(
        target,
        endpoint,
        policy=RelayPolicy(tool_notices=tool_notices),
        allowed_origins=origins,
        allowed_hosts=allowed_hosts,
        path=path,
    )
