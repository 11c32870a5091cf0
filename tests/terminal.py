"""Run agentkit's command-line programs as real processes, offline, on a pipe or a terminal."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def offline_env() -> dict[str, str]:
    """This process's environment without any endpoint settings (so programs run offline), uncoloured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_"))}
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
