"""State that outlives one relay process: spent tickets, connection counts, rate limits and
conversation snapshots, behind small interfaces, in memory (the default) or in Redis (shared).

    state = SharedState.from_env()          # Redis if AGENTKIT_REDIS_URL is set, memory otherwise
    signer = TicketSigner(secret, spent=state.tickets)
    relay = Relay(agent, auth=signer.auth(), state=state)
"""

from agentkit.state.shared import LIMITS_ON_OUTAGE_ENV, REDIS_URL_ENV, OutagePolicy, SharedState
from agentkit.state.stores import (
    ConnectionCounts,
    RateLimiter,
    SnapshotStore,
    StateUnavailable,
    TicketStore,
)

__all__ = [
    "LIMITS_ON_OUTAGE_ENV",
    "REDIS_URL_ENV",
    "ConnectionCounts",
    "OutagePolicy",
    "RateLimiter",
    "SharedState",
    "SnapshotStore",
    "StateUnavailable",
    "TicketStore",
]
