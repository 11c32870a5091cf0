"""The relay: a trusted middle tier between untrusted clients (browsers, phones) and the model.

`RelayPolicy` is the trust boundary as data; `assets` holds the browser voice page.
"""

from agentkit.relay.assets import PAGE_ASSETS, STATIC_DIR, read_asset
from agentkit.relay.notices import ToolActivity, ToolPhase
from agentkit.relay.policy import (
    SERVER_OWNED_FIELDS,
    ForbiddenFieldAction,
    RelayPolicy,
    TurnDetectionLimits,
)
from agentkit.relay.refusal import POLICY_VIOLATION, Refusal
from agentkit.relay.server_view import SanitizerState

__all__ = [
    "PAGE_ASSETS",
    "POLICY_VIOLATION",
    "SERVER_OWNED_FIELDS",
    "STATIC_DIR",
    "ForbiddenFieldAction",
    "Refusal",
    "RelayPolicy",
    "SanitizerState",
    "ToolActivity",
    "ToolPhase",
    "TurnDetectionLimits",
    "read_asset",
]
