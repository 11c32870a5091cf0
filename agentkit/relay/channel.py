"""What the relay needs from a client WebSocket, whichever server (websockets, an ASGI server) holds it."""

from __future__ import annotations

from typing import Protocol


class ClientGone(Exception):
    """The client's connection is already closed; nothing more can be sent to it."""


class ClientChannel(Protocol):
    """One accepted client WebSocket."""

    async def receive(self) -> str | bytes | None:
        """The next message, or None once the client has closed or dropped the connection."""
        ...

    async def send(self, text: str) -> None:
        """Send one text message; raises `ClientGone` when the connection is closed."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close with a code and a reason the client can show; never raises."""
        ...
