"""`python -m benchmarks [--quick] [--reps N]`: every client against one local server, side by side.

The server runs in a child process (`benchmarks.serve`) and timestamps every frame, so tool-round
figures are what the server saw; client CPU is this process's `time.process_time()`. Clients take
turns within each repetition (the order rotates in every scenario), and the figures are medians over
repetitions. Prints a table, then ONE JSON line with every figure. See docs/performance.md.

Many sessions: `--sessions 1000 5000 --servers 4 --clients agentkit raw --pin` spreads each crowd over
4 server processes, runs only the two clients named, and pins the servers to the first CPU and the
clients to the others.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import anyio

from benchmarks.clients import CLIENTS, Client
from benchmarks.process import LocalServerProcess, pin

SCENARIOS = ("tool_round", "parallel_calls", "early_start", "throughput", "many_sessions")
FLOOR = "raw"


@dataclass(frozen=True)
class Sizes:
    reps: int
    turns: int
    deltas: int
    sessions: tuple[int, ...]
    limit: float
    """Seconds one client may take for one run of one scenario before it is written off."""
    crowd_reps: int = 1
    servers: int = 1
    """Server processes a crowd's sessions are spread over."""
    open_closes: int = 50
    """Sessions opened and closed one after another, for the cost of one."""
    gc_freeze: bool = False
    """Each crowd process calls `gc.freeze()` after its warm-up (the advice for servers)."""
    gc_threshold: tuple[int, ...] = ()
    """Each crowd process calls `gc.set_threshold(*gc_threshold)` after its warm-up (when given)."""


FULL = Sizes(reps=5, turns=5, deltas=20_000, sessions=(200, 1000), limit=120.0)
QUICK = Sizes(reps=1, turns=2, deltas=200, sessions=(5,), limit=60.0, open_closes=3)


def _ms(values: Sequence[float]) -> float | None:
    return round(statistics.median(values) * 1000, 2) if values else None


def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


class Bench:
    def __init__(
        self,
        server: LocalServerProcess,
        clients: Sequence[Client],
        sizes: Sizes,
        server_cpus: set[int] | None = None,
    ) -> None:
        self.server = server
        self.clients = clients
        self.sizes = sizes
        self.server_cpus = server_cpus
        self.failures: dict[str, dict[str, str]] = {}

    def _order(self, rep: int) -> list[Client]:
        shift = rep % len(self.clients)
        return [*self.clients[shift:], *self.clients[:shift]]

    async def _attempt(
        self,
        scenario: str,
        client: Client,
        run: Callable[[], Awaitable[None]],
        servers: Sequence[LocalServerProcess] = (),
        limit: float | None = None,
    ) -> bool:
        """Run one client once; a failure is recorded (with why) instead of ending the benchmark."""
        if client.name in self.failures.get(scenario, {}):
            return False
        try:
            with anyio.fail_after(limit or self.sizes.limit):
                await run()
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"[:200]
            self.failures.setdefault(scenario, {})[client.name] = why
            print(f"  {scenario}: {client.name} failed: {why}", file=sys.stderr)
            if os.environ.get("AGENTKIT_BENCH_DEBUG"):
                traceback.print_exc()
            for server in servers or [self.server]:
                await server.command(op="collect")
            return False
        return True

    async def _tool_rounds(
        self,
        scenario: str,
        calls: int,
        tool_delay: float,
        turns: int,
        words_after: int = 0,
        delay: float = 0.0,
    ) -> dict[str, dict[str, list[float]]]:
        await self.server.command(
            op="script", calls=calls, words_after=words_after, answer_words=3, word_delay=delay
        )
        found: dict[str, dict[str, list[float]]] = {
            c.name: {"gaps": [], "follow_ups": [], "early": []} for c in self.clients
        }
        for rep in range(self.sizes.reps):
            for client in self._order(rep):
                url, key = self.server.url, self.server.api_key
                ok = await self._attempt(
                    scenario, client, partial(client.tool_turns, url, key, turns, tool_delay)
                )
                if not ok:
                    continue
                for connection in (await self.server.command(op="collect"))["connections"]:
                    found[client.name]["gaps"] += connection["gaps"]
                    found[client.name]["follow_ups"].append((connection["creates"] - turns) / turns)
                    found[client.name]["early"] += connection["output_after_args"]
        return found

    async def tool_round(self) -> dict[str, Any]:
        found = await self._tool_rounds("tool_round", 1, 0.0, self.sizes.turns)
        return {name: {"median_ms": _ms(f["gaps"]), "samples": len(f["gaps"])} for name, f in found.items()}

    async def parallel_calls(self) -> dict[str, Any]:
        found = await self._tool_rounds("parallel_calls", 8, 0.2, 1)
        return {
            name: {
                "median_ms": _ms(f["gaps"]),
                "follow_ups_per_round": statistics.median(f["follow_ups"]) if f["follow_ups"] else None,
            }
            for name, f in found.items()
        }

    async def early_start(self) -> dict[str, Any]:
        found = await self._tool_rounds("early_start", 1, 0.0, 1, words_after=3, delay=0.1)
        return {
            name: {"output_after_args_ms": _ms(f["early"]), "follow_up_after_done_ms": _ms(f["gaps"])}
            for name, f in found.items()
        }

    async def throughput(self) -> dict[str, Any]:
        deltas = self.sizes.deltas
        await self.server.command(op="script", calls=0, words_after=0, answer_words=deltas)
        cpu: dict[str, list[float]] = {c.name: [] for c in self.clients}
        wall: dict[str, list[float]] = {c.name: [] for c in self.clients}
        for rep in range(min(self.sizes.reps, 3)):  # each run streams ~130 MB: three are plenty
            for client in self._order(rep):
                url, key = self.server.url, self.server.api_key
                gc.collect()
                started_cpu, started = time.process_time(), time.perf_counter()
                if await self._attempt("throughput", client, partial(client.stream, url, key)):
                    wall[client.name].append(time.perf_counter() - started)
                    cpu[client.name].append(time.process_time() - started_cpu)
                    await self.server.command(op="collect")
        events = 2 * deltas  # audio deltas + transcript deltas
        return {
            name: {
                "cpu_us_per_event": round(statistics.median(cpu[name]) / events * 1e6, 2)
                if cpu[name]
                else None,
                "events_per_s": round(events / statistics.median(wall[name])) if wall[name] else None,
                "events": events,
            }
            for name in cpu
        }

    async def many_sessions(self) -> dict[str, Any]:
        """Each client's crowd runs in a fresh process (`benchmarks.crowd`): fair memory figures."""
        result: dict[str, Any] = {}
        async with AsyncExitStack() as stack:
            servers = [self.server]
            for _ in range(self.sizes.servers - 1):
                extra = LocalServerProcess(cpus=self.server_cpus)
                servers.append(await stack.enter_async_context(extra))
            for server in servers:
                await server.command(op="script", calls=1, words_after=0, answer_words=3, word_delay=0.0)
            for index, count in enumerate(self.sizes.sessions):
                runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in self.clients}
                for rep in range(self.sizes.crowd_reps):
                    for client in self._order(index + rep):
                        found: list[dict[str, Any]] = []
                        run = partial(_crowd, client.name, servers, count, self.sizes, found)
                        limit = self.sizes.limit * max(1.0, count / 500)
                        if not await self._attempt(f"many_sessions_{count}", client, run, servers, limit):
                            continue
                        gaps = [
                            gap
                            for server in servers
                            for connection in (await server.command(op="collect"))["connections"]
                            for gap in connection["gaps"]
                        ]
                        runs[client.name].append(_crowd_figures(found[0], gaps, count))
                result[str(count)] = {name: _medians(got) for name, got in runs.items() if got}
        return result


def _crowd_figures(crowd: dict[str, Any], gaps: list[float], count: int) -> dict[str, Any]:
    cpu = crowd["cpu_s"]
    return {
        "p50_ms": _pct(gaps, 0.5),
        "p99_ms": _pct(gaps, 0.99),
        "cpu_s": cpu,
        "gc_pct": round(100 * crowd["gc_s"] / cpu, 1) if cpu else None,
        "gc_longest_ms": crowd["gc_longest_ms"],
        "full_gcs": crowd["collections"][2],
        "rss_kib_per_session": round(crowd["rss_peak_delta"] / 1024 / count, 1),
        "idle_kib_per_session": round(crowd["idle_rss_delta"] / 1024 / count, 1),
        "open_close_us": round(crowd["open_close_cpu_s"] * 1e6),
        "rounds": len(gaps),
    }


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over repetitions (a single run is reported as it is)."""
    if len(runs) == 1:
        return runs[0]
    merged: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs if isinstance(r[key], int | float)]
        merged[key] = round(statistics.median(values), 2) if values else None
    merged["runs"] = len(runs)
    return merged


async def _crowd(
    name: str,
    servers: Sequence[LocalServerProcess],
    count: int,
    sizes: Sizes,
    found: list[dict[str, Any]],
) -> None:
    argv = [sys.executable, "-m", "benchmarks.crowd", name, str(count)]
    setup = {
        "servers": [{"url": s.url, "api_key": s.api_key} for s in servers],
        "open_close": sizes.open_closes,
        "gc_freeze": sizes.gc_freeze,
        "gc_threshold": list(sizes.gc_threshold),
        "cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    done = await anyio.run_process(argv, input=(json.dumps(setup) + "\n").encode(), check=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
        errors = [line.strip(" |+-") for line in lines if "Error" in line or "Exception" in line]
        raise RuntimeError((errors or lines)[-1][:200])
    found.append(json.loads(done.stdout.decode().strip().splitlines()[-1]))


def _machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), ""
            )
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
    }


def _pin_clients() -> set[int] | None:
    """Pin this process (and the crowds it starts) off the first CPU; the servers get that one."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        print("  --pin: fewer than 2 CPUs, nothing pinned", file=sys.stderr)
        return None
    pin(set(cpus[1:]))
    return {cpus[0]}


def _table(results: dict[str, Any]) -> str:
    """One row per scenario and client; numbers with their ratio to the raw floor in brackets."""
    groups: list[tuple[str, dict[str, Any]]] = []
    for scenario, by_client in results.items():
        if scenario == "many_sessions":
            groups += [(f"{scenario} x{count}", clients) for count, clients in by_client.items()]
        else:
            groups.append((scenario, by_client))
    lines = [f"{'scenario':<22} {'client':<14} figures (ratio to {FLOOR})"]
    for label, by_client in groups:
        floor = by_client.get(FLOOR, {})
        for name, figures in by_client.items():
            shown = []
            for key, value in figures.items():
                base = floor.get(key)
                ratio = ""
                if (
                    name != FLOOR
                    and isinstance(value, int | float)
                    and isinstance(base, int | float)
                    and base
                ):
                    ratio = f" (x{value / base:.2f})"
                shown.append(f"{key}={value}{ratio}")
            lines.append(f"{label:<22} {name:<14} " + ", ".join(shown))
    return "\n".join(lines)


async def run(
    sizes: Sizes,
    only: Sequence[str] = SCENARIOS,
    clients: Sequence[Client] = CLIENTS,
    server_cpus: set[int] | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with LocalServerProcess(cpus=server_cpus) as server:
        bench = Bench(server, clients, sizes, server_cpus)
        for scenario in only:
            started = time.perf_counter()
            results[scenario] = await getattr(bench, scenario)()
            print(f"  {scenario}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return {
        "machine": _machine(),
        "sizes": {
            "sessions": sizes.sessions,
            "servers": sizes.servers,
            "pinned": server_cpus is not None,
            "gc_freeze": sizes.gc_freeze,
            "gc_threshold": list(sizes.gc_threshold),
        },
        "scenarios": results,
        "failures": bench.failures,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="agentkit against its peers, on one local server")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in seconds")
    parser.add_argument("--reps", type=int, help="repetitions (default 5, or 1 with --quick)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    names = [c.name for c in CLIENTS]
    parser.add_argument("--clients", nargs="+", choices=names, default=names, help="clients to run")
    parser.add_argument("--sessions", nargs="+", type=int, help="crowd sizes (default 200 1000, or 5)")
    parser.add_argument("--servers", type=int, default=1, help="server processes a crowd is spread over")
    parser.add_argument("--crowd-reps", type=int, default=1, help="repetitions of each crowd size")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="crowds call gc.freeze() after warm-up (advice for servers)"
    )
    parser.add_argument(
        "--gc-threshold",
        nargs=3,
        type=int,
        metavar=("T0", "T1", "T2"),
        help="crowds call gc.set_threshold(T0, T1, T2) after warm-up (see docs/performance.md)",
    )
    parser.add_argument(
        "--pin", action="store_true", help="servers on the first CPU, the clients on the others (Linux)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sizes = replace(
        sizes,
        reps=args.reps or sizes.reps,
        sessions=tuple(args.sessions or sizes.sessions),
        servers=max(1, args.servers),
        crowd_reps=max(1, args.crowd_reps),
        gc_freeze=args.gc_freeze,
        gc_threshold=tuple(args.gc_threshold or ()),
    )
    if FLOOR not in args.clients:
        parser.error(f"the ratios are to {FLOOR}: include it in --clients")
    server_cpus = _pin_clients() if args.pin else None
    clients = [c for c in CLIENTS if c.name in args.clients]
    outcome = anyio.run(run, sizes, args.only, clients, server_cpus)
    print(_table(outcome["scenarios"]))
    for scenario, failed in outcome["failures"].items():
        for name, why in failed.items():
            print(f"{scenario}: {name} could not run: {why}")
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
