"""What agentkit's phone bridge costs per call, against a bare pass-through of the same frames, in one run.

Run: `python -m benchmarks.phones [--calls N] [--reps N] [--carriers twilio acs] [--quick]`.
Concurrent simulated callers (`agentkit.testing.callers`, 20 ms packets in real time) each say one
sentence and hear a spoken answer, on loopback, through one of two apps, each in a child process
(`benchmarks.phone_app`) so that its CPU and memory are measured alone:

- `bridge`: agentkit's Twilio or ACS routes: the signed webhook, the ticketed stream, a `Session`
  per call on agentkit's local Realtime server (here, in this process), marks for Twilio;
- `passthrough`: a WebSocket forwarder on the same ASGI server that relays the carrier's frames,
  unread, to a sink in this process, which answers with the same frames the bridge would send
  (the answer's audio in the same chunks at the same pace, Twilio's marks after each one).

Per call: the app's CPU (from /proc, over the whole call: set-up, talk, hang-up), its resident
memory at the peak of the calls over its memory after one warm-up call, and the added latency of
each direction: caller audio in (a packet sent by the caller -> its bytes reach the model or the
sink) and model audio out (an audio delta or frame sent -> its bytes reach the caller). Latencies
are medians (and 95th percentiles) over every packet of every call. The two apps take turns, the
order alternating between repetitions. Prints a table, then ONE JSON line with every figure and
the ratios bridge / passthrough. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

import anyio
import anyio.to_thread
import httpx
from websockets.asyncio.server import ServerConnection as SinkSocket
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from agentkit.protocol import InputAudioBufferAppend, ResponseAudioDelta
from agentkit.testing import LocalRealtimeServer, ModelContext, Say, Timing
from agentkit.testing.audio import bytes_per_ms
from agentkit.testing.callers import AcsCaller, LocalCallAutomation, TwilioCaller
from agentkit.testing.callers.voice import caller_speech, packets, silence

VARIANTS = ("bridge", "passthrough")
CARRIERS = ("twilio", "acs")
FORMATS = {"twilio": "g711_ulaw", "acs": "pcm16"}
TWILIO_TOKEN = "bench-twilio-token"
LEAD_PACKETS = 10
"""Silence sent before the sentence once the call is up, and left out of the latencies."""
CHUNK_MS = 100
"""The answer's audio per delta (model) or frame (sink)."""


@dataclass(frozen=True)
class Sizes:
    calls: int
    reps: int
    sentence: str
    answer_ms: int


FULL = Sizes(calls=10, reps=2, sentence="Where is my order A-7?", answer_ms=2000)
QUICK = Sizes(calls=2, reps=1, sentence="Hello there.", answer_ms=600)


# -- what one call saw ---------------------------------------------------------------------------


@dataclass
class CallLog:
    """(perf_counter, bytes) per audio packet, at both ends of both directions of one call."""

    caller_sent: list[tuple[float, int]] = field(default_factory=list)
    far_received: list[tuple[float, int]] = field(default_factory=list)
    far_sent: list[tuple[float, int]] = field(default_factory=list)
    caller_heard: list[tuple[float, int]] = field(default_factory=list)


def delays(sent: list[tuple[float, int]], arrived: list[tuple[float, int]], skip: int = 0) -> list[float]:
    """Seconds from each packet sent to the arrival of its last byte (the far end may re-chunk)."""
    out: list[float] = []
    offset = reached = 0
    index = 0
    for number, (stamp, size) in enumerate(sent):
        offset += size
        while index < len(arrived) and reached < offset:
            reached += arrived[index][1]
            index += 1
        if reached < offset:
            break  # never arrived (the call ended first)
        if number >= skip:
            out.append(arrived[index - 1][0] - stamp)
    return out


def last_answer(heard: list[tuple[float, int]], sent: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """What the caller heard of the last answer: a turn cut short by voice detection (the caller
    paused) leaves a few frames of an earlier answer first, which would shift the byte count."""
    extra = sum(size for _, size in heard) - sum(size for _, size in sent)
    start = 0
    while start < len(heard) and extra >= heard[start][1]:
        extra -= heard[start][1]
        start += 1
    return heard[start:]


# -- the model's side: agentkit's local server, or the pass-through's sink -------------------------


class AnswerModel:
    """Answers every turn with one spoken sentence (its audio comes from `tone`)."""

    def respond(self, context: ModelContext) -> list[Say]:
        return [Say("answer")]


def tone(answer_ms: int) -> Callable[[str, str | None], bytes]:
    """A synthesizer for the local server: `answer_ms` of a quiet square wave, PCM16 24 kHz."""
    period = b"\x00\x04" * 24 + b"\x00\xfc" * 24  # 2 ms
    audio = period * (answer_ms // 2)
    return lambda text, voice: audio


class Sink:
    """The far end of the pass-through: logs the caller's audio frames and, after the sentence,
    answers with `answer_ms` of audio in `CHUNK_MS` frames at speaking pace, as the bridge would."""

    def __init__(self, answer_ms: int, trigger_packets: int) -> None:
        self.answer_ms = answer_ms
        self.trigger = trigger_packets
        self.logs: dict[str, CallLog] = {}
        self.started: dict[str, anyio.Event] = {}
        self.url = ""

    def started_event(self, number: str) -> anyio.Event:
        return self.started.setdefault(number, anyio.Event())

    async def handle(self, socket: SinkSocket) -> None:
        number = carrier = stream_sid = ""
        packets_in = 0
        async with anyio.create_task_group() as tg:
            try:
                async for frame in socket:
                    arrived = time.perf_counter()
                    message = json.loads(frame)
                    if message.get("event") == "start":
                        carrier, stream_sid = "twilio", message["start"]["streamSid"]
                        number = message["start"]["customParameters"]["number"]
                        self.started_event(number).set()
                    elif message.get("kind") == "AudioMetadata":
                        carrier, number = "acs", message["audioMetadata"]["subscriptionId"]
                        self.started_event(number).set()
                    elif message.get("event") == "media" or message.get("kind") == "AudioData":
                        payload = (
                            message["media"]["payload"]
                            if carrier == "twilio"
                            else message["audioData"]["data"]
                        )
                        log = self.logs.setdefault(number, CallLog())
                        log.far_received.append((arrived, len(base64.b64decode(payload))))
                        packets_in += 1
                        if packets_in == self.trigger:
                            tg.start_soon(self._answer, socket, carrier, stream_sid, log)
            except ConnectionClosed:
                pass
            tg.cancel_scope.cancel()

    async def _answer(self, socket: SinkSocket, carrier: str, stream_sid: str, log: CallLog) -> None:
        chunk = bytes([0x7E if carrier == "twilio" else 0x04]) * (CHUNK_MS * bytes_per_ms(FORMATS[carrier]))
        payload = base64.b64encode(chunk).decode()
        try:
            for number in range(1, self.answer_ms // CHUNK_MS + 1):
                if number > 1:
                    await anyio.sleep(CHUNK_MS / 1000)
                if carrier == "twilio":
                    frame = json.dumps(
                        {"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}
                    )
                else:
                    frame = json.dumps(
                        {"kind": "AudioData", "audioData": {"data": payload}, "stopAudio": None}
                    )
                await socket.send(frame)
                log.far_sent.append((time.perf_counter(), len(chunk)))  # after, as the local server logs
                if carrier == "twilio":
                    await socket.send(
                        json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": str(number)}})
                    )
            if carrier == "twilio":
                done = {"event": "mark", "streamSid": stream_sid, "mark": {"name": "0:resp:done"}}
                await socket.send(json.dumps(done))
        except ConnectionClosed:
            pass


@asynccontextmanager
async def sink_server(sink: Sink) -> AsyncIterator[Sink]:
    async with serve(sink.handle, "127.0.0.1", 0, max_size=2**20) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        sink.url = f"ws://127.0.0.1:{port}/"
        yield sink


def model_logs(server: LocalRealtimeServer) -> dict[str, CallLog]:
    """Each session's audio in and out, from the local server's timeline, by the caller's number."""
    logs: dict[str, CallLog] = {}
    for connection in server.connections:
        instructions = connection.session.instructions or ""
        number = instructions.rsplit(" ", 1)[-1].rstrip(".")
        timeline = connection.timeline or []
        arrivals = [
            t for t, way, kind in timeline if way == "received" and kind == "input_audio_buffer.append"
        ]
        appends = [e for e in connection.received if isinstance(e, InputAudioBufferAppend)]
        sends = [t for t, way, kind in timeline if way == "sent" and kind == "response.output_audio.delta"]
        deltas = [e for e in connection.sent if isinstance(e, ResponseAudioDelta)]
        log = CallLog()
        log.far_received = [
            (t, len(base64.b64decode(e.audio))) for t, e in zip(arrivals, appends, strict=True)
        ]
        last = deltas[-1].response_id if deltas else ""
        log.far_sent = [
            (t, len(base64.b64decode(e.delta)))
            for t, e in zip(sends, deltas, strict=True)
            if e.response_id == last
        ]
        logs[number] = log
    return logs


# -- the app under test, in its own process ---------------------------------------------------------


class App:
    """`benchmarks.phone_app` in a child process; its CPU seconds and resident memory from /proc."""

    def __init__(self, setup: dict[str, Any]) -> None:
        self.setup = setup
        self.url = ""
        self.pid = 0
        self._process: subprocess.Popen[str] | None = None

    async def __aenter__(self) -> App:
        argv = [sys.executable, "-m", "benchmarks.phone_app"]
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220 (returns at once)
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(self.setup) + "\n")
        self._process.stdin.flush()
        line = await anyio.to_thread.run_sync(self._process.stdout.readline)
        if not line:
            raise RuntimeError(f"benchmarks.phone_app exited (code {self._process.poll()})")
        hello = json.loads(line)
        self.url, self.pid = hello["url"], hello["pid"]
        return self

    async def __aexit__(self, *exc: object) -> None:
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

    def cpu_s(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- one call ----------------------------------------------------------------------------------------


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """The local server has no event for "a session was configured": a benchmark may look often."""
    with anyio.fail_after(timeout):
        while not predicate():  # noqa: ASYNC110
            await anyio.sleep(0.01)


@dataclass
class Run:
    variant: str
    carrier: str
    sizes: Sizes
    app: App
    model: LocalRealtimeServer
    sink: Sink
    logs: dict[str, CallLog] = field(default_factory=dict)

    async def call(self, number: str) -> None:
        log = self.logs.setdefault(number, CallLog())
        fmt = FORMATS[self.carrier]
        caller: TwilioCaller | AcsCaller
        if self.carrier == "twilio":
            caller = TwilioCaller(self.app.url, TWILIO_TOKEN, caller=number)
            if self.variant == "bridge":
                await caller.dial()
            else:
                await caller.open_stream(
                    self.app.url.replace("http", "ws", 1) + "/stream", {"number": number}
                )
        else:
            caller = AcsCaller(self.app.url, LocalCallAutomation(), caller=number)
            if self.variant == "bridge":
                await caller.post(caller.incoming_call_event())
                async with httpx.AsyncClient(timeout=30) as client:
                    answered = await client.get(
                        self.app.url + "/bench/acs", params={"context": caller.context}
                    )
                answered.raise_for_status()
                await caller.open_stream(answered.text)
            else:
                meta = {"subscriptionId": number, "encoding": "PCM", "sampleRate": 24000, "channels": 1}
                await caller.open_stream(self.app.url.replace("http", "ws", 1) + "/stream", meta)
        if self.variant == "bridge":
            await until(lambda: any(number in (c.session.instructions or "") for c in self.model.connections))
        else:
            await self.sink.started_event(number).wait()
        _listen_to(caller, log)
        await caller.send_audio(silence(LEAD_PACKETS * 20, fmt))
        await caller.say(self.sizes.sentence)
        expected = self.sizes.answer_ms * bytes_per_ms(fmt)
        await caller.ear.wait(lambda: sum(size for _, size in log.caller_heard) >= expected, 60)
        await caller.hang_up()


def _listen_to(caller: TwilioCaller | AcsCaller, log: CallLog) -> None:
    """Time the caller's audio packets as they leave and the answer's frames as they arrive."""
    send, queue_audio = caller.send, caller.ear.queue_audio

    async def timed_send(message: dict[str, Any]) -> None:
        media = message.get("media") or message.get("audioData")
        if isinstance(media, dict):
            payload = media.get("payload") or media.get("data") or ""
            log.caller_sent.append((time.perf_counter(), len(base64.b64decode(payload))))
        await send(message)

    def timed_queue(audio: bytes) -> None:
        log.caller_heard.append((time.perf_counter(), len(audio)))
        queue_audio(audio)

    caller.send = timed_send  # type: ignore[method-assign]
    caller.ear.queue_audio = timed_queue  # type: ignore[method-assign]


# -- one run of one app, and the figures -----------------------------------------------------------


@dataclass
class Figures:
    cpu_ms_per_call: list[float] = field(default_factory=list)
    rss_kib_per_call: list[float] = field(default_factory=list)
    in_ms: list[float] = field(default_factory=list)
    out_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return {
            "cpu_ms_per_call": round(statistics.median(self.cpu_ms_per_call), 1),
            "rss_kib_per_call": round(statistics.median(self.rss_kib_per_call), 1),
            "in_ms_p50": round(statistics.median(self.in_ms), 3),
            "in_ms_p95": round(pct(self.in_ms, 0.95), 3),
            "out_ms_p50": round(statistics.median(self.out_ms), 3),
            "out_ms_p95": round(pct(self.out_ms, 0.95), 3),
        }


async def run_once(variant: str, carrier: str, sizes: Sizes, rep: int, figures: Figures) -> None:
    fmt = FORMATS[carrier]
    speech = len(packets(caller_speech(sizes.sentence, fmt), fmt))
    sink = Sink(sizes.answer_ms, LEAD_PACKETS + speech + 25)  # the model answers ~500 ms into the pause
    timing = Timing(audio_chunk_ms=CHUNK_MS, audio_pace=1.0)
    model = LocalRealtimeServer(
        model=AnswerModel(),
        timing=timing,
        synthesize=tone(sizes.answer_ms),
        record_timeline=True,
        hearing=None,
    )
    async with model, sink_server(sink):
        if variant == "bridge":
            setup = {
                "mode": variant,
                "model_url": model.url(),
                "api_key": model.api_key,
                "twilio_token": TWILIO_TOKEN,
            }
        else:
            setup = {"mode": variant, "sink_url": sink.url}
        async with App(setup) as app:
            run = Run(variant, carrier, sizes, app, model, sink)
            await run.call("+15550009999")  # warm-up: imports and first-use caches are not per call
            base_rss, base_cpu = app.rss_bytes(), app.cpu_s()
            peak = [base_rss]
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    while True:
                        peak[0] = max(peak[0], app.rss_bytes())
                        await anyio.sleep(0.05)

                tg.start_soon(watch)
                async with anyio.create_task_group() as calls:
                    for n in range(sizes.calls):
                        calls.start_soon(run.call, f"+1555{rep:03d}{n:04d}")
                cpu = app.cpu_s() - base_cpu
                tg.cancel_scope.cancel()
    figures.cpu_ms_per_call.append(cpu * 1000 / sizes.calls)
    figures.rss_kib_per_call.append((peak[0] - base_rss) / 1024 / sizes.calls)
    far = model_logs(model) if variant == "bridge" else sink.logs
    for number, log in run.logs.items():
        if number.endswith("9999"):
            continue
        end = far[number]
        figures.in_ms += [d * 1000 for d in delays(log.caller_sent, end.far_received, skip=LEAD_PACKETS)]
        figures.out_ms += [
            d * 1000 for d in delays(end.far_sent, last_answer(log.caller_heard, end.far_sent))
        ]


async def measure(sizes: Sizes, carriers: Sequence[str] = CARRIERS) -> dict[str, Any]:
    found = {carrier: {variant: Figures() for variant in VARIANTS} for carrier in carriers}
    for rep in range(sizes.reps):
        for carrier in carriers:
            order = VARIANTS if rep % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                with anyio.fail_after(300):
                    await run_once(variant, carrier, sizes, rep, found[carrier][variant])
    result: dict[str, Any] = {"calls": sizes.calls, "reps": sizes.reps, "machine": _machine(), "carriers": {}}
    for carrier in carriers:
        bridge, floor = found[carrier]["bridge"].summary(), found[carrier]["passthrough"].summary()
        result["carriers"][carrier] = {
            "bridge": bridge,
            "passthrough": floor,
            "ratios": {key: round(bridge[key] / floor[key], 2) if floor[key] else None for key in bridge},
        }
    return result


def _machine() -> dict[str, Any]:
    return {"nproc": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)}


LABELS = {
    "cpu_ms_per_call": "app CPU ms per call",
    "rss_kib_per_call": "app memory KiB per call",
    "in_ms_p50": "caller -> model ms p50",
    "in_ms_p95": "caller -> model ms p95",
    "out_ms_p50": "model -> caller ms p50",
    "out_ms_p95": "model -> caller ms p95",
}


def report(figures: dict[str, Any], out: TextIO) -> None:
    print(f"{figures['calls']} concurrent calls, {figures['reps']} repetition(s)", file=out)
    for carrier, found in figures["carriers"].items():
        print(f"{carrier:26}{'bridge':>12}{'passthrough':>13}{'ratio':>8}", file=out)
        for key, label in LABELS.items():
            ratio = found["ratios"][key]
            shown = f"{ratio:.2f}" if ratio is not None else "-"
            print(
                f"  {label:24}{found['bridge'][key]:>12}{found['passthrough'][key]:>13}{shown:>8}", file=out
            )
    print(json.dumps(figures, sort_keys=True), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.phones", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 short calls, one repetition: a smoke run")
    parser.add_argument("--calls", type=int, help="concurrent calls per run (default 10, or 2 with --quick)")
    parser.add_argument(
        "--reps", type=int, help="repetitions, alternating the order (default 2, 1 with --quick)"
    )
    parser.add_argument("--carriers", nargs="+", choices=CARRIERS, default=list(CARRIERS))
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sizes = replace(sizes, calls=args.calls or sizes.calls, reps=args.reps or sizes.reps)
    if sizes.calls < 1 or sizes.reps < 1:
        parser.error("--calls and --reps must be at least 1")
    if not os.path.exists("/proc/self/stat"):
        parser.error("this benchmark reads the app's CPU and memory from /proc (Linux)")
    report(anyio.run(measure, sizes, args.carriers), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
