"""`Relay`: the trusted middle tier for one agent, independent of the web server that carries it.

Serve it standalone (`RelayServer`, or `agentkit relay MODULE:AGENT`) or mount `relay.asgi()` in any
ASGI app. Either way it answers the browser page at `/` and the client WebSocket at `path`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agentkit.agent import AGENT_DEPS, Agent
from agentkit.connection import Endpoint
from agentkit.relay.assets import read_asset
from agentkit.relay.auth import ClientAuth, authenticate
from agentkit.relay.bridge import ClientBridge
from agentkit.relay.channel import ClientChannel
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.limits import CLOSE_TRY_LATER, RelayLimits
from agentkit.relay.policy import RelayPolicy

if TYPE_CHECKING:
    from agentkit.relay.asgi import RelayApp

logger = logging.getLogger("agentkit.relay")

PAGE_ROUTES: dict[str, str] = {
    "/": "index.html",
    "/index.html": "index.html",
    "/app.js": "app.js",
    "/audio-worklet.js": "audio-worklet.js",
    "/style.css": "style.css",
}
"""Request path (below the relay's mount point) -> page file."""

PAGE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}

AT_CAPACITY = Rejection(503, "The relay is at capacity; try again later.")
FORBIDDEN_ORIGIN = Rejection(403, "Origin not allowed")


class Relay:
    """Relays each client connection to its own session of `agent`, under `policy` and `limits`.

    `endpoint`: the model service (None: from the environment, as `agent.connect()` does).
    `auth`: checks each upgrade request (see `agentkit.relay.auth`); None lets anyone in.
    `allowed_origins`: browser origins allowed to connect, `"*"` for any; None (the default) allows
    only the relay's own origin (and clients that send no Origin, which are not browsers).
    """

    def __init__(
        self,
        agent: Agent,
        endpoint: Endpoint | None = None,
        *,
        policy: RelayPolicy | None = None,
        limits: RelayLimits | None = None,
        auth: ClientAuth | None = None,
        allowed_origins: Collection[str] | None = None,
        path: str = "/realtime",
        deps: Any = AGENT_DEPS,
        serve_page: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not path.startswith("/") or path in PAGE_ROUTES:
            raise ValueError(f"the WebSocket path must start with '/' and not clash with the page: {path!r}")
        self.agent = agent
        self.endpoint = endpoint
        self.policy = policy if policy is not None else RelayPolicy()
        self.limits = limits if limits is not None else RelayLimits()
        self.auth = auth
        self.allowed_origins = (
            None if allowed_origins is None else frozenset(_origin(o) for o in allowed_origins)
        )
        self.path = path
        self.deps = agent.deps if deps is AGENT_DEPS else deps
        self.serve_page = serve_page
        self.active = 0
        """Clients connected now."""
        self._clock = clock

    def __repr__(self) -> str:
        return f"Relay(agent={self.agent.name!r}, path={self.path!r}, active={self.active})"

    def asgi(self) -> RelayApp:
        """This relay as an ASGI app: mount it, e.g. `Mount("/voice", app=relay.asgi())`."""
        from agentkit.relay.asgi import RelayApp

        return RelayApp(self)

    # -- the page --------------------------------------------------------------------------------

    def page(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type of a page file at `path`, or None when there is none."""
        name = PAGE_ROUTES.get(path) if self.serve_page else None
        return read_asset(name) if name is not None else None

    # -- connections -----------------------------------------------------------------------------

    async def check_handshake(self, handshake: Handshake) -> Rejection | None:
        """Whether to accept an upgrade: capacity, then origin, then the auth hook. None accepts."""
        limit = self.limits.max_connections
        if limit is not None and self.active >= limit:
            return AT_CAPACITY
        if not self._origin_allowed(handshake):
            logger.info("relay: refused %s: origin not allowed", handshake.client or "a client")
            return FORBIDDEN_ORIGIN
        rejection = await authenticate(self.auth, handshake)
        if rejection is not None:
            logger.info("relay: refused %s: HTTP %d", handshake.client or "a client", rejection.status)
        return rejection

    async def serve(self, channel: ClientChannel, handshake: Handshake) -> None:
        """Relay one accepted client (its handshake already checked) until either side ends."""
        limit = self.limits.max_connections
        if limit is not None and self.active >= limit:
            await channel.close(CLOSE_TRY_LATER, "the relay is at capacity")
            return
        self.active += 1
        logger.info("relay: %s connected (%d active)", handshake.client or "a client", self.active)
        try:
            await ClientBridge(self, channel, handshake.client, self._clock).run()
        finally:
            self.active -= 1

    def _origin_allowed(self, handshake: Handshake) -> bool:
        origin = handshake.origin
        if self.allowed_origins is not None and "*" in self.allowed_origins:
            return True
        if origin is None:
            return True  # not a browser: the auth hook decides
        if self.allowed_origins is not None:
            return _origin(origin) in self.allowed_origins
        host = handshake.headers.get("host", "").lower()
        return bool(host) and urlsplit(origin.lower()).netloc == host


def _origin(value: str) -> str:
    return value.strip().rstrip("/").lower()
