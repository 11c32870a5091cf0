"""The scale-out benchmark still runs (tiny sizes; no rate or timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.redis_server import require_redis_server

pytestmark = pytest.mark.slow


def test_the_scale_out_benchmark_prints_one_json_line_with_every_figure() -> None:
    require_redis_server()
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_out", "--quick"], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(figures["instances"]) == {"1"}
    for run_figures in figures["instances"].values():
        assert run_figures["setups_per_s"] > 0
        assert run_figures["rounds_per_s"] > 0
        assert run_figures["redis_commands_per_round"] > 0
    assert figures["memory_rounds_per_s"] > 0
