"""The local server's side of Voice Live's client-marked turns (`input_audio.turn.*`), and the
warnings it gives for Voice Live settings it accepts and reflects but does not simulate.

A client that does its own turn detection (push-to-talk) names each turn: `start` opens it and
drops whatever audio was buffered, `append` adds audio to it, `end` commits it and asks for the
answer, `cancel` throws it away. Audio for a turn that is not the open one is an error, as the
service reports it. `input_audio.clear` empties the buffer like `input_audio_buffer.clear`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentkit.protocol import (
    ClientEvent,
    InputAudioBufferAppend,
    InputAudioBufferCleared,
    InputAudioClear,
    InputAudioTurnAppend,
    InputAudioTurnCancel,
    InputAudioTurnEnd,
    InputAudioTurnStart,
    SessionConfig,
    WarningDetail,
    event_id,
)
from agentkit.testing.errors import invalid_value

if TYPE_CHECKING:
    from agentkit.testing.connection import ServerConnection


class VoiceLiveTurns:
    """The open turn of one connection, if any."""

    def __init__(self) -> None:
        self.open_turn: str | None = None

    async def handle(self, event: ClientEvent, connection: ServerConnection) -> None:
        if isinstance(event, InputAudioTurnStart):
            if not event.turn_id:
                raise invalid_value("turn_id", "Missing required parameter: 'turn_id'.")
            connection.reset_input()
            self.open_turn = event.turn_id
        elif isinstance(event, InputAudioTurnAppend):
            self._check_open(event.turn_id)
            await connection.append_input(InputAudioBufferAppend(audio=event.audio))
        elif isinstance(event, InputAudioTurnEnd):
            self._check_open(event.turn_id)
            self.open_turn = None
            await connection.commit_input_and_respond()
        elif isinstance(event, InputAudioTurnCancel):
            self._check_open(event.turn_id)
            self.open_turn = None
            connection.reset_input()
        elif isinstance(event, InputAudioClear):
            connection.reset_input()
            await connection.send(InputAudioBufferCleared(event_id=event_id()))

    def _check_open(self, turn_id: str) -> None:
        if self.open_turn is None or turn_id != self.open_turn:
            raise invalid_value("turn_id", f"Invalid value: '{turn_id}'. It is not the open turn.")


_NOT_SIMULATED = {
    "avatar": "agentkit's local server renders no avatar; the setting is kept",
    "animation": "agentkit's local server sends no animation events; the setting is kept",
    "input_audio_echo_cancellation": "agentkit's local server does no echo cancellation; the setting is kept",
    "interim_response": "agentkit's local server speaks no interim responses; the setting is kept",
}


def not_simulated(update: SessionConfig) -> list[WarningDetail]:
    """A `warning` (as Voice Live gives one) for each setting the local server only reflects."""
    return [
        WarningDetail(code="not_simulated", message=message, param=f"session.{name}")
        for name, message in _NOT_SIMULATED.items()
        if getattr(update, name) is not None
    ]
