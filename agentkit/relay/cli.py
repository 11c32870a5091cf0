"""`agentkit relay MODULE:AGENT`: serve an agent to browsers (the voice page at `/`, the WebSocket at
`--path`), with the model endpoint from the environment, or agentkit's local server with `--local`."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from agentkit.agent import Agent
from agentkit.connection import Endpoint, EndpointError
from agentkit.relay.auth import ClientAuth
from agentkit.relay.hosts import LOOPBACK_NAMES, host_name
from agentkit.relay.lifecycle import DEFAULT_GRACE_SECONDS
from agentkit.relay.relay import Relay
from agentkit.relay.server import RelayServer
from agentkit.relay.target import build_relay, load_target
from agentkit.tools.targets import TargetError

__all__ = ["TargetError", "exposure_warning", "is_loopback", "load_target", "port_number", "register"]


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {port}")
    return port


def is_loopback(host: str) -> bool:
    """Whether `host` only listens on this machine; "" and "0.0.0.0" mean every interface."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to a public address


def exposure_warning(host: str, auth: ClientAuth | None) -> str | None:
    """Why serving on `host` without client authentication is risky, or None when it is not."""
    if auth is not None or is_loopback(host):
        return None
    return (
        f"listening on {host or 'every interface'} with no client authentication: anyone who can "
        "reach it can talk to the agent and spend its model budget; serve a Relay configured with "
        "auth= (TicketSigner(...).auth() or bearer_auth(...)) and allowed_origins"
    )


def served_names(host: str, extra: Collection[str]) -> list[str]:
    """The Host names a relay listening on `host` answers: loopback, the listening name when it is
    one (not a wildcard address), and the `--allow-host` names."""
    names = [*LOOPBACK_NAMES, *extra]
    if host and host_name(host) not in ("0.0.0.0", "::"):
        names.append(host)
    return names


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "relay",
        help="serve an agent to browsers and other untrusted clients",
        description="Serve an agent through the relay: the voice page at / and the WebSocket at --path.",
    )
    parser.add_argument("target", metavar="MODULE:AGENT", help="an Agent or Relay, e.g. myapp.bot:agent")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--path", default="/realtime", help="the WebSocket path (default /realtime)")
    parser.add_argument(
        "--allow-origin",
        action="append",
        dest="origins",
        metavar="ORIGIN",
        help="a browser origin allowed to connect (repeatable; default: the relay's own origin only)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        dest="hosts",
        metavar="NAME",
        help="a name browsers use to reach the relay (repeatable; the loopback names and --host are "
        "always served; anything else is refused against DNS rebinding)",
    )
    parser.add_argument("--tool-notices", action="store_true", help="tell clients when tools run")
    parser.add_argument(
        "--local", action="store_true", help="use agentkit's local model server (offline demo)"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="worker processes on the one port (uvicorn's supervisor; share state through Redis by "
        "setting AGENTKIT_REDIS_URL); default 1, served in this process",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        help="on SIGTERM, how long turns in progress may take to finish before their connections "
        f"close (default {DEFAULT_GRACE_SECONDS:g}; keep it below the orchestrator's grace period)",
    )
    parser.set_defaults(handler=_run)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        target = load_target(args.target)
    except TargetError as exc:
        print(f"agentkit relay: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's module failed while importing: say how, briefly
        print(f"agentkit relay: cannot load {args.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not args.local and not (isinstance(target, Relay) and target.endpoint):
        try:
            configured = Endpoint.from_env() is not None
        except EndpointError as exc:
            print(f"agentkit relay: {exc}", file=sys.stderr)
            return 2
        if not configured:
            print(
                "agentkit relay: no model endpoint: set AZURE_OPENAI_ENDPOINT and "
                "AZURE_OPENAI_DEPLOYMENT_NAME (or OPENAI_API_KEY), or pass --local for agentkit's "
                "local server",
                file=sys.stderr,
            )
            return 2
    warning = exposure_warning(args.host, target.auth if isinstance(target, Relay) else None)
    if warning is not None:
        print(f"agentkit relay: warning: {warning}", file=sys.stderr)
    if args.workers > 1:
        return _run_workers(args)
    try:
        anyio.run(_serve, target, args)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"agentkit relay: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(target: Agent | Relay, args: argparse.Namespace) -> None:
    if not args.local:
        await _serve_relay(_relay(target, args, None), args)
        return
    from agentkit.testing import LocalRealtimeServer

    async with LocalRealtimeServer() as upstream:
        endpoint = upstream.endpoint()
        await _serve_relay(_relay(target, args, endpoint), args)


def _relay(target: Agent | Relay, args: argparse.Namespace, endpoint: Endpoint | None) -> Relay:
    return build_relay(target, endpoint, **_relay_options(args))


def _relay_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "path": args.path,
        "origins": args.origins,
        "tool_notices": args.tool_notices,
        "allowed_hosts": served_names(args.host, args.hosts or ()),
    }


async def _serve_relay(relay: Relay, args: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT, then drain (a second signal closes at once)."""
    try:
        async with RelayServer(relay, args.host, args.port) as server:
            print(
                f"agentkit relay: {relay.agent.name} at {server.http_url} (WebSocket {server.ws_url})",
                flush=True,
            )
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    break
                print(f"agentkit relay: draining (up to {args.drain_seconds:g} s)", flush=True)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_drain_then_cancel, relay, args.drain_seconds, tg.cancel_scope)
                    async for _ in signals:
                        tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await relay.state.aclose()


async def _drain_then_cancel(relay: Relay, grace: float, scope: anyio.CancelScope) -> None:
    await relay.drain(grace)
    scope.cancel()


def _run_workers(args: argparse.Namespace) -> int:
    try:
        from agentkit.relay.workers import run_workers
    except ImportError as exc:
        print(f"agentkit relay: {exc}", file=sys.stderr)
        return 2
    options = {"target": args.target, "host": args.host, "port": args.port, "workers": args.workers}
    try:
        if not args.local:
            run_workers(**options, drain_seconds=args.drain_seconds, relay_options=_relay_options(args))
            return 0
        with _local_server_thread() as local:
            run_workers(
                **options, drain_seconds=args.drain_seconds, relay_options=_relay_options(args), local=local
            )
    except OSError as exc:
        print(f"agentkit relay: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _local_server_thread() -> Iterator[dict[str, str]]:
    """agentkit's local model server on a thread of this (the supervising) process, for the workers."""
    import threading

    from agentkit.testing import LocalRealtimeServer

    started: dict[str, str] = {}
    ready, stop = threading.Event(), threading.Event()

    async def serve() -> None:
        async with LocalRealtimeServer() as upstream:
            started.update(url=upstream.url(), key=upstream.api_key or "")
            ready.set()
            await anyio.to_thread.run_sync(stop.wait)

    thread = threading.Thread(target=anyio.run, args=(serve,), daemon=True, name="agentkit local server")
    thread.start()
    if not ready.wait(30):
        raise OSError("agentkit's local server did not start")
    try:
        yield started
    finally:
        stop.set()
        thread.join(5)
