"""`Relay`: the trusted middle tier for one agent, independent of the web server that carries it.

Serve it standalone (`RelayServer`, or `agentkit relay MODULE:AGENT`) or mount `relay.asgi()` in any
ASGI app. Either way it answers the browser page at `/` and the client WebSocket at `path`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import anyio

from agentkit.agent import AGENT_DEPS, Agent
from agentkit.connection import Endpoint, EndpointError
from agentkit.relay.admission import Admission, Admitted
from agentkit.relay.asgi import RelayApp
from agentkit.relay.assets import PAGE_ASSETS, PAGE_ROUTES, read_asset, titled_page
from agentkit.relay.auth import ClientAuth, authenticate
from agentkit.relay.bridge import ClientBridge
from agentkit.relay.channel import ClientChannel
from agentkit.relay.client_slots import ClientKey, peer_address
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.hosts import AllowedHosts
from agentkit.relay.lifecycle import DEFAULT_GRACE_SECONDS, DRAINING, PROBE_PATHS, Lifecycle
from agentkit.relay.limits import CLOSE_POLICY, CLOSE_TRY_LATER, RelayLimits
from agentkit.relay.policy import RelayPolicy
from agentkit.relay.resume import RESUME_QUERY, Conversations
from agentkit.relay.webrtc import OFFER_PATH, OfferReply, WebRTCMode
from agentkit.session import Session
from agentkit.state import SharedState
from agentkit.tools.queue import queued_tools

if TYPE_CHECKING:
    from agentkit.channels.webrtc import SidebandPolicy, WebRTCCalls

logger = logging.getLogger("agentkit.relay")

FORBIDDEN_ORIGIN = Rejection(403, "Origin not allowed")
FORBIDDEN_HOST = Rejection(403, "Host not allowed: this relay does not serve that name (see allowed_hosts)")


class Relay:
    """Relays each client connection to its own session of `agent`, under `policy` and `limits`.

    `endpoint`: the model service (None: from the environment, as `agent.connect()` does).
    `auth`: checks each upgrade request (see `agentkit.relay.auth`); None lets anyone in.
    `allowed_hosts`: the names the relay serves (its `Host` header), against DNS rebinding: exact
    names, `.example.com` for a domain and its subdomains, or `"*"`; None (the default) serves only
    the loopback names (localhost, 127.x.x.x, ::1). Others get HTTP 403, before the upgrade.
    `allowed_origins`: browser origins allowed to connect, `"*"` for any; None (the default) allows
    only the relay's own origin (and clients that send no Origin, which are not browsers).
    `client_key`: names the client of a handshake for `limits.max_connections_per_client`; the
    default is its IP address, which behind a proxy is the proxy's for every user: key on the
    authenticated subject or a forwarded header your proxy sets instead. None exempts a connection.
    `state`: where connection counts, rates and conversation snapshots live; None takes
    `SharedState.from_env()` (Redis when `AGENTKIT_REDIS_URL` is set, this process's memory otherwise).
    `webrtc`: also take WebRTC offers at `offer_path` (checked like an upgrade; each call holds a
    connection slot), creating the call with the relay's credentials and serving it from the
    sideband under `sideband_policy` (None: the default `SidebandPolicy`; False: no enforcement).
    `webrtc_data_channel`: whether a call may have a data channel. The service sends it every event
    of the call (the instructions, tool schemas, arguments and outputs included) and takes any client
    event from it; False refuses offers that carry one (400), so the browser gets audio only, and the
    page shows no transcript or tool notices over WebRTC (`policy.tool_notices` picks whether it shows
    them when there is a data channel).
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
        allowed_hosts: Collection[str] | None = None,
        path: str = "/realtime",
        client_key: ClientKey = peer_address,
        deps: Any = AGENT_DEPS,
        serve_page: bool = True,
        clock: Callable[[], float] = time.monotonic,
        state: SharedState | None = None,
        webrtc: bool = False,
        sideband_policy: SidebandPolicy | Literal[False] | None = None,
        webrtc_data_channel: bool = True,
    ) -> None:
        if not path.startswith("/") or path in PAGE_ROUTES or path in PROBE_PATHS:
            raise ValueError(f"the WebSocket path must start with '/' and not clash with the page: {path!r}")
        self.agent = agent
        self.endpoint = endpoint
        self.policy = policy if policy is not None else RelayPolicy()
        self.limits = limits if limits is not None else RelayLimits()
        self.auth = auth
        self.allowed_origins = (
            None if allowed_origins is None else frozenset(_origin(o) for o in allowed_origins)
        )
        self.allowed_hosts = AllowedHosts(allowed_hosts)
        self.path = path
        self.deps = agent.deps if deps is AGENT_DEPS else deps
        self.serve_page = serve_page
        self.client_key = client_key
        self.state = state if state is not None else SharedState.from_env()
        self._admission = Admission(self.limits, self.state, client_key)
        resume = self.limits.resume_seconds
        self._conversations = (
            Conversations(self.state.snapshots, agent.name, resume, queued_tools([agent]))
            if resume is not None
            else None
        )
        self._clock = clock
        self.lifecycle = Lifecycle(agent.name)
        """Probes, live connections and the drain (see `drain`)."""
        self.offer_path = OFFER_PATH if webrtc else None
        """Where browsers post WebRTC offers (None: WebRTC mode is off)."""
        self._webrtc: WebRTCMode | None = None
        if webrtc:
            calls_endpoint = endpoint or Endpoint.from_env()
            if calls_endpoint is None:
                raise EndpointError("WebRTC mode creates calls on the service: give the relay an endpoint")
            from agentkit.channels.webrtc import SidebandPolicy, WebRTCCalls  # (imports the relay's rules)

            guard = None if sideband_policy is False else sideband_policy or SidebandPolicy()
            calls = WebRTCCalls(agent, calls_endpoint, policy=guard, max_calls=1_000_000)
            self._webrtc = WebRTCMode(calls, self._admission, data_channel=webrtc_data_channel)
        self.webrtc_data_channel = webrtc_data_channel

    @property
    def active(self) -> int:
        """Clients connected to this process now."""
        return self._admission.active

    def __repr__(self) -> str:
        return f"Relay(agent={self.agent.name!r}, path={self.path!r}, active={self.active})"

    def asgi(self, *, drain_seconds: float | None = DEFAULT_GRACE_SECONDS) -> RelayApp:
        """This relay as an ASGI app: mount it, e.g. `Mount("/voice", app=relay.asgi())`. Under a
        server that sends lifespan events it drains on SIGTERM for up to `drain_seconds` first."""
        return RelayApp(self, drain_seconds=drain_seconds)

    # -- the page --------------------------------------------------------------------------------

    def page(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type of a page file at `path`, or None when there is none."""
        name = PAGE_ROUTES.get(path) if self.serve_page else None
        if name == "index.html":  # titled with the agent's name, as a person expects of the tab
            return titled_page(self.agent.name, self.page_settings()), PAGE_ASSETS[name]
        return read_asset(name) if name is not None else None

    def page_settings(self) -> dict[str, str]:
        """What the page learns from its `<meta>` tags: where to post a WebRTC offer (absent: WebSocket
        only), whether to open a data channel, and the tool notices it may show (absent: none)."""
        if self.offer_path is None:
            return {}
        settings = {
            "agentkit-relay-webrtc": self.offer_path.lstrip("/"),
            "agentkit-relay-webrtc-events": "on" if self.webrtc_data_channel else "off",
        }
        if self.policy.tool_notices and self.webrtc_data_channel:
            labels = {"labels": dict(self.policy.tool_labels), "default": self.policy.default_tool_label}
            settings["agentkit-relay-tool-notices"] = json.dumps(labels)
        return settings

    def probe(self, path: str) -> tuple[int, bytes] | None:
        """The status and body of `/healthz` (liveness) or `/readyz` (readiness: 503 while draining)."""
        return self.lifecycle.probe(path)

    async def drain(self, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> None:
        """For a deploy (SIGTERM): readiness goes false and new clients are refused; each connection
        is closed once its turn is over, with code 1012 and its resume token, so the client resumes
        the conversation on another instance; after `grace_seconds` the rest are closed as they are."""
        await self.lifecycle.drain(grace_seconds)

    # -- WebRTC ----------------------------------------------------------------------------------

    @property
    def calls(self) -> WebRTCCalls | None:
        """The WebRTC calls being served (their sessions, their guards); None with WebRTC mode off."""
        return self._webrtc.calls if self._webrtc is not None else None

    async def start_calls(self) -> None:
        """Start serving WebRTC calls (the servers call it; a no-op with WebRTC mode off)."""
        if self._webrtc is not None:
            await self._webrtc.start()

    async def stop_calls(self) -> None:
        """End every WebRTC call's session (their slots are given back)."""
        if self._webrtc is not None:
            await self._webrtc.stop()

    async def answer_offer(self, handshake: Handshake, body: bytes) -> OfferReply:
        """A browser's offer at `offer_path`, checked like an upgrade; the SDP answer or a refusal."""
        if self._webrtc is None:
            return OfferReply.refused(Rejection(404, "Not found"))
        return await self._webrtc.answer(handshake, body, self.check_handshake)

    # -- connections -----------------------------------------------------------------------------

    def check_host(self, host: str | None) -> Rejection | None:
        """Whether to answer a request with this `Host` header at all (page or upgrade); None answers."""
        if self.allowed_hosts.allows(host):
            return None
        logger.info("relay: refused a request for a name it does not serve")
        return FORBIDDEN_HOST

    async def check_handshake(self, handshake: Handshake) -> Rejection | None:
        """Whether to accept an upgrade: the Host name, capacity (overall, then per client), origin,
        then the auth hook, which runs last so that a refused client spends no single-use ticket.
        None accepts."""
        rejection = self.check_host(handshake.headers.get("host"))
        if rejection is not None:
            return rejection
        if self.lifecycle.draining:
            return DRAINING
        rejection = await self._admission.check(handshake)
        if rejection is not None:
            return rejection
        if not self._origin_allowed(handshake):
            logger.info("relay: refused %s: origin not allowed", handshake.client or "a client")
            return FORBIDDEN_ORIGIN
        if await self._resuming(handshake):
            return None  # the resume token proves the client: it was given only to this conversation's
        rejection = await authenticate(self.auth, handshake)
        if rejection is not None:
            logger.info("relay: refused %s: HTTP %d", handshake.client or "a client", rejection.status)
        return rejection

    async def serve(self, channel: ClientChannel, handshake: Handshake) -> None:
        """Relay one accepted client (its handshake already checked) until either side ends."""
        # Checked again: other clients may have connected while this one's handshake was checked.
        admitted = await self._admission.enter(handshake)
        if not isinstance(admitted, Admitted):
            await channel.close(CLOSE_TRY_LATER, admitted.message)
            return
        logger.info("relay: %s connected (%d active)", handshake.client or "a client", self.active)
        try:
            keeper = None
            if self._conversations is not None:
                token = handshake.query.get(RESUME_QUERY)
                keeper = await self._conversations.open(token)
                if token and not keeper.resumed and self.auth is not None:
                    # let in by a token that is no longer good: the auth hook never saw this client
                    await channel.close(CLOSE_POLICY, "the conversation cannot be resumed; start a new one")
                    return
            bridge = ClientBridge(
                self._open_session, self.policy, self.limits, channel, handshake.client, self._clock, keeper
            )
            with self.lifecycle.connection(bridge):
                await bridge.run()
        finally:
            with anyio.CancelScope(shield=True):
                await self._admission.leave(admitted)

    def _open_session(self) -> Session:
        return self.agent.connect(self.endpoint, deps=self.deps)

    async def _resuming(self, handshake: Handshake) -> bool:
        token = handshake.query.get(RESUME_QUERY)
        return self._conversations is not None and await self._conversations.resumable(token)

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
