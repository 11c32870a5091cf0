"""Docstring parsing edge cases (the common styles are covered through schemas)."""

from __future__ import annotations

from agentkit.tools.docstrings import Docstring, parse_docstring


def test_empty_and_plain() -> None:
    assert parse_docstring(None) == Docstring()
    assert parse_docstring("   ") == Docstring()
    assert parse_docstring("One line.") == Docstring("One line.", {})


def test_first_paragraph_only_and_colon_lines_are_not_sections() -> None:
    doc = """Compute the following:
    the sum of two numbers.

    Second paragraph, for humans.
    """
    assert parse_docstring(doc).description == "Compute the following: the sum of two numbers."


def test_google_section_right_after_summary_and_other_sections_ignored() -> None:
    doc = """Summary line.
    Args:
        a: First.
        b (list[int], optional): Second
            over two lines.
    Raises:
        ValueError: never a parameter.
    """
    assert parse_docstring(doc) == Docstring("Summary line.", {"a": "First.", "b": "Second over two lines."})


def test_sphinx_type_fields_are_not_descriptions() -> None:
    doc = """Summary.

    :param a: First.
    :type a: int
    :param str b: Second.
    :raises ValueError: bad.
    """
    assert parse_docstring(doc) == Docstring("Summary.", {"a": "First.", "b": "Second."})


def test_numpy_returns_section_is_not_parameters() -> None:
    doc = """Summary.

    Parameters
    ----------
    a
        First.

    Returns
    -------
    int
        Not a parameter.
    """
    assert parse_docstring(doc) == Docstring("Summary.", {"a": "First."})
