"""The `agentkit` command. Each subcommand lives beside the code it drives and registers itself
through a `register(subparsers)` function in one of the modules listed in `COMMAND_MODULES`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from agentkit import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "agentkit.tools.cli",
    "agentkit.testing.cli",
    "agentkit.tracing.cli",
    "agentkit.console.cli",
    "agentkit.relay.cli",
    "agentkit.queue.cli",
)
"""Modules with a `register(subparsers) -> None` function; each adds its own subcommands."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentkit", description="Realtime voice and text agents.")
    parser.add_argument("--version", action="version", version=f"agentkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; each subcommand sets `handler(args) -> int` as its parser default."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        result: int = handler(args)
    except BrokenPipeError:  # the reader left early (`agentkit tools X | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    return result
