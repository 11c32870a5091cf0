"""`SphinxRecogniser`: offline speech recognition with pocketsphinx (the `speech` extra).

Why pocketsphinx: its wheel carries an English acoustic model, a general language model and a
pronouncing dictionary (about 37 MB), so nothing is downloaded at run time, and it runs on a CPU in
a fraction of real time. Vosk recognises better but fetches its models separately (a download on
first use, or a model folder to ship); Whisper needs torch and its weights. pocketsphinx also takes
a language model built on the fly, which is how we bias it.

Biased (the default), each session's `Vocabulary` plus common caller phrases become a small trigram
model with a dictionary of just those words; decoders are kept per vocabulary (building one takes
about half a second). Unbiased, the bundled general English model is used.
"""

from __future__ import annotations

import functools
import importlib
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from agentkit.audio import resample
from agentkit.testing.hearing.numbers import NUMBER_WORDS
from agentkit.testing.hearing.phrases import GENERAL_PHRASES
from agentkit.testing.hearing.recogniser import INSTALL_HINT
from agentkit.testing.hearing.vocabulary import EMPTY, Vocabulary

_RATE = 16_000
_MIN_SAMPLES = _RATE // 10
"""Less than 100 ms holds no word."""


def _pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"SphinxRecogniser needs pocketsphinx: {INSTALL_HINT}") from exc
    return pocketsphinx


@functools.lru_cache(maxsize=1)
def _pronunciations() -> dict[str, list[str]]:
    """The bundled dictionary: word -> its lines (alternative pronunciations included)."""
    path = Path(_pocketsphinx().get_model_path("en-us/cmudict-en-us.dict"))
    found: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            head = line.split(" ", 1)[0]
            found.setdefault(head.split("(", 1)[0], []).append(line.rstrip("\n"))
    return found


class _Decoder:
    """One decoder, used by one thread at a time, and the same for every utterance: pocketsphinx
    adapts its feature extraction as it listens (the noise floor, the cepstral mean), so each
    utterance starts again from the initial state (otherwise what is heard would depend on what was
    heard before)."""

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.lock = threading.Lock()
        self._initial_mean = decoder.get_cmn()

    def hear(self, pcm16k: bytes) -> str:
        with self.lock:
            self.decoder.reinit_feat()
            self.decoder.set_cmn(self._initial_mean)
            self.decoder.start_utt()
            self.decoder.process_raw(pcm16k, full_utt=True)
            self.decoder.end_utt()
            hypothesis = self.decoder.hyp()
        return str(hypothesis.hypstr) if hypothesis is not None else ""


class SphinxRecogniser:
    """pocketsphinx behind the `Recogniser` seam. `bias=False` uses the general English model.

    Thread-safe; decoders for the latest `max_models` vocabularies are kept.
    """

    def __init__(self, *, bias: bool = True, max_models: int = 8) -> None:
        self.bias = bias
        self._max_models = max(1, max_models)
        self._decoders: OrderedDict[Vocabulary | None, _Decoder] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SphinxRecogniser(bias={self.bias})"

    def transcribe(self, pcm16: bytes, vocabulary: Vocabulary = EMPTY) -> str | None:
        audio = resample(pcm16[: len(pcm16) // 2 * 2], 24_000, _RATE)
        if len(audio) // 2 < _MIN_SAMPLES:
            return None
        heard = self._decoder(vocabulary if self.bias else None).hear(audio)
        return vocabulary.write_back(heard) or None

    def _decoder(self, vocabulary: Vocabulary | None) -> _Decoder:
        with self._lock:
            found = self._decoders.get(vocabulary)
            if found is not None:
                self._decoders.move_to_end(vocabulary)
                return found
            found = _Decoder(_build(vocabulary))
            self._decoders[vocabulary] = found
            while len(self._decoders) > self._max_models:
                self._decoders.popitem(last=False)
            return found


def _build(vocabulary: Vocabulary | None) -> Any:
    ps = _pocketsphinx()
    if vocabulary is None:
        return ps.Decoder(samprate=_RATE, loglevel="FATAL")
    pronunciations = _pronunciations()
    lines = [*GENERAL_PHRASES, *vocabulary.phrases, " ".join(sorted(NUMBER_WORDS | {"and"}))]
    kept = [" ".join(w for w in line.split() if w in pronunciations) for line in lines]
    kept = [line for line in kept if line]
    words = sorted({w for line in kept for w in line.split()})
    model = importlib.import_module("pocketsphinx.lm").ArpaBoLM(text="\n".join(kept), add_start=True)
    model.compute()
    with tempfile.TemporaryDirectory(prefix="agentkit-hearing-") as folder:
        lm_path, dict_path = Path(folder, "domain.lm"), Path(folder, "domain.dict")
        with lm_path.open("w", encoding="utf-8") as out:
            model.write(out)
        dict_path.write_text(
            "".join(line + "\n" for word in words for line in pronunciations[word]), encoding="utf-8"
        )
        return ps.Decoder(
            hmm=ps.get_model_path("en-us/en-us"),
            lm=str(lm_path),
            dict=str(dict_path),
            samprate=_RATE,
            loglevel="FATAL",
        )
