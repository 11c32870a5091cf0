"""A simulated caller: plays a script of lines into a session, typed or spoken, and keeps the turns.

    caller = Caller(session)
    await caller.says("Hi, where is my order A-1001?")
    await caller.speaks("Yes, please go ahead.")                  # spoken() speech: heard exactly
    await caller.speaks("Track A-1002", recognised=True)          # espeak-ng speech: recognised
    turns = await caller.run(["Refund A-1001, it broke", Speech("yes"), follow_up])

A line is text, a `Speech`, or a function of the previous turn that returns the next line (or None
to end the script early), for a caller that reacts to what the agent said.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import anyio

from agentkit.engine import Turn, TurnDone
from agentkit.session import Session
from agentkit.testing import audio as server_audio
from agentkit.testing.audio import spoken
from agentkit.testing.speech import silence, synthesize

DEFAULT_TURN_TIMEOUT = 30.0
_LEAD_IN_MS = 300
_TRAILING_SILENCE_MS = 1200
"""After speech: long enough for server voice detection (silence_duration_ms up to 1 s) to end the turn."""


@dataclass(frozen=True)
class Speech:
    """A line said aloud. `recognised=False` (the default) makes `spoken()` speech the local server
    hears exactly; `recognised=True` sends plain synthesized speech (espeak-ng where installed) that
    goes through the server's speech recogniser, as a real caller's voice would."""

    text: str
    recognised: bool = False
    voice: str | None = None


Line = str | Speech | Callable[[Turn | None], "str | Speech | None"]


class Caller:
    """Talks to one session, a line at a time, waiting for each whole turn (tool rounds included)."""

    def __init__(self, session: Session, *, timeout: float = DEFAULT_TURN_TIMEOUT) -> None:
        self.session = session
        self.timeout = timeout
        self.turns: list[Turn] = []
        """Every turn so far, in order."""

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    async def says(self, text: str) -> Turn:
        """Type `text` and wait for the agent's whole turn."""
        turn = await self.session.ask(text, timeout=self.timeout)
        self.turns.append(turn)
        return turn

    async def speaks(self, text: str, *, recognised: bool = False, voice: str | None = None) -> Turn:
        """Say `text` aloud and wait for the turn (see `Speech`), in the agent's input format (G.711
        for a phone agent: marked speech is then marked after the line's own coding, so it is still
        heard exactly). The server's voice detection ends the turn at the trailing silence; an agent
        with `turn_detection="manual"` has the audio committed."""
        audio_format = self._format
        speech = server_audio.encode(
            synthesize(text, voice=voice) if recognised else spoken(text, voice), audio_format
        )
        if not recognised and audio_format != "pcm16":
            server_audio.remember(text, server_audio.decode(speech, audio_format))
        lead_in = server_audio.encode(silence(_LEAD_IN_MS), audio_format)
        trailing = server_audio.encode(silence(_TRAILING_SILENCE_MS), audio_format)
        return await self._send(lead_in + speech + trailing)

    async def sends_audio(self, pcm16: bytes) -> Turn:
        """Stream audio (PCM16, 24 kHz, mono; converted to the agent's input format) as the caller's
        turn and wait for the turn."""
        return await self._send(server_audio.encode(pcm16, self._format))

    @property
    def _format(self) -> str:
        return self.session.agent.input_audio_format or "pcm16"

    async def _send(self, coded: bytes) -> Turn:
        async with self.session.events() as events:
            with anyio.fail_after(self.timeout):
                await self.session.send_audio(coded)
                if self.session.agent.turn_detection == "manual":
                    await self.session.commit_audio()
                async for event in events:
                    if isinstance(event, TurnDone):
                        self.turns.append(event.turn)
                        return event.turn
        raise RuntimeError("the session ended before the turn did")

    async def line(self, line: Line) -> Turn | None:
        """Play one line of a script; None when a function line ended the script."""
        said = line(self.last) if callable(line) else line
        if said is None:
            return None
        if isinstance(said, Speech):
            return await self.speaks(said.text, recognised=said.recognised, voice=said.voice)
        return await self.says(said)

    async def run(self, script: Iterable[Line]) -> list[Turn]:
        """Play the lines in order; returns the turns they made."""
        made: list[Turn] = []
        for entry in script:
            turn = await self.line(entry)
            if turn is None:
                break
            made.append(turn)
        return made
