"""The bot's command line: pick a mode, open the shop database, connect, and talk.

Modes: interactive chat (the default on a terminal), `--text` (one message per input line),
`--demo` (a scripted conversation), `--audio-in FILE.wav` (one spoken question), `--serve` (the
voice page) and `--attach CALL_ID` (serve a WebRTC or SIP call over its sideband). The endpoint
comes from the environment; with none set, agentkit's local server runs in-process (`--attach`
needs a real endpoint: the call lives there).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import anyio

from agentkit import AppEvent, Endpoint, ErrorReported, ToolCallFinished, Turn
from agentkit.connection import ConnectionClosed, EndpointError, ServiceError
from agentkit.console import (
    ChatView,
    TraceFileUnavailable,
    converse,
    describe,
    endpoint_or_local_server,
    follow_turn,
    live_endpoint_or_local_server,
    read_lines,
    run_chat,
    trace_file_observer,
)
from agentkit.console.chat import styled
from agentkit.observer import SessionObserver
from agentkit.relay.cli import port_number
from agentkit.session import SessionClosed

from .attach import attach
from .bot import build_agent
from .db import ShopDatabase, ShopDatabaseError, default_db_path
from .demo import DEMO_CARRIER_DELAY, run_demo
from .live import run_live
from .operator import OperatorDesk
from .people import FIXED, ask_in_terminal
from .phone import run_phone_demo
from .serve import serve
from .voice import TurnRecorder, ask_aloud, load_question

if TYPE_CHECKING:
    from agentkit.testing import Faults, RealtimeModel

PROG = "python -m examples.customer_service"
APPROVAL_MODES = ("ask", "allow", "deny")


class UsageError(Exception):
    """A combination of options that cannot work (said in one line, exit status 1)."""


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A customer-service agent for a small shop, on the Realtime API. Set "
        "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME (with AZURE_OPENAI_API_KEY, or Entra ID "
        "sign-in), or OPENAI_API_KEY; with neither, it runs offline against agentkit's local server.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--text", action="store_true", help="read one message per line from stdin; print the replies"
    )
    mode.add_argument("--demo", action="store_true", help="play a short scripted conversation with timings")
    mode.add_argument(
        "--audio-in", type=Path, metavar="FILE.wav", help="ask one spoken question from a WAV file"
    )
    mode.add_argument(
        "--serve", action="store_true", help="serve the voice page so a browser can talk to the bot"
    )
    mode.add_argument(
        "--attach",
        metavar="CALL_ID",
        help="attach the bot's tools and instructions to an existing call (WebRTC or SIP) over its "
        "sideband and serve it until the call ends, printing one line per tool call",
    )
    mode.add_argument(
        "--phone-demo",
        action="store_true",
        help="place one simulated Twilio phone call to the bot (offline) and show the conversation",
    )
    parser.add_argument(
        "--provider",
        choices=("voicelive", "gptlive"),
        help="voicelive: Azure Voice Live (AZURE_VOICELIVE_ENDPOINT, AZURE_VOICELIVE_MODEL, "
        "AZURE_VOICELIVE_API_KEY or Entra ID; unset: the local server's Voice Live); gptlive: OpenAI "
        "GPT-Live, with --demo or --text (AZURE_GPTLIVE_ENDPOINT with AZURE_GPTLIVE_API_KEY or Entra ID, "
        "or OPENAI_API_KEY; GPT_LIVE_MODEL; unset: the local server's GPT-Live)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="--serve: address to listen on")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="--serve: the https address phone carriers reach this server at (default: AGENTKIT_PUBLIC_URL)",
    )
    parser.add_argument(
        "--port", type=port_number, default=8080, help="--serve: port to listen on (default 8080)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        help=f"the shop's SQLite file, created on first use (default: {default_db_path()}; "
        "--demo without --db uses a fresh copy)",
    )
    parser.add_argument(
        "--audio-out", type=Path, metavar="DIR", help="answer in audio; save each turn as a WAV here"
    )
    parser.add_argument(
        "--trace-file", type=Path, metavar="PATH", help="append OpenTelemetry spans (JSON lines)"
    )
    parser.add_argument("--turn-timeout", type=float, default=120.0, help="seconds to wait for a whole turn")
    parser.add_argument(
        "--approvals",
        choices=APPROVAL_MODES,
        help="who approves refunds above the limit: ask a supervisor (in the terminal chat, or on the "
        "operator endpoint with --serve), allow or deny all (default: ask in the chat and with --serve, "
        "allow otherwise)",
    )
    parser.add_argument(
        "--operator-port",
        type=port_number,
        default=8081,
        help="--serve --approvals ask: port of the supervisors' endpoint (default 8081)",
    )
    return parser


@dataclass
class Console:
    """Where the app reads and writes (the process's streams, or a test's)."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    def announce(self, line: str) -> None:
        print(line, file=self.stderr, flush=True)


async def run(
    argv: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    environ: Mapping[str, str] | None = None,
    local_model: RealtimeModel | None = None,
    local_faults: Faults | None = None,
) -> int:
    """Run the bot; returns the exit status. `local_model` / `local_faults` shape the local server
    used when the environment names no endpoint (tests script the model's misbehaviour with them)."""
    args = parser().parse_args(argv)
    io = console or Console(sys.stdin, sys.stdout, sys.stderr)
    try:
        question = load_question(args.audio_in) if args.audio_in else None
    except ValueError as exc:
        io.announce(f"{PROG}: --audio-in: {exc}")
        return 2
    try:
        with ExitStack() as stack:
            db_path = args.db
            if db_path is None and (args.demo or args.phone_demo):
                db_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "demo-shop.sqlite3"
            db = ShopDatabase(db_path)
            recorder = TurnRecorder(args.audio_out) if args.audio_out else None
            observer = stack.enter_context(trace_file_observer(args.trace_file))
            if args.attach is not None:
                await _attach(args, io, db, environ, observer)
                return 0
            if args.provider == "gptlive":
                await _talk_live(args, io, db, environ, local_model)
                return 0
            async with endpoint_or_local_server(
                io.announce,
                environ=environ,
                local_model=local_model,
                local_faults=local_faults,
                provider=args.provider,
            ) as endpoint:
                await _talk(args, io, db, endpoint, observer, recorder, question, environ)
    except (
        UsageError,
        ShopDatabaseError,
        EndpointError,
        ServiceError,
        ConnectionClosed,
        SessionClosed,
        TraceFileUnavailable,
        TimeoutError,
        OSError,
    ) as exc:
        io.announce(f"{PROG}: {exc}")
        return 1
    if recorder is not None:
        for path in recorder.written:
            io.announce(f"Saved the assistant's audio to {path}")
    return 0


async def _attach(
    args: argparse.Namespace,
    io: Console,
    db: ShopDatabase,
    environ: Mapping[str, str] | None,
    observer: SessionObserver | None,
) -> None:
    endpoint = Endpoint.from_env(environ)
    if endpoint is None:
        raise EndpointError(
            "--attach needs the service that holds the call: set AZURE_OPENAI_ENDPOINT and "
            "AZURE_OPENAI_DEPLOYMENT_NAME (with AZURE_OPENAI_API_KEY, or Entra ID), or OPENAI_API_KEY"
        )
    if args.approvals == "ask":
        raise UsageError("--approvals ask needs the terminal chat or --serve (it asks a supervisor)")
    agent = build_agent(db, speak=True, listen=True, approver=FIXED[args.approvals or "allow"])
    io.announce(f"Attaching to call {args.attach} at {describe(endpoint)}.")
    try:
        await attach(agent, endpoint, args.attach, io.stdout, observer)
    finally:
        await endpoint.aclose()
    io.announce(f"Call {args.attach} ended.")


async def _talk_live(
    args: argparse.Namespace,
    io: Console,
    db: ShopDatabase,
    environ: Mapping[str, str] | None,
    local_model: RealtimeModel | None,
) -> None:
    """`--provider gptlive`: the front desk on GPT-Live, speaking each line of `--demo` or `--text`."""
    if not (args.demo or args.text):
        raise UsageError("--provider gptlive works with --demo or --text (GPT-Live takes speech only)")
    if args.approvals == "ask":
        raise UsageError("--approvals ask is not offered on GPT-Live (it has no approval step)")
    agent = build_agent(db, carrier_delay=DEMO_CARRIER_DELAY if args.demo else 0.0)
    async with live_endpoint_or_local_server(
        io.announce, environ=environ, local_model=local_model
    ) as endpoint:
        await run_live(
            agent, endpoint, io.stdout, demo=args.demo, source=io.stdin, turn_timeout=args.turn_timeout
        )


async def _talk(
    args: argparse.Namespace,
    io: Console,
    db: ShopDatabase,
    endpoint: Endpoint,
    observer: SessionObserver | None,
    recorder: TurnRecorder | None,
    question: bytes | None,
    environ: Mapping[str, str] | None = None,
) -> None:
    phone = args.serve or args.phone_demo
    speak = recorder is not None or question is not None or phone
    chat = not (args.text or args.demo or phone or question is not None) and io.stdin.isatty()
    mode = args.approvals or ("ask" if chat or args.serve else "allow")
    desk = OperatorDesk() if args.serve and mode == "ask" else None
    if mode == "ask" and desk is None and not chat:
        raise UsageError("--approvals ask needs the terminal chat or --serve (it asks a supervisor)")
    approver = desk or (ask_in_terminal(io.stdin.readline, io.stdout) if mode == "ask" else FIXED[mode])
    agent = build_agent(
        db,
        speak=speak,
        listen=question is not None or phone,
        approver=approver,
        carrier_delay=DEMO_CARRIER_DELAY if args.demo else 0.0,
    )
    if args.serve:
        await serve(
            agent,
            endpoint,
            args.host,
            args.port,
            io.announce,
            desk=desk,
            operator_port=args.operator_port,
            environ=environ,
            public_url=args.public_url,
        )
        return
    if args.phone_demo:
        await run_phone_demo(agent, endpoint, io.stdout, args.turn_timeout)
        return
    on_event = recorder.feed if recorder is not None else None
    if chat:
        await run_chat(agent, endpoint, source=io.stdin, out=io.stdout, observer=observer, on_event=on_event)
        return
    view = ChatView(io.stdout, color=styled(io.stdout), assistant="assistant")
    async with agent.connect(endpoint, observer=observer) as session:
        if args.demo:
            await run_demo(session, db, view, io.stdout, args.turn_timeout)
        elif question is not None:
            async with session.events() as events:
                await ask_aloud(session, question)
                with anyio.fail_after(args.turn_timeout):
                    await follow_turn(events, view, on_event)
            view.finish()
        else:
            replies = _Replies(io, recorder)
            lines = read_lines(io.stdin)
            await converse(
                session, lines, turn_timeout=args.turn_timeout, on_event=replies.see, on_turn=replies.print
            )


class _Replies:
    """`--text` output: each turn's reply on stdout; failed calls and server errors on stderr."""

    def __init__(self, io: Console, recorder: TurnRecorder | None) -> None:
        self.io = io
        self.recorder = recorder

    def see(self, event: AppEvent) -> None:
        if self.recorder is not None:
            self.recorder.feed(event)
        if isinstance(event, ToolCallFinished) and event.status != "ok":
            self.io.announce(f"tool call {event.name} failed ({event.status}): {event.output}")
        elif isinstance(event, ErrorReported) and not event.handled:
            self.io.announce(f"server error {event.error.code or event.error.type}: {event.error.message}")

    def print(self, turn: Turn) -> None:
        print(turn.text, file=self.io.stdout, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return anyio.run(lambda: run(argv))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130 if os.name != "nt" else 1
