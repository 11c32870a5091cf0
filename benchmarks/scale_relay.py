"""The relay each instance of `benchmarks.scale_out` serves: one order-lookup tool, no client
authentication (loopback only), the model server and the state from the environment."""

from __future__ import annotations

import os

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.relay import Relay, RelayLimits
from agentkit.tools import tool


@tool
def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order by its order id and tell its delivery status.

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "shipped", "tracking_number": f"TRK-{order_id}"}


relay = Relay(
    Agent("bench", "You help customers with orders.", tools=[lookup_order], reconnect=None),
    Endpoint.custom(
        os.environ.get("BENCH_UPSTREAM", "ws://127.0.0.1:1/v1"), api_key=os.environ.get("BENCH_KEY")
    ),
    limits=RelayLimits(  # every benchmark client shares one address: no per-client cap
        max_connections=None,
        max_connections_per_client=None,
        max_connections_total=100_000,
        messages_per_second=1000,
    ),
)
