"""`python -m benchmarks.scale_out [--instances 1 2 4] [--seconds S] [--concurrency C] [--quick]`:
relay instances sharing a real redis-server, side by side in one run.

For each count of relay processes (`agentkit relay benchmarks/scale_relay.py:relay`, clients spread
over them round-robin, one model server process behind all of them), after a short unmeasured
warm-up, it measures session setups per second (connect, `session.created`, the resume token,
close) and tool rounds per second (a question, the tool call, its output, the answer), as ratios to
one instance. Right after the one-instance run,
the same tool rounds with the state in memory instead of Redis, and the Redis commands each round costs
(from Redis's own `INFO commandstats`). Needs redis-server. Prints a table, then ONE JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
from websockets.asyncio.client import connect

from tests.redis_server import RedisServer

APP = Path(__file__).with_name("scale_relay.py")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def model_server() -> Iterator[str]:
    """agentkit's local model server (the keyword model) in a process of its own; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentkit", "local-server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import socket

        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the model server did not start") from None
                time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def instances(count: int, env: dict[str, str]) -> Iterator[list[int]]:
    ports = [_free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "agentkit", "relay", f"{APP}:relay", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(_ready(port) for port in ports):
            if time.monotonic() > deadline:
                raise RuntimeError("the relay instances did not start")
            time.sleep(0.05)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


async def _first(websocket: Any, kind: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = json.loads(await websocket.recv())
        if event["type"] == kind:
            return event


async def setups_per_second(ports: list[int], seconds: float, concurrency: int) -> float:
    done = 0

    async def worker(index: int) -> None:
        nonlocal done
        turn = index
        while True:
            port = ports[turn % len(ports)]
            turn += 1
            async with connect(f"ws://127.0.0.1:{port}/realtime") as websocket:
                await _first(websocket, "agentkit.resume")
            done += 1

    started = time.perf_counter()
    with anyio.move_on_after(seconds):
        async with anyio.create_task_group() as tg:
            for index in range(concurrency):
                tg.start_soon(worker, index)
    return done / (time.perf_counter() - started)


async def rounds_per_second(ports: list[int], seconds: float, concurrency: int) -> float:
    done = 0
    question = json.dumps(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]},
        }
    )

    async def worker(index: int) -> None:
        nonlocal done
        port = ports[index % len(ports)]
        async with connect(f"ws://127.0.0.1:{port}/realtime") as websocket:
            await _first(websocket, "agentkit.resume")
            order = 0
            while True:
                order += 1
                text = f"Where is my order A-{index}{order}?"
                await websocket.send(question.replace('"x"', json.dumps(text)))
                await websocket.send(json.dumps({"type": "response.create"}))
                answered = False
                while not answered:  # the tool call's response, then the answer's
                    done_event = await _first(websocket, "response.done")
                    answered = "TRK-" in json.dumps(done_event)
                done += 1

    started = time.perf_counter()
    with anyio.move_on_after(seconds):
        async with anyio.create_task_group() as tg:
            for index in range(concurrency):
                tg.start_soon(worker, index)
    return done / (time.perf_counter() - started)


def _redis_calls(redis: RedisServer) -> int:
    out = subprocess.run(
        ["redis-cli", "-s", str(redis.socket_path), "INFO", "commandstats"], capture_output=True, text=True
    ).stdout
    return sum(int(line.split("calls=")[1].split(",")[0]) for line in out.splitlines() if "calls=" in line)


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.seconds, args.concurrency = [1], 0.3, 2
    directory = Path(tempfile.mkdtemp(prefix="akb"))
    redis = RedisServer(directory)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "concurrency": args.concurrency, "instances": {}}
    try:
        redis.start()
        with model_server() as upstream:
            base = {**os.environ, "BENCH_UPSTREAM": upstream}
            shared = {**base, "AGENTKIT_REDIS_URL": redis.url}
            memory = {k: v for k, v in base.items() if k != "AGENTKIT_REDIS_URL"}
            warmup = min(1.0, args.seconds)
            for count in args.instances:
                with instances(count, shared) as ports:
                    await rounds_per_second(ports, warmup, args.concurrency)  # first imports, first scripts
                    setups = await setups_per_second(ports, args.seconds, args.concurrency)
                    calls = _redis_calls(redis)
                    rounds_started = time.perf_counter()
                    rounds = await rounds_per_second(ports, args.seconds, args.concurrency)
                    rounds_total = rounds * (time.perf_counter() - rounds_started)
                    per_round = (_redis_calls(redis) - calls) / max(1.0, rounds_total)
                results["instances"][count] = {
                    "setups_per_s": setups,
                    "rounds_per_s": rounds,
                    "redis_commands_per_round": per_round,
                }
                if count == min(args.instances):  # the same instance with its state in memory, next in time
                    with instances(count, memory) as ports:
                        await rounds_per_second(ports, warmup, args.concurrency)
                        memory_rounds = await rounds_per_second(ports, args.seconds, args.concurrency)
                    results["memory_rounds_per_s"] = memory_rounds
    finally:
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)
    _report(results)
    return results


def _report(results: dict[str, Any]) -> None:
    runs = results["instances"]
    one = runs[min(runs)]
    print(
        f"{'instances':>9} {'setups/s':>9} {'ratio':>6} {'rounds/s':>9} {'ratio':>6} {'redis cmds/round':>17}"
    )
    for count, run in sorted(runs.items()):
        print(
            f"{count:>9} {run['setups_per_s']:>9.1f} {run['setups_per_s'] / one['setups_per_s']:>6.2f} "
            f"{run['rounds_per_s']:>9.1f} {run['rounds_per_s'] / one['rounds_per_s']:>6.2f} "
            f"{run['redis_commands_per_round']:>17.1f}"
        )
    memory = results["memory_rounds_per_s"]
    ratio = one["rounds_per_s"] / memory
    print(f"one instance, state in memory: {memory:.1f} rounds/s (with Redis: {ratio:.2f}x that)")
    print(json.dumps(results, separators=(",", ":")))


if __name__ == "__main__":
    anyio.run(main)
