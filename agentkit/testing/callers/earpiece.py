"""The caller's ear: plays what the agent sends, at the pace of a phone, and says what it has heard.

Audio and marks queue in arrival order, as in a carrier's playout buffer. A player takes them off
at `pace` times real time (0: at once) and acknowledges each mark when the audio before it has
played, as Twilio does. `hold()` stops the playout (the caller talks over the agent and, for the
test's certainty, hears no more), `clear()` drops what is queued and acknowledges its marks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

DONE_SUFFIX = ":done"


@dataclass
class _Clip:
    audio: bytes
    ms: float


@dataclass
class _Mark:
    name: str


class Earpiece:
    """Plays queued audio and marks; `on_mark` sends a mark's acknowledgement back to the carrier side."""

    def __init__(self, bytes_per_ms: float, on_mark: Callable[[str], Awaitable[None]], pace: float) -> None:
        self.bytes_per_ms = bytes_per_ms
        self.pace = pace
        self.heard = bytearray()
        """Everything played, in order."""
        self.answers: list[bytes] = []
        """The audio of each answer played to its end (Twilio: up to a `...:done` mark)."""
        self.marks_played: list[str] = []
        self.clears = 0
        self._answer = bytearray()
        self._queue: deque[_Clip | _Mark] = deque()
        self._on_mark = on_mark
        self._changed = anyio.Event()
        self._held = False

    @property
    def heard_ms(self) -> float:
        return len(self.heard) / self.bytes_per_ms

    @property
    def answer_ms(self) -> float:
        """How much of the answer now playing has been heard."""
        return len(self._answer) / self.bytes_per_ms

    def queue_audio(self, audio: bytes) -> None:
        self._queue.append(_Clip(audio, len(audio) / self.bytes_per_ms))
        self._poke()

    def queue_mark(self, name: str) -> None:
        self._queue.append(_Mark(name))
        self._poke()

    async def clear(self) -> None:
        """Drop the queued audio and acknowledge its marks, then play again."""
        self.clears += 1
        pending = [entry.name for entry in self._queue if isinstance(entry, _Mark)]
        self._queue.clear()
        self._answer.clear()
        self._held = False
        for name in pending:
            await self._on_mark(name)
        self._poke()

    def hold(self) -> None:
        """Stop playing audio (marks right after what was played are still acknowledged)."""
        self._held = True

    def release(self) -> None:
        """Play again after `hold()`."""
        self._held = False
        self._poke()

    @property
    def queued_ms(self) -> float:
        """Audio received and not yet played."""
        return sum(entry.ms for entry in self._queue if isinstance(entry, _Clip))

    @property
    def idle(self) -> bool:
        """Everything received has been played (and its marks acknowledged)."""
        return not self._queue

    def settled(self) -> bool:
        """Held, with every mark that followed the played audio acknowledged."""
        return self._held and (not self._queue or isinstance(self._queue[0], _Clip))

    def answer_done(self) -> None:
        """An answer ended without a done mark (carriers without marks)."""
        if self._answer:
            self.answers.append(bytes(self._answer))
            self._answer.clear()
            self._poke()

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        with anyio.fail_after(timeout):
            while not predicate():
                changed = self._changed
                await changed.wait()

    async def play(self) -> None:
        """The player: runs until cancelled."""
        while True:
            if not self._queue or (self._held and isinstance(self._queue[0], _Clip)):
                changed = self._changed
                await changed.wait()
                continue
            entry = self._queue.popleft()
            if isinstance(entry, _Clip):
                if self.pace > 0:
                    await anyio.sleep(entry.ms / 1000 * self.pace)
                self.heard += entry.audio
                self._answer += entry.audio
            else:
                self.marks_played.append(entry.name)
                if entry.name.endswith(DONE_SUFFIX):
                    self.answers.append(bytes(self._answer))
                    self._answer.clear()
                await self._on_mark(entry.name)
            self._poke()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()
