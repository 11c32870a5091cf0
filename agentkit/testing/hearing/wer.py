"""Word error rate: how far a transcript is from what was said, in words."""

from __future__ import annotations

import re


def normalise(text: str) -> list[str]:
    """Lower-case words; ids like A-1001 and apostrophes kept, other punctuation dropped."""
    return re.findall(r"[a-z0-9]+(?:[-'_][a-z0-9]+)*", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> tuple[float, int, int]:
    """(substitutions + deletions + insertions) / words said, with the edit count and the word count.

    Both texts are normalised first (case and punctuation do not count). An empty reference gives
    0.0 for an empty hypothesis and 1.0 otherwise.
    """
    said, heard = normalise(reference), normalise(hypothesis)
    previous = list(range(len(heard) + 1))
    for i, word in enumerate(said, 1):
        current = [i]
        for j, other in enumerate(heard, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    edits = previous[-1]
    if not said:
        return (0.0 if not heard else 1.0), edits, 0
    return edits / len(said), edits, len(said)
