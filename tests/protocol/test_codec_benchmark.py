"""The codec benchmark still runs and reports both frame kinds (no timing is asserted here)."""

from __future__ import annotations

import pytest

from benchmarks import codec as bench


def test_benchmark_prints_a_row_per_frame_kind(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--events", "30", "--rounds", "2"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith(("text delta", "audio delta"))]
    assert len(rows) == 2
    assert all(line.rstrip().endswith("x") for line in rows)


def test_benchmark_rejects_nonsense_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--events", "0"])
    assert "must be positive" in capsys.readouterr().err
