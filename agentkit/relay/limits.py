"""How much one client may ask of the relay: frame size, message and audio rates, session length.

Limits protect the relay and the model budget from one misbehaving client; going over a limit ends
that client's connection with a close code and a reason that names the limit (others carry on).
"""

from __future__ import annotations

from dataclasses import dataclass

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_SERVICE_RESTART = 1012
"""The relay is draining for a deploy: the page reconnects with its resume token (to another instance)."""
CLOSE_TRY_LATER = 1013


@dataclass(frozen=True)
class RelayLimits:
    """Per-client limits (and the relay-wide `max_connections`); `None` turns a limit off."""

    max_frame_bytes: int = 256 * 1024
    """Largest client frame; a bigger one closes the connection (1009)."""
    messages_per_second: float = 50.0
    message_burst: int = 200
    """Frames a client may send at once before `messages_per_second` applies."""
    audio_bytes_per_second: float = 2 * 48_000
    """Decoded input audio per second: twice real time for 24 kHz PCM16."""
    audio_burst_bytes: int = 10 * 48_000
    """Audio a client may send at once (10 s of 24 kHz PCM16), e.g. a clip after a stall."""
    max_session_seconds: float | None = 30 * 60
    idle_timeout_seconds: float | None = 120.0
    """A client that sends nothing for this long is disconnected (the microphone streams while on)."""
    max_connections: int | None = 100
    """Clients at once across the relay; more are refused with HTTP 503 before the upgrade."""
    max_connections_per_client: int | None = 10
    """Connections at once from one client (as `Relay(client_key=...)` names it, by default its
    address); more are refused with HTTP 429 before the upgrade, so one client cannot take every slot
    (10 of the default 100: room for a household or an office behind one address, not for a flood).
    Behind a proxy every user shares the proxy's address: give the relay a `client_key` that names
    users (a refusal of a proxied request logs a warning saying so), or None to turn the cap off."""
    max_connections_total: int | None = None
    """Clients at once across every relay process sharing one `SharedState` (Redis), counted with
    leases so a crashed process's share frees itself; more are refused with HTTP 503."""
    connections_per_minute_per_client: float | None = None
    """New connections one client (as `client_key` names it) may open per minute, all processes
    together, with a burst of as many; more are refused with HTTP 429."""
    resume_seconds: float | None = 600.0
    """How long after its last turn a conversation can be resumed with its resume token, on any
    instance sharing the relay's state (see `agentkit.relay.resume`); None turns resuming off."""
    send_timeout_seconds: float | None = 10.0
    """A client that takes longer than this to accept one event (it stopped reading) is
    disconnected (1008), rather than holding its upstream session until the session length ends."""
    max_pending_events: int = 256
    """Model events that may wait for one slow client; one more disconnects it (1008). With
    `send_timeout_seconds` this bounds what a client that never reads costs the relay."""
    handshake_timeout_seconds: float | None = 10.0
    """An upgrade request must arrive whole and be answered within this long, or the connection is
    dropped: half-sent requests (slowloris) cannot pile up. Applied by `RelayServer` and by the server
    settings of `agentkit.relay.serving` (uvicorn, hypercorn)."""

    def __post_init__(self) -> None:
        for name in ("max_frame_bytes", "messages_per_second", "message_burst", "max_pending_events"):
            if not getattr(self, name) > 0:
                raise ValueError(f"RelayLimits.{name} must be positive")
        for name in ("audio_bytes_per_second", "audio_burst_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"RelayLimits.{name} must be positive")
        for name in (
            "max_session_seconds",
            "idle_timeout_seconds",
            "max_connections",
            "max_connections_per_client",
            "max_connections_total",
            "connections_per_minute_per_client",
            "resume_seconds",
            "send_timeout_seconds",
            "handshake_timeout_seconds",
        ):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"RelayLimits.{name} must be positive or None")


class TokenBucket:
    """A rate with a burst allowance: `take(n, now)` is False once the client outpaces `rate`."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = now

    def take(self, amount: float, now: float) -> bool:
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if amount > self._tokens:
            return False
        self._tokens -= amount
        return True
