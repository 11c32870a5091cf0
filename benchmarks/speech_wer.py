"""How well the local server hears real speech: word error rate on espeak-ng utterances of the bot's
questions, with the recogniser biased toward the bot's tools and without, side by side in one run.

Run: `python -m benchmarks.speech_wer [--voices en-us,alloy]` (needs espeak-ng and the `speech`
extra). For each utterance and voice it prints what each recogniser heard and its word error rate
(and what the biased one hears of the same speech over a phone line: 8 kHz G.711),
then the overall rate (all edits over all words said) and the time spent recognising, as a share of
the audio's length (the real-time factor). WER counts the transcript as the model sees it: ids
written back in their shape ("A-1001"), numbers as digits.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from agentkit import audio as pcm
from agentkit.testing import audio
from agentkit.testing.hearing import SphinxRecogniser, Vocabulary, vocabulary_of, word_error_rate
from agentkit.testing.hearing.recogniser import INSTALL_HINT, speech_package_installed
from agentkit.testing.speech import SAMPLE_RATE, espeak_speech
from examples.customer_service.bot import INSTRUCTIONS
from examples.customer_service.demo import SCRIPT
from examples.customer_service.tools import TOOLS

UTTERANCES = (
    *SCRIPT,
    "Where is my order A-1003?",
    "Please track order A-1002.",
    "Can you look up order A-1004?",
    "I'd like to talk to a person about my keyboard.",
    "No, thank you. That's all.",
)
"""The demo's customer messages and a few more of the kind the bot is asked."""

DEFAULT_VOICES = ("en-us", "alloy")
"""espeak-ng's default voice and the variant the local server uses for the Realtime voice `alloy`."""


@dataclass
class Tally:
    edits: int = 0
    words: int = 0
    seconds: float = 0.0
    rows: list[tuple[str, float, str]] = field(default_factory=list)

    def add(self, said: str, heard: str, seconds: float) -> float:
        rate, edits, words = word_error_rate(said, heard)
        self.edits += edits
        self.words += words
        self.seconds += seconds
        self.rows.append((said, rate, heard))
        return rate

    @property
    def rate(self) -> float:
        return self.edits / self.words if self.words else 0.0


def over_the_phone(speech: bytes) -> bytes:
    """`speech` as the local server hears it from a phone caller: 8 kHz G.711 mu-law, decoded."""
    return audio.decode(pcm.pcm16_to_ulaw(pcm.from_24k(speech, pcm.G711_RATE)), "g711_ulaw")


def measure(
    utterances: Sequence[str], voices: Sequence[str], vocabulary: Vocabulary, out: TextIO = sys.stdout
) -> dict[str, Tally]:
    """Recognise every utterance in every voice, biased and not, and biased over a phone line; print
    per utterance; return the tallies."""
    biased, unbiased = SphinxRecogniser(bias=True), SphinxRecogniser(bias=False)
    runs: dict[str, tuple[SphinxRecogniser, Callable[[bytes], bytes]]] = {
        "biased": (biased, lambda speech: speech),
        "unbiased": (unbiased, lambda speech: speech),
        "phone": (biased, over_the_phone),
    }
    for recogniser in (biased, unbiased):  # build both decoders before timing anything
        recogniser.transcribe(bytes(SAMPLE_RATE), vocabulary)
    tallies = {name: Tally() for name in runs}
    audio_seconds = 0.0
    for voice in voices:
        for said in utterances:
            speech = espeak_speech(said, voice=None if voice == "en-us" else voice)
            if not speech:
                raise RuntimeError(f"espeak-ng produced no audio for {said!r}")
            audio_seconds += len(speech) / 2 / SAMPLE_RATE
            print(f"[{voice}] {said}", file=out)
            for name, (recogniser, line) in runs.items():
                heard_audio = line(speech)
                started = time.perf_counter()
                heard = recogniser.transcribe(heard_audio, vocabulary) or ""
                rate = tallies[name].add(said, heard, time.perf_counter() - started)
                print(f"    {name:<9} WER {rate:5.2f}  {heard}", file=out)
    print(file=out)
    for name, tally in tallies.items():
        print(
            f"{name:<9} overall WER {tally.rate:.3f} ({tally.edits} edits / {tally.words} words),"
            f" real-time factor {tally.seconds / audio_seconds:.3f}",
            file=out,
        )
    if tallies["unbiased"].edits:
        print(
            f"biasing removes {1 - tallies['biased'].edits / tallies['unbiased'].edits:.0%} of the errors"
            f" ({len(utterances)} utterances x {len(voices)} voices)",
            file=out,
        )
    return tallies


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speech_wer", description=__doc__)
    parser.add_argument(
        "--voices",
        default=",".join(DEFAULT_VOICES),
        help="comma-separated: en-us (espeak-ng's default) or Realtime voice names (alloy, ash, ...)",
    )
    args = parser.parse_args(argv)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    if not voices:
        parser.error("--voices needs at least one voice")
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    if not speech_package_installed():
        print(f"the speech recogniser is not installed: {INSTALL_HINT}", file=sys.stderr)
        return 2
    vocabulary = vocabulary_of(INSTRUCTIONS, [t.definition() for t in TOOLS])
    measure(UTTERANCES, voices, vocabulary)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
