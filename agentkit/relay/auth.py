"""Client authentication for the relay: a hook that checks the upgrade request before it is accepted.

A hook takes the `Handshake` and returns True (let in), False (HTTP 401) or a `Rejection` (any
status, e.g. 403); it may be async. Browsers cannot set headers on a WebSocket, so a page passes a
short-lived signed ticket as an `agentkit.ticket.<ticket>` subprotocol, which access logs do not
record (or as `?ticket=`; see `TicketSigner`); other clients can send a bearer token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection

from agentkit.relay.handshake import Handshake, Rejection
from agentkit.state import StateUnavailable, TicketStore
from agentkit.state.memory import MemoryTicketStore

logger = logging.getLogger("agentkit.relay")

AuthResult = bool | Rejection
ClientAuth = Callable[[Handshake], AuthResult | Awaitable[AuthResult]]
"""`(handshake) -> True | False | Rejection`, sync or async."""

UNAUTHORIZED = Rejection(401, "Unauthorized")
TICKETS_UNAVAILABLE = Rejection(503, "Tickets cannot be checked right now; try again shortly.")


async def authenticate(hook: ClientAuth | None, handshake: Handshake) -> Rejection | None:
    """Run the hook; None lets the client in. A hook that raises refuses (401) rather than crash."""
    if hook is None:
        return None
    try:
        result = hook(handshake)
        if inspect.isawaitable(result):
            result = await result
    except Exception:
        return UNAUTHORIZED
    if isinstance(result, Rejection):
        return result
    return None if result is True else UNAUTHORIZED


def bearer_auth(tokens: Collection[str] | Callable[[str], bool]) -> ClientAuth:
    """Accept `Authorization: Bearer T` (or `?token=T`) where T is one of `tokens` (or passes the check)."""
    if callable(tokens):
        check = tokens
    else:
        known = [token.encode("utf-8") for token in tokens]

        def check(token: str) -> bool:
            given = token.encode("utf-8")
            return any(hmac.compare_digest(given, expected) for expected in known)

    def hook(handshake: Handshake) -> bool:
        token = handshake.bearer_token or handshake.query.get("token")
        return bool(token) and check(token)  # type: ignore[arg-type]

    return hook


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TicketSigner:
    """Short-lived tickets signed with HMAC-SHA256: the app's backend issues one per page load.

    A ticket is `payload.signature` (URL-safe base64); the payload holds a subject, an expiry and a
    nonce. Anyone with the secret can issue tickets, so keep it server-side. Tickets travel in URLs
    (and so in proxy logs), so by default `auth()` lets each one in once (`single_use`). Spent
    nonces are remembered in `spent`: by default this signer's memory (one process); pass a shared
    store (`SharedState.from_env().tickets`, Redis) so a ticket spent on one instance is refused on
    every other. Tickets fail closed: when the store cannot be reached, `auth()` refuses (HTTP 503).
    """

    def __init__(
        self,
        secret: str | bytes,
        *,
        ttl_seconds: float = 60.0,
        single_use: bool = True,
        clock: Callable[[], float] = time.time,
        spent: TicketStore | None = None,
    ):
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(key) < 16:
            raise ValueError("a ticket secret must be at least 16 bytes")
        if not ttl_seconds > 0:
            raise ValueError("ttl_seconds must be positive")
        self._key = key
        self.ttl_seconds = ttl_seconds
        self.single_use = single_use
        self._clock = clock
        self._local = MemoryTicketStore(clock)
        self.spent: TicketStore = spent if spent is not None else self._local
        """Where redeemed tickets are remembered (until they expire anyway)."""

    def __repr__(self) -> str:
        return f"TicketSigner(ttl_seconds={self.ttl_seconds})"

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, subject: str = "") -> str:
        """A ticket for `subject` (e.g. a user id), valid for `ttl_seconds` from now."""
        body = {"sub": subject, "exp": self._clock() + self.ttl_seconds, "n": secrets.token_urlsafe(8)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def verify(self, ticket: str) -> str | None:
        """The ticket's subject, or None when it is forged, malformed or expired (spent or not)."""
        claims = self._claims(ticket)
        return None if claims is None else claims[0]

    def redeem(self, ticket: str) -> str | None:
        """Like `verify`, and spends the ticket: redeeming it again gives None. Only for the signer's
        own memory; with a shared `spent` store, await `redeem_shared`."""
        if self.spent is not self._local:
            raise RuntimeError("this signer keeps spent tickets in a shared store: use redeem_shared()")
        claims = self._claims(ticket)
        if claims is None:
            return None
        subject, expires, nonce = claims
        return subject if self._local.spend_now(nonce, expires) else None

    async def redeem_shared(self, ticket: str) -> str | None:
        """`redeem` against the `spent` store; raises `StateUnavailable` when it cannot be reached."""
        claims = self._claims(ticket)
        if claims is None:
            return None
        subject, expires, nonce = claims
        return subject if await self.spent.spend(nonce, expires) else None

    def _claims(self, ticket: str) -> tuple[str, float, str] | None:
        """(subject, expiry, nonce) of a genuine, unexpired ticket."""
        payload, _, signature = ticket.partition(".")
        if not payload or not signature or len(ticket) > 4096:
            return None
        if not signature.isascii():  # compare_digest raises TypeError on non-ASCII text
            return None
        try:
            if not hmac.compare_digest(self._sign(payload), signature):
                return None
            body = json.loads(_unb64(payload))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(body, dict):
            return None
        subject, expires, nonce = body.get("sub"), body.get("exp"), body.get("n")
        if not isinstance(subject, str) or not isinstance(nonce, str):
            return None
        if not isinstance(expires, (int, float)) or not expires >= self._clock():
            return None
        return subject, float(expires), nonce

    def auth(self) -> ClientAuth:
        """A hook accepting a valid ticket offered as the `agentkit.ticket.<ticket>` subprotocol, as
        `?ticket=` or as a bearer token (once if `single_use`)."""
        if self.single_use and self.spent is not self._local:
            return self._shared_hook
        check = self.redeem if self.single_use else self.verify

        def hook(handshake: Handshake) -> bool:
            ticket = handshake.ticket or handshake.bearer_token
            return ticket is not None and check(ticket) is not None

        return hook

    async def _shared_hook(self, handshake: Handshake) -> AuthResult:
        ticket = handshake.ticket or handshake.bearer_token
        if ticket is None:
            return False
        try:
            return await self.redeem_shared(ticket) is not None
        except StateUnavailable as exc:
            logger.warning("relay: refusing a ticket that cannot be checked (tickets fail closed): %s", exc)
            return TICKETS_UNAVAILABLE
