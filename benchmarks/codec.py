"""Decode throughput of the codec next to a plain `json.loads` loop, the floor no decoder can beat.

Run: `python -m benchmarks.codec [--events N] [--rounds R]`. For each frame kind (a text delta, and
an audio delta carrying 4800 bytes = 100 ms of 24 kHz PCM16 as base64) it times `json.loads` and
`Codec.decode_server_event` over the same frames, alternating the two within each round so both see
the same machine state, and prints the median events/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from agentkit.protocol import Codec, Dialect, ProtocolError, UnknownEvent


def _frame(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


def _frames(kind: str, count: int) -> list[str]:
    common = {"response_id": "resp_CdQ3xEc6vYkq0Z2Uf7Hn1", "item_id": "item_CdQ3xF0a9Kqm1tBv2Lc3d"}
    if kind == "text delta":
        return [
            _frame(
                type="response.output_text.delta",
                event_id=f"event_{n:08d}",
                **common,
                output_index=0,
                content_index=0,
                delta=f"word{n % 97} ",
            )
            for n in range(count)
        ]
    audio = [base64.b64encode(os.urandom(4800)).decode("ascii") for _ in range(16)]
    return [
        _frame(
            type="response.output_audio.delta",
            event_id=f"event_{n:08d}",
            **common,
            output_index=0,
            content_index=0,
            delta=audio[n % len(audio)],
        )
        for n in range(count)
    ]


def _rate(decode: Callable[[str], object], frames: Sequence[str]) -> float:
    start = time.perf_counter()
    for frame in frames:
        decode(frame)
    return len(frames) / (time.perf_counter() - start)


def _check(codec: Codec, frames: Sequence[str]) -> None:
    """A benchmark of a decoder that fails is worthless: make sure every frame decodes to an event."""
    for frame in frames[:50]:
        event = codec.decode_server_event(frame)
        if isinstance(event, (ProtocolError, UnknownEvent)):
            raise SystemExit(f"benchmark frame did not decode: {event!r:.300}")


def run(events: int, rounds: int) -> list[tuple[str, float, float]]:
    codec = Codec(Dialect.GA)
    results = []
    for kind in ("text delta", "audio delta (4800 B)"):
        frames = _frames("text delta" if kind == "text delta" else "audio", events)
        _check(codec, frames)
        floor: list[float] = []
        ours: list[float] = []
        _rate(codec.decode_server_event, frames[: events // 10 or 1])  # warm-up
        for n in range(rounds):
            pair = [(floor, json.loads), (ours, codec.decode_server_event)]
            for sink, decode in pair if n % 2 == 0 else reversed(pair):
                sink.append(_rate(decode, frames))
        results.append((kind, statistics.median(floor), statistics.median(ours)))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.codec", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="frames per timed loop (default 20000)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds; medians are reported")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be positive")
    print(f"codec decode throughput, GA dialect, {args.events} events x {args.rounds} rounds (medians)")
    print(f"{'frame':<22} {'json.loads ev/s':>16} {'codec ev/s':>12} {'codec/floor':>12}")
    for kind, floor, ours in run(args.events, args.rounds):
        print(f"{kind:<22} {floor:>16,.0f} {ours:>12,.0f} {ours / floor:>11.2f}x")


if __name__ == "__main__":
    main()
