"""`agentkit worker MODULE:AGENT`: run the agent's queued tools (arq jobs on `AGENTKIT_REDIS_URL`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from agentkit.relay.cli import positive_int


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run an agent's queued tools (@tool(queue=...)) as arq jobs",
        description="Run the queued tools of an agent: jobs from the relays, on the Redis at "
        "AGENTKIT_REDIS_URL. Run as many as you like, on any host; each job runs once.",
    )
    parser.add_argument("target", metavar="MODULE:AGENT", help="an Agent or Relay, e.g. myapp.bot:agent")
    parser.add_argument("--max-jobs", type=positive_int, default=10, help="jobs run at once (default 10)")
    parser.add_argument(
        "--keep-result",
        type=float,
        default=3600.0,
        help="seconds a result waits for a conversation that resumes (default 3600; keep it at least "
        "the relay's resume_seconds)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        from agentkit.agent import Agent
        from agentkit.queue.worker import build_worker
        from agentkit.relay.target import load_target
        from agentkit.tools.targets import TargetError
    except ImportError as exc:
        print(f"agentkit worker: {exc}", file=sys.stderr)
        return 2
    try:
        target = load_target(args.target)
    except TargetError as exc:
        print(f"agentkit worker: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's module failed while importing: say how, briefly
        print(f"agentkit worker: cannot load {args.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    agent = target if isinstance(target, Agent) else target.agent
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        worker = build_worker(agent, max_jobs=args.max_jobs, keep_result=args.keep_result)
    except (ValueError, LookupError) as exc:
        print(f"agentkit worker: {exc}", file=sys.stderr)
        return 2
    worker.run()
    return 0
