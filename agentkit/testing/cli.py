"""`agentkit local-server`: run the local Realtime server until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from agentkit._signals import run_until_signalled
from agentkit.testing.server import LocalRealtimeServer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local-server",
        help="run a local Realtime server (both dialects, no network needed)",
        description="Serve the Realtime protocol on loopback with agentkit's default keyword model.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default: 8765; 0 picks a free one)")
    parser.add_argument(
        "--api-key",
        default=None,
        help="require this key (api-key header, Bearer token or api-key query parameter); default: no auth",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    run_until_signalled(lambda: _serve(args.host, args.port, args.api_key))
    return 0


async def _serve(host: str, port: int, api_key: str | None) -> None:
    async with LocalRealtimeServer(api_key=api_key, host=host, port=port) as server:
        for name, url in server.urls().items():
            print(f"{name:<14} {url}", flush=True)
        print(f"{'endpoint':<14} {server.http_url}", flush=True)
        print("auth: " + ("api key required" if api_key else "none") + "; Ctrl-C stops", flush=True)
        await anyio.sleep_forever()
