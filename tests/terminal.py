"""Run agentkit's command-line programs as real processes, offline, on a pipe or a terminal."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def offline_env() -> dict[str, str]:
    """This process's environment without any endpoint settings (so programs run offline), uncoloured."""
    endpoints = ("AZURE_OPENAI_", "OPENAI_", "AZURE_VOICELIVE_", "AZURE_GPTLIVE_", "GPT_LIVE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(endpoints)}
    return {**env, "NO_COLOR": "1"}


def run_on_terminal(command: Sequence[str], typed: bytes, cwd: Path) -> str:
    """Everything `command` shows on a pseudo-terminal (POSIX only) while `typed` is typed into it;
    it must exit 0 once the input ends."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,  # input() writes its prompt there
        cwd=cwd,
        env={**offline_env(), "TERM": "xterm"},
    )
    os.close(terminal)
    os.write(controller, typed)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 30)
            assert ready, f"no output for 30 s; so far: {seen!r}"
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process exited
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        os.close(controller)
    return seen.decode(errors="replace")


def interrupt_at_prompt(command: Sequence[str], prompt: bytes, cwd: Path) -> tuple[int, str]:
    """Start `command` on a pseudo-terminal (POSIX only), wait for `prompt`, then press Ctrl-C (send
    SIGINT, as the terminal does); returns the exit status and everything shown. Fails when the
    program does not exit within 20 s of the interrupt (it used to wait for Enter)."""
    import pty
    import select
    import signal

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env={**offline_env(), "TERM": "xterm"},
    )
    os.close(terminal)
    seen = b""
    try:
        while prompt not in seen:
            ready, _, _ = select.select([controller], [], [], 30)
            assert ready, f"no prompt within 30 s; so far: {seen!r}"
            seen += os.read(controller, 4096)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=20)
        while select.select([controller], [], [], 0)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        process.kill()
        os.close(controller)
    return status, seen.decode(errors="replace")
