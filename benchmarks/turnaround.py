"""How fast a session turns tool results into the next response, on the local server.

Run: `python -m benchmarks.turnaround [--rounds N]`. Three measurements, side by side in one run:

1. Overhead: from the moment the last tool output is ready to `response.create` on the wire (the
   frame handed to the socket). The tool finishes after `response.done`, so nothing else waits.
   Run with no observer, with the `TracingObserver` on the OpenTelemetry API alone (what a user
   without the SDK pays: no-op spans and metrics), and on the SDK (when it is installed).
2. Eight calls of 200 ms in one response: from the first call's start to the follow-up
   `response.create`, with up to 8 tools at once and, for comparison, one at a time.
3. Early start: a 300 ms tool whose arguments finish 300 ms before `response.done`: the follow-up
   goes out right at `response.done` (a client that starts tools at `response.done` adds 300 ms).

Medians over the rounds; timings use `time.monotonic()`, the session's own clock.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio

from agentkit import Agent, tool
from agentkit.connection import Endpoint, RealtimeConnection
from agentkit.engine import ResponseFinished, ToolCallStarted, TurnDone
from agentkit.observer import SessionObserver
from agentkit.protocol import ClientEvent, Dialect, FunctionCallOutputItem, ResponseCreate
from agentkit.testing import Call, Faults, LocalRealtimeServer, ModelContext, Say

_create_sent: list[float] = []


@contextmanager
def timing_response_creates() -> Iterator[None]:
    """Note when each `response.create` has been handed to the socket (for this block only)."""
    original = RealtimeConnection.send

    async def send(self: RealtimeConnection, event: ClientEvent) -> None:
        await original(self, event)
        if isinstance(event, ResponseCreate):
            _create_sent.append(time.monotonic())

    RealtimeConnection.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        RealtimeConnection.send = original  # type: ignore[method-assign]


class _ToolRound:
    """Calls `calls` after each user message, then a short answer once the outputs are in."""

    def __init__(self, calls: Sequence[Call]) -> None:
        self._calls = list(calls)

    def respond(self, context: ModelContext) -> Sequence[Say | Call]:
        if context.items and isinstance(context.items[-1], FunctionCallOutputItem):
            return [Say("Done.")]
        return [Say("One moment."), *self._calls]


async def _rounds(
    *,
    model: _ToolRound,
    tools: Sequence[Any],
    rounds: int,
    measure: Callable[[list[Any], float], float],
    faults: Faults | None = None,
    observer: SessionObserver | None = None,
    max_concurrent_tools: int = 8,
) -> list[float]:
    """Run `rounds` asks in one session; `measure(events_of_round, follow_up_sent)` gives one sample (s)."""
    samples: list[float] = []
    async with LocalRealtimeServer(model=model, faults=faults) as server:
        endpoint = Endpoint.custom(server.url(Dialect.GA), api_key=server.api_key)
        agent = Agent(
            "bench", tools=tools, output_modalities=["text"], max_concurrent_tools=max_concurrent_tools
        )
        async with agent.connect(endpoint, observer=observer) as session:
            for _ in range(rounds):
                events = session.events()
                await session.ask("go", timeout=30)
                seen: list[Any] = []
                async with events:
                    async for event in events:  # already buffered: the turn is over
                        seen.append(event)
                        if isinstance(event, TurnDone):
                            break
                samples.append(measure(seen, _create_sent[-1]))
    return samples


async def overhead(rounds: int, observer: SessionObserver | None = None) -> list[float]:
    ready: list[float] = []

    @tool
    async def quick() -> str:
        """Answer after 20 ms."""
        await anyio.sleep(0.02)  # finish after response.done, so nothing but the shell stands between
        ready.append(time.monotonic())
        return "ok"

    return await _rounds(
        model=_ToolRound([Call("quick", {})]),
        tools=[quick],
        rounds=rounds,
        measure=lambda _events, sent: sent - ready[-1],
        observer=observer,
    )


async def eight_calls(rounds: int, max_concurrent_tools: int) -> list[float]:
    @tool
    async def lookup(n: int) -> str:
        await anyio.sleep(0.2)
        return f"result {n}"

    def from_first_start(events: list[Any], sent: float) -> float:
        starts = [e.time for e in events if isinstance(e, ToolCallStarted)]
        assert len(starts) == 8, starts
        return sent - min(starts)

    return await _rounds(
        model=_ToolRound([Call("lookup", {"n": n}) for n in range(8)]),
        tools=[lookup],
        rounds=rounds,
        measure=from_first_start,
        max_concurrent_tools=max_concurrent_tools,
    )


async def early_start(rounds: int) -> tuple[list[float], list[float]]:
    @tool
    async def slow() -> str:
        await anyio.sleep(0.3)
        return "done"

    lead: list[float] = []

    def after_done(events: list[Any], sent: float) -> float:
        [start] = [e.time for e in events if isinstance(e, ToolCallStarted)]
        done = next(e.time for e in events if isinstance(e, ResponseFinished))
        lead.append(done - start)
        return sent - done

    samples = await _rounds(
        model=_ToolRound([Call("slow", {})]),
        tools=[slow],
        rounds=rounds,
        measure=after_done,
        faults=Faults(delays={"response.done": 0.3}),
    )
    return samples, lead


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def api_only_observer() -> SessionObserver:
    """The `TracingObserver` as it runs when no OpenTelemetry SDK is installed: the API's no-op
    providers (explicit, so a global provider set elsewhere cannot change what is measured)."""
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.trace import NoOpTracerProvider

    from agentkit.tracing import TracingObserver

    return TracingObserver(tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider())


def _tracing_observer() -> Callable[[], SessionObserver] | None:
    try:
        from opentelemetry.sdk.trace import TracerProvider

        from agentkit.tracing import TracingObserver
    except ImportError:
        return None
    provider = TracerProvider()
    return lambda: TracingObserver(tracer_provider=provider)


async def main(rounds: int) -> None:
    tracing = _tracing_observer()
    with timing_response_creates():
        plain = await overhead(rounds)
        api_only = await overhead(rounds, api_only_observer())
        traced = await overhead(rounds, tracing()) if tracing is not None else None
        parallel = await eight_calls(max(3, rounds // 10), 8)
        serial = await eight_calls(max(3, rounds // 10), 1)
        early, lead = await early_start(max(3, rounds // 10))

    print(f"turnaround on the local server (medians; overhead over {rounds} rounds)")
    print(f"  output ready -> response.create on the wire: {_ms(plain) * 1000:8.0f} us   (target < 1000 us)")
    ratio = statistics.median(api_only) / statistics.median(plain)
    print(f"    same, tracing observer without an SDK:   {_ms(api_only) * 1000:8.0f} us   ({ratio:.2f}x)")
    if traced is not None:
        ratio = statistics.median(traced) / statistics.median(plain)
        print(f"    same, with the tracing observer:         {_ms(traced) * 1000:8.0f} us   ({ratio:.2f}x)")
    else:
        print("    (tracing observer: opentelemetry-sdk not installed)")
    ratio = statistics.median(serial) / statistics.median(parallel)
    print(f"  8 calls x 200 ms, first start -> follow-up: {_ms(parallel):8.1f} ms   (target ~200)")
    print(f"    same, one tool at a time:                {_ms(serial):8.1f} ms   ({ratio:.1f}x slower)")
    print(f"  early start: tool started {_ms(lead):.0f} ms before response.done")
    print(f"    response.done -> follow-up:              {_ms(early):8.1f} ms   (start at done: +300)")


def _parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=50, help="rounds of the overhead measurement")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    return args


def run(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    anyio.run(main, args.rounds)


if __name__ == "__main__":
    run()
