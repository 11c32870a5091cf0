"""The turnaround benchmark still runs (no timing is asserted here)."""

from __future__ import annotations

import anyio
import pytest

from agentkit.connection import RealtimeConnection
from agentkit.tracing import TracingObserver
from benchmarks import turnaround as bench


@pytest.mark.anyio
async def test_overhead_rounds_give_one_sample_each_and_restore_the_connection() -> None:
    original = RealtimeConnection.send
    with anyio.fail_after(20), bench.timing_response_creates():
        samples = await bench.overhead(3)
    assert len(samples) == 3
    assert all(sample > 0 for sample in samples), "the follow-up goes out after the output is ready"
    assert RealtimeConnection.send is original


@pytest.mark.anyio
async def test_tracing_without_an_sdk_is_measured_with_spans_that_never_record() -> None:
    observer = bench.api_only_observer()
    assert isinstance(observer, TracingObserver)
    assert not observer._tracer.start_span("probe").is_recording()
    with anyio.fail_after(20), bench.timing_response_creates():
        samples = await bench.overhead(2, observer)
    assert len(samples) == 2


def test_rejects_nonsense_rounds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.run(["--rounds", "0"])
    assert "must be positive" in capsys.readouterr().err
