"""The relay the load-balanced tests run in each instance process (loaded as `agentkit relay app.py:relay`).

Settings come from the environment the test sets: the shared upstream, where tool runs are logged,
where a gated tool waits for its release, and this instance's name (in the instructions, so the test
can tell which instance opened an upstream session).
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.relay import Relay, RelayLimits, RelayPolicy, TicketSigner
from agentkit.state import SharedState
from agentkit.tools import tool

SECRET = "load-balanced-ticket-secret"
RUNS = Path(os.environ.get("SCALE_RUNS", "runs.log"))
RELEASE = Path(os.environ.get("SCALE_RELEASE", "release"))
INSTANCE = os.environ.get("SCALE_INSTANCE", "?")
UPSTREAM_KEY = os.environ.get("SCALE_KEY", "local-key")


def _log(line: str) -> None:
    with RUNS.open("a", encoding="utf-8") as log:
        log.write(f"{line} on {INSTANCE}\n")


@tool
def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order by its order id and tell its delivery status.

    Args:
        order_id: The order id, like A-1001.
    """
    _log(f"lookup {order_id}")
    return {"order_id": order_id, "status": "shipped", "tracking_number": f"TRK-{order_id}"}


@tool
async def refund_order(order_id: str) -> str:
    """Refund an order; it takes until the payment provider confirms.

    Args:
        order_id: The order id.
    """
    _log(f"refund {order_id}")
    with anyio.fail_after(60):
        while not await anyio.Path(RELEASE).exists():  # noqa: ASYNC110 (released by a file the test writes)
            await anyio.sleep(0.02)
    return f"refunded {order_id}"


state = SharedState.from_env()
relay = Relay(
    Agent("shop", f"You help customers with orders. instance={INSTANCE}", tools=[lookup_order, refund_order]),
    Endpoint.custom(
        os.environ.get("SCALE_UPSTREAM", "ws://127.0.0.1:1/v1/realtime"),
        api_key=os.environ.get("SCALE_KEY", "local-key"),
    ),
    policy=RelayPolicy(tool_notices=True),
    limits=RelayLimits(max_connections_per_client=2),
    auth=TicketSigner(SECRET, spent=state.tickets).auth(),
    state=state,
)
