"""The benchmark server's child process, and this process's resources (memory, file descriptors)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from types import TracebackType
from typing import Any

import anyio
import anyio.to_thread


class LocalServerProcess:
    """`async with LocalServerProcess() as server:` runs `benchmarks.serve` and talks to it."""

    def __init__(self, *, soak: bool = False, cpus: set[int] | None = None) -> None:
        self._argv = [sys.executable, "-m", "benchmarks.serve", *(["--soak"] if soak else [])]
        self._cpus = cpus
        self._process: subprocess.Popen[str] | None = None
        self._lock = anyio.Lock()
        self.url = ""
        self.api_key = ""

    async def __aenter__(self) -> LocalServerProcess:
        self._process = subprocess.Popen(  # noqa: ASYNC220 (returns at once; reads go to a thread)
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        if self._cpus:
            pin(self._cpus, self._process.pid)
        hello = json.loads(await self._readline())
        self.url, self.api_key = hello["url"], hello["api_key"]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await anyio.to_thread.run_sync(process.wait, 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    async def _readline(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        line = await anyio.to_thread.run_sync(self._process.stdout.readline)
        if not line:
            raise RuntimeError(f"the benchmark server exited (code {self._process.poll()})")
        return line

    async def command(self, **command: Any) -> dict[str, Any]:
        """Send one command and return the server's answer."""
        assert self._process is not None
        assert self._process.stdin is not None
        async with self._lock:
            self._process.stdin.write(json.dumps(command) + "\n")
            self._process.stdin.flush()
            reply: dict[str, Any] = json.loads(await self._readline())
        return reply


def rss_bytes() -> int:
    """This process's resident memory now (Linux), or its peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def raise_fd_limit(wanted: int) -> None:
    """Lift the soft open-files limit towards `wanted` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def pin(cpus: set[int], pid: int = 0) -> None:
    """Run process `pid` (0: this one) on `cpus` only (Linux; elsewhere nothing happens)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, cpus)
