"""A relay in its own process, for attacks measured from outside (its memory, its open sockets).

`python -m tests.relay.relay_process MODE PORT_FILE [hardened|defaults]` serves a relay (the local
model server upstream) the way the docs show for MODE, writes its port to PORT_FILE, and runs until
killed. `defaults` serves the ASGI app with the server's own defaults instead of
`agentkit.relay.serving`'s settings: what a deployment without them gets (used to show the bounds
would catch a regression).
"""

from __future__ import annotations

import socket
import sys
from functools import partial
from pathlib import Path

import anyio

from agentkit.connection import Endpoint
from agentkit.relay import Relay, RelayLimits, RelayServer, serving
from agentkit.testing import LocalRealtimeServer

from .relay_helpers import make_agent

LIMITS = RelayLimits(
    max_connections=20,
    handshake_timeout_seconds=1.0,
    send_timeout_seconds=1.0,
    idle_timeout_seconds=30.0,
)
"""Short timers so that each attack is over in seconds."""


def _announce(port_file: Path, port: int) -> None:
    port_file.write_text(str(port))


async def main(mode: str, port_file: Path, settings: str) -> None:
    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        relay = Relay(make_agent(), endpoint, limits=LIMITS)
        if mode == "websockets":
            async with RelayServer(relay) as server:
                _announce(port_file, server.port)
                await anyio.sleep_forever()
        hardened = settings == "hardened"
        listener = serving.relay_listener() if hardened else socket.create_server(("127.0.0.1", 0))
        _announce(port_file, listener.getsockname()[1])
        if mode == "uvicorn":
            import uvicorn

            options = serving.uvicorn_settings(LIMITS) if settings == "hardened" else {}
            config = uvicorn.Config(relay.asgi(), log_level="warning", **options)
            serving.install_log_redaction()
            await uvicorn.Server(config).serve(sockets=[listener])
        elif mode == "hypercorn":
            from hypercorn.asyncio import serve
            from hypercorn.config import Config

            fd = f"fd://{listener.detach()}"
            config = serving.hypercorn_config(LIMITS, bind=fd) if settings == "hardened" else Config()
            config.bind = [fd]
            await partial(serve, relay.asgi(), config)()  # type: ignore[arg-type]


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "hardened")
