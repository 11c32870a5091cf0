"""`--provider gptlive`: the bot on OpenAI GPT-Live, the full-duplex service, with `--demo` or `--text`.

GPT-Live listens; it takes no typed user messages. So each line is spoken to it (agentkit's test
voice: espeak-ng speech where installed, which the local server hears exactly as its text), and the
service answers in its own time, running the bot's tools through delegated calls. The refunds agent,
approvals and the card-number guardrail are the Realtime bot's: this path has the front desk's tools.
"""

from __future__ import annotations

from typing import TextIO

from agentkit import Agent
from agentkit.connection.gpt_live import GptLiveEndpoint
from agentkit.console import ChatView, TurnStats, converse, lines_of, read_lines
from agentkit.console.chat import styled
from agentkit.engine import AppEvent, Turn
from agentkit.session import EventStream
from agentkit.session.live_session import LiveSession
from agentkit.testing.audio import spoken

from .demo import summary

LIVE_SCRIPT = [
    "Hi! Can you check on my order A-1001?",
    "When will the monitor arrive? Please track A-1002.",
    "What is your return policy?",
]
"""The `--demo` conversation on GPT-Live: a lookup, a slow carrier, and a policy question."""


class SpokenLines:
    """A `LiveSession` that takes each user line as speech, so `converse` can talk to it."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session

    async def send_text(self, text: str) -> None:
        await self.session.send_audio(spoken(text))

    def events(self) -> EventStream[AppEvent]:
        return self.session.events()


async def run_live(
    agent: Agent,
    endpoint: GptLiveEndpoint,
    out: TextIO,
    *,
    demo: bool,
    source: TextIO,
    turn_timeout: float,
) -> list[Turn]:
    """Talk to GPT-Live: the demo's lines (then a summary table), or one line at a time from
    `source`; returns the turns."""
    view = ChatView(out, color=styled(out), assistant="assistant")
    turns: list[tuple[Turn, TurnStats]] = []

    def keep(turn: Turn) -> None:
        turns.append((turn, view.last_turn or TurnStats()))

    async with agent.connect(endpoint) as session:
        lines = lines_of(LIVE_SCRIPT) if demo else read_lines(source)
        if demo:
            out.write(f"A customer speaks {len(LIVE_SCRIPT)} lines; the service answers in its own time.\n\n")
        talk = SpokenLines(session)
        await converse(talk, lines, view, echo=True, turn_timeout=turn_timeout, on_turn=keep)
    view.finish()
    if demo:
        out.write("\n" + summary(turns) + "\n")
        out.flush()
    return [turn for turn, _ in turns]
