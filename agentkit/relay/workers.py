"""`agentkit relay MODULE:AGENT --workers N`: N worker processes on one port, uvicorn's way.

The parent runs `uvicorn.run(..., workers=N)`: uvicorn binds the port and supervises the workers;
each worker imports the target again (`app`, a factory reading `AGENTKIT_RELAY_WORKER`) and serves
it as the relay's ASGI app, which drains on SIGTERM before uvicorn's own shutdown. The workers
share state through Redis when `AGENTKIT_REDIS_URL` is set; without it each worker is a process
of its own (caps and resume tokens per worker).
"""

from __future__ import annotations

import json
import os
from typing import Any

try:
    import uvicorn
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("--workers needs uvicorn: pip install 'agentkit[serve]'") from exc

from agentkit.relay.asgi import RelayApp

WORKER_ENV = "AGENTKIT_RELAY_WORKER"
"""JSON settings the parent hands its workers: the target, relay options, the drain grace."""


def app() -> RelayApp:
    """The uvicorn factory each worker runs: the parent's target, built the parent's way."""
    from agentkit.connection import Endpoint
    from agentkit.relay.target import build_relay, load_target

    settings: dict[str, Any] = json.loads(os.environ[WORKER_ENV])
    local = settings.get("local")
    endpoint = Endpoint.custom(local["url"], api_key=local["key"]) if local else None
    relay = build_relay(load_target(settings["target"]), endpoint, **settings["relay"])
    return relay.asgi(drain_seconds=float(settings["drain_seconds"]))


def run_workers(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    drain_seconds: float,
    relay_options: dict[str, Any],
    local: dict[str, str] | None = None,
) -> None:
    """Serve `target` from `workers` processes on one port until SIGTERM or SIGINT (each drains)."""
    settings = {"target": target, "relay": relay_options, "drain_seconds": drain_seconds, "local": local}
    os.environ[WORKER_ENV] = json.dumps(settings)  # the spawned workers inherit the environment
    uvicorn.run(
        "agentkit.relay.workers:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        lifespan="on",
        timeout_graceful_shutdown=5,
        log_level="info",
    )
