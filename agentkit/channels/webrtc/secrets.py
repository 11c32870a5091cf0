"""Which ephemeral client secrets this server handed out, so a browser that made its own call with
one can only have the server attach to that call: it must show the secret, once, before it expires.

Only a digest of each secret is kept; a secret claims at most one call, and a call id at most one
secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass


class CallRefused(Exception):
    """The browser's claim to a call is not one this server can honour (the message says why, with no
    secret in it)."""


@dataclass
class _Minted:
    expires_at: float
    call_id: str | None = None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "replace")).digest()


class SecretBook:
    """In memory, per process: behind a load balancer, attach on the instance that minted the secret."""

    def __init__(self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._minted: dict[bytes, _Minted] = {}
        self._max = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return len(self._minted)

    def add(self, secret: str, expires_at: float) -> None:
        self._forget_expired()
        if len(self._minted) >= self._max:
            del self._minted[next(iter(self._minted))]
        self._minted[_digest(secret)] = _Minted(expires_at)

    def claim(self, secret: str, call_id: str) -> None:
        """Bind `call_id` to `secret`; `CallRefused` if the secret is unknown, expired or already used
        for another call (the same call may be claimed again, e.g. after a page reload)."""
        self._forget_expired()
        entry = self._entry(secret)
        if entry is None:
            raise CallRefused("the client secret was not issued by this server, or it has expired")
        if entry.call_id is not None and entry.call_id != call_id:
            raise CallRefused("the client secret was already used for another call")
        if any(m.call_id == call_id and m is not entry for m in self._minted.values()):
            raise CallRefused("the call was already claimed with another client secret")
        entry.call_id = call_id

    def holds(self, secret: str, call_id: str) -> bool:
        """Whether `secret` already claimed `call_id` (a page reload claims its own call again)."""
        entry = self._entry(secret)
        return entry is not None and entry.call_id == call_id

    def release(self, secret: str, call_id: str) -> None:
        """Undo a claim whose attach failed (no such call), so the secret can claim the right one."""
        entry = self._entry(secret)
        if entry is not None and entry.call_id == call_id:
            entry.call_id = None

    def _entry(self, secret: str) -> _Minted | None:
        digest = _digest(secret)
        return next((m for d, m in self._minted.items() if hmac.compare_digest(d, digest)), None)

    def _forget_expired(self) -> None:
        now = self._clock()
        for digest in [d for d, m in self._minted.items() if m.expires_at <= now and m.call_id is None]:
            del self._minted[digest]
