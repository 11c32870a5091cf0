"""Many sessions of one client in a fresh process, so its figures owe nothing to earlier runs.

`python -m benchmarks.crowd CLIENT SESSIONS` reads one JSON line on stdin (never in argv, it holds
the API keys): `{"servers": [{"url": ..., "api_key": ...}, ...], "open_close": K, "cpus": [...]}`
(`cpus`: where to run, optional; `"gc_freeze": true` calls `gc.freeze()` after the warm-up, as a
server would after start-up; `"gc_threshold": [t0, t1, t2]` calls `gc.set_threshold` then).
Sessions are spread over the servers in turn. After one warm-up session (imports and first-use
caches are not per session), three phases, each measured on its own:

1. open/close: K sessions opened and closed one after another: CPU per session (µs).
2. idle: SESSIONS sessions opened at once and held idle: resident memory per idle session.
3. crowd: SESSIONS sessions at once, two tool rounds each: this process's CPU, its time in the
   garbage collector (`gc.callbacks`), the longest single collection, collections per generation,
   and the peak resident memory while they ran.

Prints one JSON line with every figure.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from benchmarks.clients import CLIENTS, Client, Hold
from benchmarks.process import pin, raise_fd_limit, rss_bytes


class GcClock:
    """Times every collection of the cyclic garbage collector while it is installed.

    In CPU time (`time.process_time`), like the crowd's CPU figure: on a shared machine a wall-clock
    pause would also count the time the process waited for a core.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.longest = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
            return
        pause = time.process_time() - self._started
        self.seconds += pause
        self.longest = max(self.longest, pause)
        self.collections[info["generation"]] += 1

    @contextmanager
    def running(self) -> Iterator[GcClock]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


async def open_close(client: Client, servers: list[dict[str, str]], count: int) -> float:
    """CPU seconds per session to open and close `count` sessions, one after another."""
    started = time.process_time()
    for n in range(count):
        server = servers[n % len(servers)]
        await client.open_close(server["url"], server["api_key"], None)
    return (time.process_time() - started) / max(1, count)


async def idle(client: Client, servers: list[dict[str, str]], count: int) -> int:
    """Resident memory added by `count` sessions open at once, idle."""
    gc.collect()
    baseline = rss_bytes()
    opened = [0]
    all_open, release = anyio.Event(), anyio.Event()

    def one_more() -> None:
        opened[0] += 1
        if opened[0] == count:
            all_open.set()

    hold = Hold(one_more, release)
    async with anyio.create_task_group() as tg:
        for n in range(count):
            server = servers[n % len(servers)]
            tg.start_soon(client.open_close, server["url"], server["api_key"], hold)
        await all_open.wait()
        gc.collect()
        used = rss_bytes() - baseline
        release.set()
    return used


async def crowd(client: Client, servers: list[dict[str, str]], count: int) -> dict[str, Any]:
    gc.collect()
    baseline, peak = rss_bytes(), [0]

    async def watch() -> None:
        while True:
            peak[0] = max(peak[0], rss_bytes())
            await anyio.sleep(0.05)

    with GcClock().running() as clock:
        started_cpu, started = time.process_time(), time.perf_counter()
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            async with anyio.create_task_group() as sessions:
                for n in range(count):
                    server = servers[n % len(servers)]
                    sessions.start_soon(client.tool_turns, server["url"], server["api_key"], 2, 0.0)
            tg.cancel_scope.cancel()
        cpu = time.process_time() - started_cpu
        wall = time.perf_counter() - started
    return {
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "gc_s": round(clock.seconds, 3),
        "gc_longest_ms": round(clock.longest * 1000, 1),
        "collections": clock.collections,
        "rss_peak_delta": max(peak[0], rss_bytes()) - baseline,
    }


async def run(
    client: Client,
    servers: list[dict[str, str]],
    count: int,
    open_closes: int,
    freeze: bool = False,
    threshold: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    first = servers[0]
    await client.tool_turns(first["url"], first["api_key"], 1, 0.0)  # warm-up
    await client.open_close(first["url"], first["api_key"], None)
    if freeze:
        gc.collect()
        gc.freeze()  # what is loaded by now lives for good: no collection looks at it again
    if threshold:
        gc.set_threshold(*threshold)  # fewer young collections, so fewer chances of a full one
    per_open_close = await open_close(client, servers, open_closes)
    idle_bytes = await idle(client, servers, count)
    figures = await crowd(client, servers, count)
    return {"open_close_cpu_s": per_open_close, "idle_rss_delta": idle_bytes, **figures}


def main() -> None:
    name, count = sys.argv[1], int(sys.argv[2])
    setup = json.loads(sys.stdin.readline())
    client = next(c for c in CLIENTS if c.name == name)
    if setup.get("cpus"):
        pin(set(setup["cpus"]))
    raise_fd_limit(2 * count + 256)
    open_closes, freeze = int(setup.get("open_close", 50)), bool(setup.get("gc_freeze"))
    threshold = tuple(int(t) for t in setup.get("gc_threshold") or ())
    print(json.dumps(anyio.run(run, client, setup["servers"], count, open_closes, freeze, threshold)))


if __name__ == "__main__":
    main()
