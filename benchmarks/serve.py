"""The benchmarks' local server, in a process of its own so that its CPU is not charged to the client.

`python -m benchmarks.serve` prints `{"url": ..., "api_key": ...}` as its first line, then answers one
JSON command per line on stdin with one JSON line on stdout:

- `{"op": "script", "calls": N, "words_after": W, "answer_words": A, "word_delay": S}`:
  from now on, a user turn is answered with N calls of the tool `work` (then W more words when W > 0),
  and the response after the tool outputs with A words. Each word is one delta (text, or 100 ms of
  audio with its transcript delta); with S > 0, each text or audio delta waits S seconds (real time).
- `{"op": "collect"}`: per-connection figures for the connections since the last collect (then forgotten).
- `{"op": "chaos", "interval": S}`: abort one random open connection every S seconds (soak).
- `{"op": "tally"}`: calls issued / answered / answered twice over every connection so far (soak).

Timestamps are `time.perf_counter()` (CLOCK_MONOTONIC, shared with the client process on Linux).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from agentkit.protocol import (
    ConversationItemCreate,
    FunctionCallOutputItem,
    MessageItem,
    ResponseFunctionCallArgumentsDone,
)
from agentkit.testing import Call, Faults, LocalRealtimeServer, ModelContext, Say, ServerConnection, Timing
from benchmarks.process import raise_fd_limit

SPOKEN = ("response.output_text.delta", "response.output_audio.delta")
BYTES_PER_WORD = 4800
"""One word of "speech" = 100 ms of 24 kHz PCM16 = one audio delta of 4,800 bytes."""


@dataclass
class Script:
    calls: int = 1
    words_after: int = 0
    answer_words: int = 3

    def respond(self, context: ModelContext) -> Sequence[Say | Call]:
        last = context.items[-1] if context.items else None
        if isinstance(last, MessageItem) and last.role == "user":
            outputs: list[Say | Call] = [Call("work", {"n": n}) for n in range(self.calls)]
            if self.words_after:
                outputs.append(Say(" ".join(["la"] * self.words_after)))
            return outputs or [Say(" ".join(["ok"] * self.answer_words))]
        return [Say(" ".join(["done"] * self.answer_words))]


def silence(text: str, voice: str | None) -> bytes:
    return bytes(BYTES_PER_WORD * max(1, len(text.split())))


def figures(connection: ServerConnection) -> dict[str, Any]:
    """What one connection's timeline says about its client.

    `gaps`: from the `response.done` of a response with calls to the next `response.create` received;
    `output_after_args`: from a response's first `function_call_arguments.done` to the first
    `conversation.item.create` after it (early start shows as less than the audio still streaming).
    """
    gaps: list[float] = []
    output_after_args: list[float] = []
    creates = errors = 0
    had_calls = False
    done_with_calls: float | None = None
    first_args: float | None = None
    for stamp, direction, kind in connection.timeline or []:
        if direction == "sent":
            if kind == "response.function_call_arguments.done":
                had_calls = True
                first_args = stamp if first_args is None else first_args
            elif kind == "response.done":
                done_with_calls = stamp if had_calls else None
                had_calls = False
            elif kind == "error":
                errors += 1
        elif kind == "conversation.item.create" and first_args is not None:
            output_after_args.append(stamp - first_args)
            first_args = None
        elif kind == "response.create":
            creates += 1
            if done_with_calls is not None:
                gaps.append(stamp - done_with_calls)
                done_with_calls = None
    return {"gaps": gaps, "creates": creates, "output_after_args": output_after_args, "errors": errors}


@dataclass
class Tally:
    """Soak bookkeeping, swept out of the connections so they do not grow for ten minutes."""

    issued: set[str] = field(default_factory=set)
    answered: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    per_connection: dict[int, set[str]] = field(default_factory=dict)

    def sweep(self, server: LocalRealtimeServer) -> None:
        for connection in list(server.connections):
            seen = self.per_connection.setdefault(id(connection), set())
            for event in connection.sent:
                if isinstance(event, ResponseFunctionCallArgumentsDone):
                    self.issued.add(event.call_id)
                elif getattr(event, "kind", "") == "error":
                    self.errors[str(getattr(getattr(event, "error", None), "code", None))] += 1
            for received in connection.received:
                if isinstance(received, ConversationItemCreate) and isinstance(
                    received.item, FunctionCallOutputItem
                ):
                    if received.item.call_id in seen:
                        self.duplicates += 1
                    seen.add(received.item.call_id)
                    self.answered[received.item.call_id] += 1
            connection.sent.clear()
            connection.received.clear()
            if connection.closed.is_set():
                server.connections.remove(connection)
                self.per_connection.pop(id(connection), None)
                self.connections += 1

    def report(self) -> dict[str, Any]:
        return {
            "calls_issued": len(self.issued),
            "calls_answered": sum(1 for call in self.issued if self.answered[call]),
            "duplicate_outputs_on_one_connection": self.duplicates,
            "server_errors": dict(self.errors),
            "connections_closed": self.connections,
        }


async def main() -> None:
    raise_fd_limit(65536)  # thousands of sessions may share one server process
    script = Script()
    faults = Faults()
    timing = Timing(audio_chunk_ms=100)
    tally = Tally()
    soak = "--soak" in sys.argv
    async with (
        LocalRealtimeServer(
            model=script,
            timing=timing,
            faults=faults,
            synthesize=silence,
            record_timeline=not soak,
        ) as server,
        anyio.create_task_group() as tg,
    ):
        print(json.dumps({"url": server.url(), "api_key": server.api_key}), flush=True)
        if soak:
            tg.start_soon(_sweep_forever, server, tally)
        while line := await anyio.to_thread.run_sync(sys.stdin.readline):
            command = json.loads(line)
            op = command.pop("op")
            reply: dict[str, Any] = {"ok": True}
            if op == "script":
                delay = command.pop("word_delay", 0.0)
                faults.delays = dict.fromkeys(SPOKEN, delay) if delay else {}
                for name, value in command.items():
                    setattr(script, name, value)
            elif op == "collect":
                done = [c for c in server.connections]
                server.connections.clear()
                reply["connections"] = [figures(c) for c in done]
            elif op == "chaos":
                tg.start_soon(_chaos, server, float(command["interval"]))
            elif op == "tally":
                tally.sweep(server)
                reply.update(tally.report())
            print(json.dumps(reply), flush=True)
        tg.cancel_scope.cancel()


async def _sweep_forever(server: LocalRealtimeServer, tally: Tally) -> None:
    while True:
        await anyio.sleep(5)
        tally.sweep(server)


async def _chaos(server: LocalRealtimeServer, interval: float) -> None:
    while True:
        await anyio.sleep(interval)
        live = [c for c in server.connections if not c.closed.is_set()]
        if live:
            random.choice(live).drop()


if __name__ == "__main__":
    anyio.run(main)
