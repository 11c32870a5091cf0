"""The WebRTC benchmark still runs and reports every figure (no timing is asserted: only that the
server carries far fewer bytes when the audio goes straight between caller and model)."""

from __future__ import annotations

import io
import json

import pytest

from benchmarks import webrtc as bench

pytestmark = pytest.mark.anyio


async def test_the_webrtc_benchmark_prints_one_json_line_with_the_ratios() -> None:
    figures = await bench.measure(callers=1, reps=1)
    out = io.StringIO()
    bench.report(figures, out)
    line = json.loads(out.getvalue().splitlines()[-1])
    assert set(line["ratios"]) == {
        "bytes_webrtc_over_websocket",
        "cpu_webrtc_over_websocket",
        "tool_round_sideband_over_websocket",
    }
    for mode in ("websocket", "webrtc"):
        assert line[mode]["tool_round_ms"] > 0
        assert line[mode]["bytes_per_caller"] > 0
    assert line["ratios"]["bytes_webrtc_over_websocket"] < 0.2  # no audio through the server
