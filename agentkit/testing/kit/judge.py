"""An optional judge: a real model checks a conversation against a rubric written in words.

    judge = Judge.from_env()          # None without AZURE_OPENAI_ENDPOINT / OPENAI_API_KEY
    await judge.check(turns, "The agent quotes the refund amount and asks before refunding.")

Some behaviour is easier to say than to assert ("polite", "never promises a delivery date"). The
judge is a text-only agentkit session with the model the environment names (the same variables as
`Endpoint.from_env()`), asked for a JSON verdict. Offline there is no judge: the `agentkit_judge`
fixture skips the test and says which variables to set.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agentkit.agent import Agent
from agentkit.connection import Endpoint
from agentkit.engine import Turn
from agentkit.testing.kit.assertions import TurnAssertionError, format_turns

MODEL_VARIABLES = (
    "set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME (with AZURE_OPENAI_API_KEY, or az "
    "login), or OPENAI_API_KEY"
)
NO_CREDENTIALS = f"no model to judge with: {MODEL_VARIABLES}, to check rubrics with a real model"

INSTRUCTIONS = """\
You are a strict, fair judge of a customer conversation with a voice or chat agent. You get a rubric \
and the conversation: what the caller said, each tool call the agent made with its result, and what \
the agent said. Decide whether the conversation meets every point of the rubric. Answer with one \
JSON object and nothing else: {"pass": true or false, "reason": "one short sentence"}."""

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


class Judge:
    """Checks conversations against rubrics with the model at `endpoint` (one session per check)."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._agent = Agent("judge", INSTRUCTIONS, output_modalities=["text"], reconnect=None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, timeout: float = 60.0) -> Judge | None:
        """A judge for the model the environment names; None when it names none."""
        endpoint = Endpoint.from_env(os.environ if environ is None else environ)
        return cls(endpoint, timeout=timeout) if endpoint is not None else None

    async def verdict(self, turns: Turn | Iterable[Turn], rubric: str) -> Verdict:
        """What the model decided, with its reason (an unreadable answer is a failed verdict)."""
        shown = (turns,) if isinstance(turns, Turn) else tuple(turns)
        question = f"Rubric:\n{rubric.strip()}\n\nConversation:\n{format_turns(shown)}"
        async with self._agent.connect(self.endpoint) as session:
            answer = await session.ask(question, timeout=self.timeout)
        return parse_verdict(answer.text)

    async def check(self, turns: Turn | Iterable[Turn], rubric: str) -> Verdict:
        """`verdict`, raising `TurnAssertionError` (with the reason and the conversation) on a fail."""
        shown = (turns,) if isinstance(turns, Turn) else tuple(turns)
        verdict = await self.verdict(shown, rubric)
        if not verdict.passed:
            raise TurnAssertionError(
                f"the judge found the rubric not met: {verdict.reason}\nrubric: {rubric.strip()}\n"
                f"the conversation was:\n{format_turns(shown)}"
            )
        return verdict


def parse_verdict(text: str) -> Verdict:
    """The judge's JSON answer (a code fence or words around it are tolerated)."""
    found = _OBJECT.search(text)
    try:
        data = json.loads(found.group(0)) if found else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("pass", data.get("passed")), bool):
        shown = text.strip()[:200] or "(nothing)"
        return Verdict(False, f"the judge did not answer with a verdict: {shown}")
    return Verdict(bool(data.get("pass", data.get("passed"))), str(data.get("reason", "")).strip())
