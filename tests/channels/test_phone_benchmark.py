"""The phone benchmark still runs and reports every figure (no timing is asserted: only that each
direction of each app was measured, per call, and the ratios are there)."""

from __future__ import annotations

import io
import json

import pytest

from benchmarks import phones as bench

pytestmark = pytest.mark.anyio
pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")


async def test_the_phone_benchmark_prints_one_json_line_with_the_ratios() -> None:
    sizes = bench.Sizes(calls=1, reps=1, sentence="Hello there.", answer_ms=400)
    figures = await bench.measure(sizes, carriers=("twilio",))
    out = io.StringIO()
    bench.report(figures, out)
    line = json.loads(out.getvalue().splitlines()[-1])
    found = line["carriers"]["twilio"]
    assert set(found["ratios"]) == set(bench.LABELS)
    for variant in ("bridge", "passthrough"):
        for key in ("in_ms_p50", "out_ms_p50"):
            assert 0 < found[variant][key] < 1000, (variant, key)
        assert found[variant]["cpu_ms_per_call"] >= 0


def test_the_far_end_may_cut_the_audio_differently() -> None:
    sent = [(0.0, 800), (1.0, 800)]
    arrived = [(0.5, 400), (0.6, 400), (1.2, 800)]
    assert bench.delays(sent, arrived) == [0.6, pytest.approx(0.2)]
    # Frames of an answer cut short come first: only the last answer's bytes are matched.
    assert bench.last_answer([(0.1, 800), *arrived], sent) == arrived
