"""`agentkit chat MODULE:ATTRIBUTE`: a terminal chat with any `Agent` (endpoint from the environment,
else agentkit's local server)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.agent import Agent

INTERRUPTED = 130
"""The exit status after Ctrl-C, as shells report a command stopped by SIGINT."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="chat with an Agent in the terminal",
        description="Chat with the Agent at MODULE:ATTRIBUTE (a module or a .py file; the attribute may "
        "also be a function that returns an Agent). The endpoint comes from the environment "
        "(AZURE_OPENAI_* or OPENAI_API_KEY); with none set, agentkit's local server runs in-process.",
    )
    parser.add_argument("target", metavar="MODULE:ATTRIBUTE", help="e.g. my_bot:agent or bots/shop.py:agent")
    parser.add_argument("--trace-file", type=Path, help="append the session's spans to this JSON-lines file")
    parser.add_argument(
        "--turn-timeout", type=float, default=120.0, help="seconds to wait for a whole turn (default: 120)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from agentkit.tools.targets import TargetError

    try:
        agent = load_agent(args.target)
    except TargetError as exc:
        print(f"agentkit chat: cannot load {args.target}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's module failed while importing (a SyntaxError, say): how, briefly
        print(f"agentkit chat: cannot load {args.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    import anyio

    from agentkit._signals import until_signalled
    from agentkit.connection import ConnectionClosed, EndpointError, ServiceError
    from agentkit.console.tracefile import TraceFileUnavailable
    from agentkit.session import SessionClosed

    try:
        signalled = anyio.run(until_signalled, partial(_chat, agent, args.trace_file, args.turn_timeout))
    except KeyboardInterrupt:  # Windows: no signal receiver, Ctrl-C arrives as an exception
        signalled = True
    except (
        EndpointError,
        ServiceError,
        ConnectionClosed,
        TraceFileUnavailable,
        SessionClosed,
        TimeoutError,
        OSError,
    ) as exc:
        print(f"agentkit chat: {exc}", file=sys.stderr)
        return 1
    if signalled:  # Ctrl-C: the session was closed; end the prompt's line and say so in the status
        print(file=sys.stderr)
        return INTERRUPTED
    return 0


async def _chat(agent: Agent, trace_file: Path | None, turn_timeout: float) -> None:
    from agentkit.console.backend import endpoint_or_local_server
    from agentkit.console.chat import run_chat
    from agentkit.console.tracefile import trace_file_observer

    def announce(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with trace_file_observer(trace_file) as observer:
        async with endpoint_or_local_server(announce) as endpoint:
            await run_chat(agent, endpoint, observer=observer, turn_timeout=turn_timeout)


def load_agent(target: str) -> Agent:
    """The `Agent` named by `module:attribute` or `file.py:attribute` (or what a function there returns)."""
    from agentkit.agent import Agent
    from agentkit.tools.targets import load_object

    agent = load_object(target, (Agent,))
    assert isinstance(agent, Agent)
    return agent
