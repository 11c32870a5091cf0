"""Who may connect now: the relay's connection caps and connection rate, kept in `SharedState`.

Three caps, checked before the upgrade (HTTP 503 or 429) and taken atomically after it:
`max_connections` (this process), `max_connections_total` (every process sharing the state) and
`max_connections_per_client` (one client, wherever it connected), and a rate of new connections per
client (`connections_per_minute_per_client`). With a shared store that cannot be reached, the state's
`limits_on_outage` decides: "open" admits the client uncounted, "closed" refuses it with HTTP 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from agentkit.relay.client_slots import ClientKey
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.limits import RelayLimits
from agentkit.state import SharedState, StateUnavailable

logger = logging.getLogger("agentkit.relay")

AT_CAPACITY = Rejection(503, "The relay is at capacity; try again later.")
TOO_MANY_FROM_CLIENT = Rejection(429, "Too many connections from this client; close one and try again.")
TOO_OFTEN_FROM_CLIENT = Rejection(429, "Too many new connections from this client; wait a moment.")
UNKNOWN_CLIENT = Rejection(500, "The relay could not identify the client.")
LIMITS_UNAVAILABLE = Rejection(503, "The relay cannot check its limits right now; try again shortly.")

TOTAL_KEY = "all"


@dataclass
class Admitted:
    """One admitted connection: the shared counts it holds a slot in (given back by `leave`)."""

    held: list[str] = field(default_factory=list)


class Admission:
    def __init__(self, limits: RelayLimits, state: SharedState, client_key: ClientKey) -> None:
        self.limits = limits
        self.state = state
        self.client_key = client_key
        self.active = 0
        """Clients connected to this process now."""

    async def check(self, handshake: Handshake) -> Rejection | None:
        """Whether an upgrade request may go on (nothing is taken but a connection-rate token)."""
        limits = self.limits
        if limits.max_connections is not None and self.active >= limits.max_connections:
            return AT_CAPACITY
        key = self._key(handshake)
        if isinstance(key, Rejection):
            return key
        try:
            total = limits.max_connections_total
            if total is not None and await self.state.connections.count(TOTAL_KEY) >= total:
                return AT_CAPACITY
            if key is None:
                return None
            per_client = limits.max_connections_per_client
            if per_client is not None and await self.state.connections.count(_client(key)) >= per_client:
                return self._refused(handshake, TOO_MANY_FROM_CLIENT)
            rate = limits.connections_per_minute_per_client
            if rate is not None and not await self.state.rates.allow(
                _client(key), rate / 60, max(1, int(rate))
            ):
                return self._refused(handshake, TOO_OFTEN_FROM_CLIENT)
        except StateUnavailable as exc:
            return self._outage(exc)
        return None

    async def enter(self, handshake: Handshake) -> Admitted | Rejection:
        """Take the connection's slots, checked again now that it is accepted (others raced it)."""
        limits = self.limits
        if limits.max_connections is not None and self.active >= limits.max_connections:
            return AT_CAPACITY
        key = self._key(handshake)
        if isinstance(key, Rejection):
            return key
        admitted = Admitted()
        wanted: list[tuple[str, int, Rejection]] = []
        if limits.max_connections_total is not None:
            wanted.append((TOTAL_KEY, limits.max_connections_total, AT_CAPACITY))
        if key is not None and limits.max_connections_per_client is not None:
            wanted.append((_client(key), limits.max_connections_per_client, TOO_MANY_FROM_CLIENT))
        for name, limit, refusal in wanted:
            try:
                taken = await self.state.connections.acquire(name, limit)
            except StateUnavailable as exc:
                rejection = self._outage(exc)
                if rejection is None:
                    continue  # fail open: admitted uncounted
                await self._give_back(admitted)
                return rejection
            if not taken:
                await self._give_back(admitted)
                return self._refused(handshake, refusal)
            admitted.held.append(name)
        self.active += 1
        return admitted

    async def leave(self, admitted: Admitted) -> None:
        """The connection ended: give back what `enter` took (then it no longer counts as active)."""
        try:
            await self._give_back(admitted)
        finally:
            self.active -= 1

    async def _give_back(self, admitted: Admitted) -> None:
        """An unreachable store is corrected by the next lease renewal (see `agentkit.state`)."""
        for name in admitted.held:
            try:
                await self.state.connections.release(name)
            except StateUnavailable as exc:
                logger.warning("relay: could not release a connection slot: %s", exc)
        admitted.held.clear()

    def _key(self, handshake: Handshake) -> str | Rejection | None:
        limits = self.limits
        if limits.max_connections_per_client is None and limits.connections_per_minute_per_client is None:
            return None
        try:
            return self.client_key(handshake)
        except Exception as error:  # a faulty hook refuses; its message may quote credentials
            logger.error("relay: client_key failed with %s; refusing the client", type(error).__name__)
            return UNKNOWN_CLIENT

    def _outage(self, error: StateUnavailable) -> Rejection | None:
        if self.state.limits_on_outage == "open":
            logger.warning("relay: %s; admitting the client without counting it (limits fail open)", error)
            return None
        logger.warning("relay: %s; refusing the client (limits fail closed)", error)
        return LIMITS_UNAVAILABLE

    @staticmethod
    def _refused(handshake: Handshake, rejection: Rejection) -> Rejection:
        logger.info("relay: refused %s: %s", handshake.client or "a client", rejection.message)
        if _PROXIED.intersection(handshake.headers):
            # Behind a proxy the default key (the peer address) is the proxy's, shared by every user.
            logger.warning(
                "relay: a per-client limit refused a request that came through a proxy; if users share "
                "its address, give Relay(client_key=...) something that names each user"
            )
        return rejection


_PROXIED = frozenset({"forwarded", "x-forwarded-for", "x-real-ip"})


def _client(key: str) -> str:
    return f"client:{key}"
