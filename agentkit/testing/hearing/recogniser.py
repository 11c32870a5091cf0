"""The seam between the local server and a speech recogniser."""

from __future__ import annotations

import functools
import importlib.util
from typing import Protocol

from agentkit.testing.hearing.vocabulary import Vocabulary

INSTALL_HINT = "pip install 'agentkit[speech]' (pocketsphinx, whose English model ships in its wheel)"


class Recogniser(Protocol):
    """Speech to text: PCM16, 24 kHz, mono in; the words heard (None for none) out.

    `vocabulary` is the session's domain (tool names, enum values, id shapes), for recognisers that
    can be biased toward it; write ids back in their shape (`Vocabulary.write_back`). Blocking: the
    local server calls it from a worker thread.
    """

    def transcribe(self, pcm16: bytes, vocabulary: Vocabulary) -> str | None: ...


def speech_package_installed() -> bool:
    """Whether pocketsphinx (the `speech` extra) can be imported."""
    return importlib.util.find_spec("pocketsphinx") is not None


@functools.lru_cache(maxsize=1)
def default_recogniser() -> Recogniser | None:
    """pocketsphinx, biased toward each session's vocabulary, when installed; else None.

    One per process, so servers share its decoders (each takes a moment to build)."""
    if not speech_package_installed():
        return None
    from agentkit.testing.hearing.sphinx import SphinxRecogniser

    return SphinxRecogniser()
