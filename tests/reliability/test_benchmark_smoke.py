"""The benchmark code runs (tiny sizes), so it cannot rot between full runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_quick_benchmark_prints_one_json_line_with_every_scenario() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["scenarios"]) == set(SCENARIOS)
    assert result["machine"]["nproc"] >= 1
    for scenario in ("tool_round", "parallel_calls", "early_start", "throughput"):
        assert result["scenarios"][scenario]["agentkit"], scenario
        assert result["scenarios"][scenario]["raw"], scenario
    assert result["scenarios"]["tool_round"]["agentkit"]["samples"] >= 1
    assert result["scenarios"]["parallel_calls"]["agentkit"]["follow_ups_per_round"] == 1
    crowd = result["scenarios"]["many_sessions"]["5"]["agentkit"]
    assert crowd["rounds"] == 11  # + 1 warm-up
    assert crowd["cpu_s"] > 0
    assert crowd["open_close_us"] > 0
    assert crowd["gc_pct"] is not None
    assert crowd["gc_longest_ms"] >= 0
    assert crowd["idle_kib_per_session"] is not None
    assert "agentkit" not in result["failures"].get("tool_round", {})
