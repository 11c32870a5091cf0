"""Single-use stream tickets: the proof that a media stream belongs to a call this server set up.

The call's webhook (signed by the carrier) mints a ticket and puts it in the stream's set-up (TwiML
`<Parameter>`, the ACS transport URL); the stream must present it, for the same call, before it
expires, once. A stream without one is closed before any session opens, so nobody can reach the
agent by dialling the WebSocket directly. Tickets live in this process: with several instances,
route a call's stream to the instance that answered its webhook (or share a store).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_TICKET_TTL_S = 60.0
MAX_OUTSTANDING = 10_000


@dataclass(frozen=True)
class Redeemed:
    """A spent ticket: the call it was issued for and what the webhook decided to keep with it."""

    call_id: str
    data: Any = None


@dataclass(frozen=True)
class _Issued:
    call_id: str
    expires_at: float
    data: Any


class CallTickets:
    """Mint and redeem stream tickets; outstanding ones are bounded (the oldest are forgotten first)."""

    def __init__(
        self,
        ttl_s: float = DEFAULT_TICKET_TTL_S,
        *,
        max_outstanding: int = MAX_OUTSTANDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not ttl_s > 0 or max_outstanding < 1:
            raise ValueError("ttl_s and max_outstanding must be positive")
        self.ttl_s = ttl_s
        self._max = max_outstanding
        self._clock = clock
        self._issued: OrderedDict[str, _Issued] = OrderedDict()

    def __repr__(self) -> str:
        return f"CallTickets(outstanding={len(self._issued)}, ttl_s={self.ttl_s:g})"

    def issue(self, call_id: str, data: Any = None) -> str:
        """A new ticket for `call_id`, carrying `data` to the stream (its value never appears in logs)."""
        self._expire()
        ticket = secrets.token_urlsafe(24)
        self._issued[ticket] = _Issued(call_id, self._clock() + self.ttl_s, data)
        while len(self._issued) > self._max:
            self._issued.popitem(last=False)
        return ticket

    def redeem(self, ticket: str | None, call_id: str | None = None) -> Redeemed | None:
        """The call the ticket was issued for, spending the ticket; None when it is unknown, spent,
        expired or (with `call_id`) issued for another call."""
        self._expire()
        if not ticket or not isinstance(ticket, str):
            return None
        issued = self._issued.pop(ticket, None)
        if issued is None:
            return None
        if call_id is not None and not hmac.compare_digest(issued.call_id.encode(), call_id.encode()):
            return None
        return Redeemed(issued.call_id, issued.data)

    def _expire(self) -> None:
        now = self._clock()
        while self._issued:
            ticket, issued = next(iter(self._issued.items()))
            if issued.expires_at > now:
                break
            del self._issued[ticket]
