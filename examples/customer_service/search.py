"""FAQ search: FTS5 with BM25 ranking when the build has it, a term-counting LIKE search otherwise."""

from __future__ import annotations

import re
import sqlite3

_WORD = re.compile(r"\w+", re.UNICODE)

# Words too common to say anything about which FAQ entry is meant.
_STOPWORD_TEXT = (
    "a an and are can do does for how i in is it me my of on or the to what when where why with you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def search_terms(query: str) -> list[str]:
    """The query's distinct words, lower-cased, minus stop words (unless that leaves nothing)."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    meaningful = [word for word in words if word not in _STOPWORDS]
    return meaningful or words


def search_faq(
    conn: sqlite3.Connection, terms: list[str], *, full_text: bool, limit: int = 3
) -> list[sqlite3.Row]:
    """The ``limit`` best FAQ rows (``id``, ``question``, ``answer``) matching any of ``terms``."""
    if not terms:
        return []
    if full_text:
        # Each term is quoted so user text can never be parsed as FTS5 query syntax.
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return conn.execute(
            "SELECT faq.id, faq.question, faq.answer FROM faq_fts JOIN faq ON faq.id = faq_fts.rowid"
            " WHERE faq_fts MATCH ? ORDER BY bm25(faq_fts, 2.0, 1.0) LIMIT ?",
            (match, limit),
        ).fetchall()
    # Fallback (the SQL text is built from a fixed template; every value is a parameter).
    # Score = number of terms found, question matches counting double.
    score = " + ".join(["(question LIKE ? ESCAPE '\\') * 2 + (answer LIKE ? ESCAPE '\\')"] * len(terms))
    patterns = [pattern for term in terms for pattern in [_like(_stem(term))] * 2]
    return conn.execute(
        f"SELECT id, question, answer FROM (SELECT *, {score} AS score FROM faq)"
        " WHERE score > 0 ORDER BY score DESC, id LIMIT ?",
        (*patterns, limit),
    ).fetchall()


def _stem(word: str) -> str:
    """Strip a common English suffix so "refunds" and "refunded" also find "refund"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
