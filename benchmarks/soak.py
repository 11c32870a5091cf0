"""Soak: many agentkit sessions doing tool rounds for a long time, with connections dropped at random.

Run: `python -m benchmarks.soak [--sessions 500] [--minutes 10] [--chaos 5]`. The local server runs in
a child process (`benchmarks.serve --soak`) and aborts one random connection every `--chaos` seconds,
so reconnects and replays happen all along. Reports the client's resident memory over time, turns
completed and failed, calls the server issued but never got an output for (lost), outputs sent twice
on one connection, server errors and warnings logged. Not part of CI: it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import time
from collections import Counter
from typing import Any

import anyio

from agentkit import Agent, Endpoint, SessionClosed, tool
from agentkit.protocol import Dialect
from benchmarks.process import LocalServerProcess, open_fds, raise_fd_limit, rss_bytes


class _Counting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records[f"{record.levelname} {record.name}: {str(record.msg)[:60]}"] += 1


@tool
async def work(n: int) -> str:
    """Do a little work.

    Args:
        n: Which piece.
    """
    await anyio.sleep(random.uniform(0.0, 0.05))
    return f"piece {n} done"


async def _session(
    endpoint: Endpoint, agent: Agent, deadline: float, outcomes: Counter[str], start_delay: float
) -> None:
    await anyio.sleep(start_delay)
    try:
        async with agent.connect(endpoint) as session:
            while time.monotonic() < deadline:
                try:
                    turn = await session.ask("Please do the work.", timeout=30)
                except TimeoutError:
                    outcomes["turn timed out"] += 1
                    continue
                calls = [call.status for call in turn.tool_calls]
                outcomes["turn ok" if calls == ["ok"] and turn.text else f"turn calls {calls}"] += 1
                await anyio.sleep(random.uniform(1.0, 3.0))
    except SessionClosed as exc:
        outcomes[f"session closed: {str(exc)[:80]}"] += 1
    except Exception as exc:  # counted and reported, the soak goes on with the other sessions
        outcomes[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1


async def soak(sessions: int, seconds: float, chaos: float) -> dict[str, Any]:
    raise_fd_limit(4 * sessions + 256)
    counting = _Counting()
    logging.getLogger().addHandler(counting)
    outcomes: Counter[str] = Counter()
    samples: list[tuple[float, int]] = []
    async with LocalServerProcess(soak=True) as server:
        if chaos > 0:
            await server.command(op="chaos", interval=chaos)
        endpoint = Endpoint.custom(server.url, dialect=Dialect.GA, api_key=server.api_key)
        agent = Agent("soak", "Do the work.", tools=[work], output_modalities=["text"])
        tasks_before = len(asyncio.all_tasks())
        fds_before = open_fds()
        started = time.monotonic()
        deadline = started + seconds
        async with anyio.create_task_group() as tg:
            for index in range(sessions):
                tg.start_soon(_session, endpoint, agent, deadline, outcomes, 10.0 * index / sessions)

            async def sample() -> None:
                while time.monotonic() < deadline + 30:
                    samples.append((time.monotonic() - started, rss_bytes()))
                    await anyio.sleep(15)

            tg.start_soon(sample)
            with anyio.move_on_after(seconds + 60):
                while time.monotonic() < deadline or len(asyncio.all_tasks()) > tasks_before + 2:  # noqa: ASYNC110
                    await anyio.sleep(1)
            tg.cancel_scope.cancel()
        tally = await server.command(op="tally")
    logging.getLogger().removeHandler(counting)
    warm = next((rss for at, rss in samples if at >= 60), samples[0][1])
    lost = tally["calls_issued"] - tally["calls_answered"]
    return {
        "sessions": sessions,
        "seconds": round(time.monotonic() - started),
        "chaos_interval_s": chaos,
        "turns": dict(outcomes),
        "calls_issued": tally["calls_issued"],
        "calls_lost": lost,
        "duplicate_outputs_on_one_connection": tally["duplicate_outputs_on_one_connection"],
        "server_errors": tally["server_errors"],
        "connections": tally["connections_closed"],
        "rss_mib_after_warmup": round(warm / 2**20, 1),
        "rss_mib_at_end": round(samples[-1][1] / 2**20, 1),
        "rss_growth_mib": round((samples[-1][1] - warm) / 2**20, 1),
        "rss_samples_mib": [(round(at), round(rss / 2**20, 1)) for at, rss in samples],
        "tasks_leaked": len(asyncio.all_tasks()) - tasks_before,
        "fds_leaked": open_fds() - fds_before,
        "warnings_logged": dict(counting.records.most_common(10)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--chaos", type=float, default=5.0, help="seconds between drops (0: none)")
    args = parser.parse_args()
    result = anyio.run(soak, args.sessions, args.minutes * 60, args.chaos)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
