"""Many sessions of one client in a fresh process, so its memory figure owes nothing to earlier runs.

`python -m benchmarks.crowd CLIENT SESSIONS URL` (the API key comes on stdin, never in argv): opens
SESSIONS sessions at once, each doing two tool rounds, and prints `{"rss_peak_delta": bytes}`: the
peak resident memory while they ran, less the memory after one warm-up session (imports, caches).
"""

from __future__ import annotations

import gc
import json
import sys

import anyio

from benchmarks.clients import CLIENTS, Client
from benchmarks.process import raise_fd_limit, rss_bytes


async def crowd(client: Client, url: str, key: str, count: int) -> int:
    await client.tool_turns(url, key, 1, 0.0)  # warm-up: imports and first-use caches are not per session
    gc.collect()
    baseline, peak = rss_bytes(), [0]

    async def watch() -> None:
        while True:
            peak[0] = max(peak[0], rss_bytes())
            await anyio.sleep(0.05)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        async with anyio.create_task_group() as sessions:
            for _ in range(count):
                sessions.start_soon(client.tool_turns, url, key, 2, 0.0)
        tg.cancel_scope.cancel()
    return max(peak[0], rss_bytes()) - baseline


def main() -> None:
    name, count, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key = sys.stdin.readline().strip()
    client = next(c for c in CLIENTS if c.name == name)
    raise_fd_limit(2 * count + 256)
    print(json.dumps({"rss_peak_delta": anyio.run(crowd, client, url, key, count)}))


if __name__ == "__main__":
    main()
