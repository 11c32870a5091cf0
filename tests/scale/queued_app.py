"""The relay (and worker) of the queued-tool test: `agentkit relay queued_app.py:relay` in each
instance, `agentkit worker queued_app.py:relay` for the jobs. The refund is a queued tool that waits
for the test's release file, so an instance can be killed while it runs."""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.queue import ArqToolQueue
from agentkit.relay import Relay
from agentkit.state import SharedState
from agentkit.tools import tool

RUNS = Path(os.environ.get("SCALE_RUNS", "runs.log"))
RELEASE = Path(os.environ.get("SCALE_RELEASE", "release"))
INSTANCE = os.environ.get("SCALE_INSTANCE", "?")


@tool(queue=ArqToolQueue(poll_seconds=0.05), timeout=60)
async def refund_order(order_id: str) -> str:
    """Refund an order; it takes until the payment provider confirms.

    Args:
        order_id: The order id.
    """
    async with await anyio.open_file(RUNS, "a", encoding="utf-8") as log:
        await log.write(f"refund {order_id} on {INSTANCE}\n")
    with anyio.fail_after(60):
        while not await anyio.Path(RELEASE).exists():  # noqa: ASYNC110 (released by a file the test writes)
            await anyio.sleep(0.02)
    return f"refunded {order_id}"


relay = Relay(
    Agent("shop", f"You help customers with orders. instance={INSTANCE}", tools=[refund_order]),
    Endpoint.custom(
        os.environ.get("SCALE_UPSTREAM", "ws://127.0.0.1:1/v1/realtime"),
        api_key=os.environ.get("SCALE_KEY", "local-key"),
    ),
    state=SharedState.from_env(),
)
