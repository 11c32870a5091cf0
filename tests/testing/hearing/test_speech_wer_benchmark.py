"""The speech WER benchmark still runs (no rate or timing is asserted here)."""

from __future__ import annotations

import io
import shutil

import pytest

from agentkit.testing.hearing import vocabulary_of
from benchmarks import speech_wer as bench
from examples.customer_service.bot import INSTRUCTIONS
from examples.customer_service.tools import TOOLS


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
def test_one_utterance_is_measured_biased_and_not() -> None:
    out = io.StringIO()
    vocabulary = vocabulary_of(INSTRUCTIONS, [t.definition() for t in TOOLS])
    tallies = bench.measure(["Yes, please go ahead."], ["en-us"], vocabulary, out)
    assert set(tallies) == {"biased", "unbiased", "phone"}
    assert all(tally.words == 4 and len(tally.rows) == 1 for tally in tallies.values())
    text = out.getvalue()
    assert "[en-us] Yes, please go ahead." in text
    assert "biased    overall WER" in text
    assert "unbiased  overall WER" in text


def test_rejects_an_empty_voice_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.run(["--voices", " , "])
    assert "at least one voice" in capsys.readouterr().err
