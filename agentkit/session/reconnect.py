"""When and how often a session tries to get its connection back."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from agentkit.connection import ConnectionClosed, HandshakeError

_RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
_FINAL_ERROR_CODES = frozenset({"beta_api_shape_disabled", "invalid_beta"})
"""The service will say the same again: reconnecting cannot help."""
_FINAL_CLOSE_CODES = frozenset({1002, 1003, 1007, 1008, 1009, 4000})


@dataclass(frozen=True)
class ReconnectPolicy:
    """Exponential backoff with jitter, for at most `max_attempts` tries per outage.

    The n-th try waits `initial_delay * multiplier**(n-1)` seconds (at most `max_delay`), scaled by
    a random factor in `[1 - jitter, 1]` so that many clients cut off together do not return together.
    """

    max_attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("ReconnectPolicy.max_attempts must be at least 1 (use reconnect=None for none)")
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("ReconnectPolicy delays must be >= 0 and the multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("ReconnectPolicy.jitter must be between 0 and 1")

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before try number `attempt` (1-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return base * (1 - self.jitter * rand())


def worth_retrying(error: BaseException | None, error_code: str | None = None) -> bool:
    """Whether a new connection might succeed where this one failed."""
    if error_code in _FINAL_ERROR_CODES:
        return False
    if isinstance(error, HandshakeError):
        return error.status is None or error.status in _RETRYABLE_HTTP
    if isinstance(error, ConnectionClosed):
        return error.code not in _FINAL_CLOSE_CODES
    return True
