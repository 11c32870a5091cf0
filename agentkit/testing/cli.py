"""`agentkit local-server`: run the local Realtime server until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.testing.timing import TimingName

_TIMING_LINES = {
    "fast": "fast (answers at once; --timing realistic for think time and speech at speaking rate)",
    "realistic": "realistic (0.6 s to think, speech at speaking rate; a second response.create "
    "during an answer gets conversation_already_has_active_response)",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local-server",
        help="run a local Realtime server (both dialects, no network needed)",
        description="Serve the Realtime protocol on loopback with agentkit's default keyword model.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port_number, default=8765, help="TCP port (default: 8765; 0 picks a free one)"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="require this key (api-key header, Bearer token or api-key query parameter); default: no auth",
    )
    parser.add_argument(
        "--timing",
        choices=("fast", "realistic"),
        default="fast",
        help="fast (default: answers at once) or realistic (think time, speech at speaking rate, "
        "responses that stay active long enough to collide)",
    )
    parser.set_defaults(handler=run)


def _port_number(text: str) -> int:
    """A TCP port, checked by argparse so a typo is a usage error rather than a traceback."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {port}")
    return port


def run(args: argparse.Namespace) -> int:
    from agentkit._signals import run_until_signalled

    exit_codes: list[int] = []

    async def main() -> None:
        exit_codes.append(await _serve(args.host, args.port, args.api_key, args.timing))

    run_until_signalled(main)
    return exit_codes[0] if exit_codes else 0  # no code: stopped by a signal, a normal end


async def _serve(host: str, port: int, api_key: str | None, timing: TimingName = "fast") -> int:
    import anyio

    from agentkit.testing.server import LocalRealtimeServer

    server = LocalRealtimeServer(api_key=api_key, host=host, port=port, timing=timing)
    try:
        await server.start()
    except OSError as exc:  # port taken, unknown host, no permission: say so instead of a traceback
        print(
            f"agentkit local-server: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    try:
        urls = server.urls()
        voice_live = urls.pop("voice-live")
        gpt_live = urls.pop("gpt-live")
        for name, url in urls.items():
            print(f"{name:<14} {url}", flush=True)
        print(f"{'endpoint':<14} {server.http_url}", flush=True)
        print(f"hearing: {_hearing()}", flush=True)
        print(f"timing: {_TIMING_LINES[timing]}", flush=True)
        # After the lines scripts already read: AZURE_VOICELIVE_ENDPOINT takes the endpoint above.
        print(f"{'voice-live':<14} {voice_live}", flush=True)
        print(f"{'gpt-live':<14} {gpt_live}", flush=True)
        print("auth: " + ("api key required" if api_key else "none") + "; Ctrl-C stops", flush=True)
        await anyio.sleep_forever()
    finally:
        await server.stop()
    return 0


def _hearing() -> str:
    from agentkit.testing.hearing.recogniser import INSTALL_HINT, speech_package_installed

    if speech_package_installed():
        return "real speech, offline (pocketsphinx, biased to each session's tools)"
    return f"only spoken() speech; to hear real speech: {INSTALL_HINT}"
