"""Offline speech recognition for the local server, behind a small seam (`Recogniser`).

The local server hears speech made with `spoken()` exactly (a fingerprint, no recognition); any
other audio (a person at the voice page, a simulated caller's espeak-ng speech) goes to a
`Recogniser`. The default is pocketsphinx (the `speech` extra), biased toward the session's
vocabulary: a small language model trained on the agent's instructions, tool names, descriptions,
enum values and ids said aloud, so "a one thousand and one" comes back as "A-1001".
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.testing.hearing.recogniser import Recogniser as Recogniser
    from agentkit.testing.hearing.recogniser import default_recogniser as default_recogniser
    from agentkit.testing.hearing.sphinx import SphinxRecogniser as SphinxRecogniser
    from agentkit.testing.hearing.vocabulary import IdShape as IdShape
    from agentkit.testing.hearing.vocabulary import Vocabulary as Vocabulary
    from agentkit.testing.hearing.vocabulary import vocabulary_of as vocabulary_of
    from agentkit.testing.hearing.wer import word_error_rate as word_error_rate

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "recogniser": ("Recogniser", "default_recogniser"),
        "sphinx": ("SphinxRecogniser",),
        "vocabulary": ("IdShape", "Vocabulary", "vocabulary_of"),
        "wer": ("word_error_rate",),
    },
)
