"""Fault injection: the ways a real Realtime service misbehaves, on demand.

A `Faults` object is read live, so a test may change it while a session runs. Give one to
`LocalRealtimeServer(faults=...)` to affect every connection, or set `connection.faults` for one.
One-shot faults (`malformed_frame`, `unknown_event`, `error`) fire once, at the start of the next
response, on whichever connection gets there first, and then reset themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agentkit.protocol import ErrorDetail


@dataclass
class Faults:
    drop_after_events: int | None = None
    """Abort the TCP connection (no close frame) after this many events of a response were sent."""
    malformed_frame: bool = False
    """Send one frame that is not JSON."""
    unknown_event: bool = False
    """Send one event of a type no client knows."""
    error: ErrorDetail | None = None
    """Send this as one `error` event."""
    delays: Mapping[str, float] = field(default_factory=dict)
    """Extra delay (seconds) before each event of the given wire type, e.g. `{"response.done": 0.5}`."""
    interleave_items: bool = False
    """Stream the output items of a response round-robin instead of one after another (Azure's docs
    allow it); each item's own events keep their order."""
    expire_after: float | None = None
    """Seconds after the connection opens: send a `session_expired` error, then close."""
    ignore_creates: int = 0
    """Leave this many `response.create`s unanswered (lost by the service), counting down."""

    def take_one_shots(self) -> tuple[bool, bool, ErrorDetail | None]:
        """The pending one-shot faults, cleared as they are taken."""
        taken = (self.malformed_frame, self.unknown_event, self.error)
        self.malformed_frame, self.unknown_event, self.error = False, False, None
        return taken
