"""The relay: a trusted middle tier between untrusted clients (browsers, phones) and the model.

`RelayPolicy` is the trust boundary as data; `assets` holds the browser voice page. `Relay` runs
it: one upstream session per client, served standalone (`RelayServer`) or mounted (`relay.asgi()`).
"""

from agentkit.relay.asgi import RelayApp
from agentkit.relay.assets import PAGE_ASSETS, STATIC_DIR, read_asset
from agentkit.relay.auth import AuthResult, ClientAuth, TicketSigner, bearer_auth
from agentkit.relay.channel import ClientChannel, ClientGone
from agentkit.relay.client_slots import ClientKey, peer_address
from agentkit.relay.handshake import Handshake, Rejection
from agentkit.relay.hosts import AllowedHosts
from agentkit.relay.limits import RelayLimits
from agentkit.relay.notices import ToolActivity, ToolPhase
from agentkit.relay.policy import (
    SERVER_OWNED_FIELDS,
    ForbiddenFieldAction,
    RelayPolicy,
    TurnDetectionLimits,
)
from agentkit.relay.refusal import POLICY_VIOLATION, Refusal
from agentkit.relay.relay import Relay
from agentkit.relay.server import RelayServer
from agentkit.relay.server_view import SanitizerState

__all__ = [
    "PAGE_ASSETS",
    "POLICY_VIOLATION",
    "SERVER_OWNED_FIELDS",
    "STATIC_DIR",
    "AllowedHosts",
    "AuthResult",
    "ClientAuth",
    "ClientChannel",
    "ClientGone",
    "ClientKey",
    "ForbiddenFieldAction",
    "Handshake",
    "Refusal",
    "Rejection",
    "Relay",
    "RelayApp",
    "RelayLimits",
    "RelayPolicy",
    "RelayServer",
    "SanitizerState",
    "TicketSigner",
    "ToolActivity",
    "ToolPhase",
    "TurnDetectionLimits",
    "bearer_auth",
    "peer_address",
    "read_asset",
]
