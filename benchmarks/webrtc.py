"""What WebRTC + sideband saves the server, against the WebSocket relay, side by side in one run.

Run: `python -m benchmarks.webrtc [--callers N] [--reps N]`. Each caller asks one spoken question
that takes a tool round (a tool call, then the spoken answer), concurrently, on agentkit's local
server, in two modes:

- `websocket`: a browser stand-in sends its microphone audio through a `Relay` (WebSocket), which
  carries it to the model and carries the answer's audio back;
- `webrtc`: the browser's offer goes through `WebRTCCalls`, the call's audio stays between the
  caller and the model (here inside the local server), and the server holds only the sideband.

Per caller: bytes carried by the server (both legs of the relay; the sideband and the offer/answer
for WebRTC), this process's CPU seconds (`time.process_time()`, which here includes the local server
and the callers in both modes: compare the two, not the absolute figure), and the tool round as the
model service saw it (arguments done -> the follow-up `response.create`). Prints a table, then ONE
JSON line with every figure and the ratios. Timings are medians over callers and repetitions.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import anyio
from websockets.asyncio.client import connect

from agentkit import Agent, tool
from agentkit.channels.webrtc import WebRTCCalls
from agentkit.protocol import Codec, Dialect, FunctionCallOutputItem, ResponseDone
from agentkit.relay import Relay, RelayServer
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say, spoken
from agentkit.testing.connection import ServerConnection
from agentkit.testing.speech import silence

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=mid:0",
        "a=sendrecv",
        "",
    ]
)
CHUNK_BYTES = 4800  # 100 ms of PCM16 at 24 kHz, as a browser page sends it


@tool
def track_order(order_id: str) -> str:
    """Where an order is.

    Args:
        order_id: The order number.
    """
    return f"{order_id} is with the courier, arriving tomorrow"


class OneToolRound:
    """Every caller's question: call the tool, then say the answer (stateless, so callers can overlap)."""

    def respond(self, context: ModelContext) -> list[Any]:
        if context.items and isinstance(context.items[-1], FunctionCallOutputItem):
            return [Say("Your order is with the courier and arrives tomorrow.")]
        return [Call("track_order", {"order_id": "A-7"})]


@dataclass
class Figures:
    bytes_per_caller: list[float] = field(default_factory=list)
    cpu_per_caller: list[float] = field(default_factory=list)
    tool_round_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "bytes_per_caller": statistics.median(self.bytes_per_caller),
            "cpu_ms_per_caller": statistics.median(self.cpu_per_caller) * 1000,
            "tool_round_ms": statistics.median(self.tool_round_ms),
        }


def make_agent() -> Agent:
    return Agent("shop", "You help shop customers.", tools=[track_order], turn_detection="server_vad")


def tool_round_ms(connection: ServerConnection) -> float | None:
    """Arguments done (sent) -> the follow-up response.create (received), from the server's timeline."""
    timeline = connection.timeline or []
    done = next((t for t, way, kind in timeline if way == "sent" and kind.endswith("arguments.done")), None)
    if done is None:
        return None
    create = next(
        (t for t, way, kind in timeline if way == "received" and kind == "response.create" and t > done), None
    )
    return None if create is None else (create - done) * 1000


def wire_bytes(connection: ServerConnection) -> int:
    codec = Codec(Dialect.GA)
    received = sum(len(codec.encode_client_event(event)) for event in connection.received)
    sent = sum(len(codec.encode_server_event(event)) for event in connection.sent)
    return received + sent


async def websocket_caller(relay_server: RelayServer, question: bytes) -> int:
    """A browser page on the relay: microphone audio up, events (with the answer's audio) down."""
    carried = 0
    done = 0
    async with connect(relay_server.ws_url, max_size=None) as websocket:
        for start in range(0, len(question), CHUNK_BYTES):
            chunk = base64.b64encode(question[start : start + CHUNK_BYTES]).decode()
            frame = json.dumps({"type": "input_audio_buffer.append", "audio": chunk})
            carried += len(frame)
            await websocket.send(frame)
        async for message in websocket:
            carried += len(message)
            if json.loads(message).get("type") == "response.done":
                done += 1
                if done == 2:  # the tool round, then the answer
                    break
    return carried


async def run_websocket(callers: int, question: bytes, figures: Figures) -> None:
    async with LocalRealtimeServer(model=OneToolRound(), record_timeline=True) as server:
        relay = Relay(make_agent(), server.endpoint())
        async with RelayServer(relay) as relay_server:
            carried: list[int] = []
            started = time.process_time()
            async with anyio.create_task_group() as tg:
                for _ in range(callers):
                    tg.start_soon(lambda: _append(carried, websocket_caller(relay_server, question)))
            cpu = time.process_time() - started
        upstream = sum(wire_bytes(connection) for connection in server.connections)
        figures.bytes_per_caller.append((sum(carried) + upstream) / callers)  # both legs of the relay
        for connection in server.connections:
            measured = tool_round_ms(connection)
            if measured is not None:
                figures.tool_round_ms.append(measured)
        figures.cpu_per_caller.append(cpu / callers)


async def _append(out: list[int], value: Any) -> None:
    out.append(await value)


async def webrtc_caller(calls: WebRTCCalls, server: LocalRealtimeServer, question: bytes) -> int:
    answer = await calls.answer(OFFER)
    call = server.calls[answer.call_id]
    await call.hear(question)  # the microphone: media straight to the model, not through the server
    await call.peer.wait_for(ResponseDone, count=2)
    sideband = sum(len(f) for s in call.sidebands for f in (*s.frames_in, *s.frames_out))
    return sideband + len(OFFER) + len(answer.sdp)


async def run_webrtc(callers: int, question: bytes, figures: Figures) -> None:
    async with (
        LocalRealtimeServer(model=OneToolRound(), record_timeline=True) as server,
        WebRTCCalls(make_agent(), server.endpoint()) as calls,
    ):
        carried: list[int] = []
        started = time.process_time()
        async with anyio.create_task_group() as tg:
            for _ in range(callers):
                tg.start_soon(lambda: _append(carried, webrtc_caller(calls, server, question)))
        cpu = time.process_time() - started
        for call in server.calls.values():
            measured = tool_round_ms(call.connection)
            if measured is not None:
                figures.tool_round_ms.append(measured)
            await call.hang_up()
    figures.bytes_per_caller.extend(carried)
    figures.cpu_per_caller.append(cpu / callers)


async def measure(callers: int, reps: int) -> dict[str, Any]:
    question = silence(300) + spoken("Where is my order A-7?") + silence(1200)
    results = {"websocket": Figures(), "webrtc": Figures()}
    for rep in range(reps):
        order = ("websocket", "webrtc") if rep % 2 == 0 else ("webrtc", "websocket")
        for mode in order:
            runner = run_websocket if mode == "websocket" else run_webrtc
            with anyio.fail_after(120):
                await runner(callers, question, results[mode])
    ws, rtc = results["websocket"].summary(), results["webrtc"].summary()
    return {
        "callers": callers,
        "reps": reps,
        "websocket": ws,
        "webrtc": rtc,
        "ratios": {
            "bytes_webrtc_over_websocket": rtc["bytes_per_caller"] / ws["bytes_per_caller"],
            "cpu_webrtc_over_websocket": rtc["cpu_ms_per_caller"] / ws["cpu_ms_per_caller"],
            "tool_round_sideband_over_websocket": rtc["tool_round_ms"] / ws["tool_round_ms"],
        },
    }


def report(figures: dict[str, Any], out: TextIO) -> None:
    print(f"{figures['callers']} concurrent callers, {figures['reps']} repetition(s), medians", file=out)
    print(f"{'':24}{'websocket relay':>18}{'webrtc + sideband':>20}{'ratio':>10}", file=out)
    rows = [
        ("bytes per caller", "bytes_per_caller", "bytes_webrtc_over_websocket", "{:,.0f}"),
        ("CPU ms per caller", "cpu_ms_per_caller", "cpu_webrtc_over_websocket", "{:.1f}"),
        ("tool round ms", "tool_round_ms", "tool_round_sideband_over_websocket", "{:.2f}"),
    ]
    for label, key, ratio, fmt in rows:
        ws = fmt.format(figures["websocket"][key])
        rtc = fmt.format(figures["webrtc"][key])
        print(f"{label:24}{ws:>18}{rtc:>20}{figures['ratios'][ratio]:>10.3f}", file=out)
    print(json.dumps(figures, sort_keys=True), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webrtc", description=__doc__)
    parser.add_argument("--callers", type=int, default=4, help="concurrent callers per mode (default 4)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions, alternating the order (default 3)")
    args = parser.parse_args(argv)
    if args.callers < 1 or args.reps < 1:
        parser.error("--callers and --reps must be at least 1")
    report(anyio.run(measure, args.callers, args.reps), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
