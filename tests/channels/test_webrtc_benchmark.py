"""The WebRTC benchmark still runs and reports every figure (no timing is asserted: only that the
relay carries far fewer bytes when the audio goes straight between caller and model, and that the
guard's attack was dealt with every time)."""

from __future__ import annotations

import io
import json

import pytest

from benchmarks import webrtc as bench

pytestmark = pytest.mark.anyio


async def test_the_webrtc_benchmark_prints_one_json_line_with_the_ratios() -> None:
    figures = await bench.measure(callers=1, reps=2, injections=2)
    out = io.StringIO()
    bench.report(figures, out)
    line = json.loads(out.getvalue().splitlines()[-1])
    ratios = {
        "bytes_webrtc_over_websocket",
        "cpu_webrtc_over_websocket",
        "tool_round_sideband_over_websocket",
    }
    assert set(line["ratios"]) == ratios
    assert set(line["ratio_range"]) == ratios
    for mode in ("websocket", "webrtc"):
        assert line[mode]["tool_round_ms"] > 0
        assert line[mode]["bytes_per_caller"] > 0
        assert line[mode]["cpu_ms_per_caller"] > 0  # the relay thread's own clock moved
    assert line["ratios"]["bytes_webrtc_over_websocket"] < 0.2  # no audio through the relay
    low, high = line["ratio_range"]["bytes_webrtc_over_websocket"]
    assert low <= line["ratios"]["bytes_webrtc_over_websocket"] <= high
    for timing in ("instant", "realistic"):
        guard = line["guard"][timing]
        assert guard["rogue_responses"] == 2
        assert guard["item_lifetime_ms"]["max"] > 0
