"""Azure Voice Live: where its URL's query comes from (a model, or a Foundry agent) and its defaults.

Voice Live serves the Realtime events (preview names, voices as objects) at
`<resource>/voice-live/realtime?api-version=...`, either for a model (`model=`) or for an agent of
Azure AI Foundry Agent Service (`agent-name`, `agent-project-name`, and optionally the agent's
version and an existing `conversation-id`). Keyless tokens use the AI Foundry scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentkit.connection.errors import EndpointError

VOICE_LIVE_SCOPE = "https://ai.azure.com/.default"
"""The Entra ID scope Voice Live accepts (the older cognitiveservices scope works too)."""


@dataclass(frozen=True)
class VoiceLiveAgent:
    """A Foundry agent to talk to instead of a model: it brings its own instructions and tools."""

    name: str
    project: str
    version: str | None = None
    conversation_id: str | None = None
    """Continue a conversation the agent service already holds."""

    def query(self) -> dict[str, str]:
        if not self.name.strip() or not self.project.strip():
            raise EndpointError("a Voice Live agent needs both its name and its project name")
        out = {"agent-name": self.name.strip(), "agent-project-name": self.project.strip()}
        if self.version:
            out["agent-version"] = self.version
        if self.conversation_id:
            out["conversation-id"] = self.conversation_id
        return out


def voice_live_query(model: str | None, agent: VoiceLiveAgent | None, api_version: str) -> dict[str, str]:
    """The query of a Voice Live URL: the api-version, then a model or an agent (exactly one)."""
    version = (api_version or "").strip()
    if not version:
        raise EndpointError("the Voice Live api-version is empty; leave it unset for the default")
    model = (model or "").strip() or None
    if (model is None) == (agent is None):
        raise EndpointError(
            "Voice Live needs a model (AZURE_VOICELIVE_MODEL, e.g. gpt-realtime) or a Foundry agent, "
            "and not both"
        )
    query = {"api-version": version}
    if model is not None:
        query["model"] = model
    if agent is not None:
        query.update(agent.query())
    return query
