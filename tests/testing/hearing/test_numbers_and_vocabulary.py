"""Numbers said aloud, ids written back in their shape, and a session's vocabulary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit.testing.hearing.numbers import NUMBER_WORDS, cardinal_words, spoken_forms, to_digits
from agentkit.testing.hearing.vocabulary import (
    IdShape,
    Vocabulary,
    shape_from_pattern,
    vocabulary_of,
    words_of,
)
from agentkit.testing.hearing.wer import word_error_rate

ORDER_TOOL = {
    "type": "function",
    "name": "track_shipment",
    "description": "Track an order's shipment.",
    "parameters": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": r"^A-\d{4}$", "description": "The order id."},
            "speed": {"type": "string", "enum": ["express", "standard"]},
        },
        "required": ["order_id"],
    },
}


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("one thousand and one", ["1001"]),
        ("one thousand one", ["1001"]),
        ("ten oh one", ["1001"]),
        ("one zero zero two", ["1002"]),
        ("zero zero forty two", ["0042"]),
        ("two hundred and five", ["205"]),
        ("twenty twenty four", ["2024"]),
    ],
)
def test_runs_of_number_words_become_digits(said: str, digits: list[str]) -> None:
    assert to_digits(said.split()) == digits


def test_a_lone_one_and_and_outside_a_number_stay_words() -> None:
    assert to_digits(["that", "one", "and", "two", "more"]) == ["that", "one", "and", "2", "more"]
    assert to_digits(["oh", "i", "see"]) == ["oh", "i", "see"]


def test_spoken_forms_read_back_to_the_same_digits() -> None:
    for digits in ("1001", "1010", "2024", "0042", "7", "120000"):
        forms = spoken_forms(digits)
        assert forms, digits
        for form in forms:
            assert to_digits(form) == [digits], (digits, form)
    assert cardinal_words(1001) == ["one", "thousand", "and", "one"]
    with pytest.raises(ValueError, match="digit string"):
        spoken_forms("A1")


def test_id_shapes_come_from_patterns_and_examples() -> None:
    assert shape_from_pattern(r"^A-\d{4}$") == IdShape("A-1001")
    assert shape_from_pattern(r"[A-Z]{2}-[0-9]{3}") == IdShape("AA-101")
    assert shape_from_pattern(r"^(A|B)-\d+$") is None, "alternation is not a simple shape"
    assert shape_from_pattern(r"^[a-z]+$") is None, "no digits: not an id"
    shape = IdShape("T-0042")
    assert shape.spoken("T-0042")[0] == ["t", "zero", "zero", "four", "two"]


def test_a_vocabulary_writes_ids_back_in_their_shape() -> None:
    vocabulary = vocabulary_of("Order ids look like A-1001.", [ORDER_TOOL])
    assert [shape.example for shape in vocabulary.ids] == ["A-1001"]
    heard = "please track a one thousand and three and a ten oh four"
    assert vocabulary.write_back(heard) == "please track A-1003 and A-1004"
    assert vocabulary.write_back("a one hundred and two") == "a 102", "three digits are not this id"


def test_a_vocabulary_holds_the_tools_words_enum_values_and_ids_said_aloud() -> None:
    vocabulary = vocabulary_of(None, [ORDER_TOOL])
    assert {"track", "shipment", "express", "standard"} <= vocabulary.words
    assert "track shipment for a one thousand and one" in vocabulary.phrases
    assert "a one thousand and five" in vocabulary.phrases
    assert vocabulary_of(None, [ORDER_TOOL]) is vocabulary, "cached per instructions and tools"
    assert vocabulary_of(None, None).phrases == ()


def test_words_of_says_ids_and_numbers() -> None:
    shapes = [IdShape("A-1001")]
    assert words_of("Refund A-1002 in 3 days, trackShipment", shapes) == (
        "refund a one thousand and two in three days track shipment"
    )


def test_word_error_rate() -> None:
    assert word_error_rate("Where is order A-1001?", "where is order A-1001") == (0.0, 0, 4)
    assert word_error_rate("yes please go ahead", "yes we go") == (0.5, 2, 4)
    assert word_error_rate("", "") == (0.0, 0, 0)
    assert word_error_rate("", "noise")[0] == 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=2, max_size=6))
def test_every_way_of_saying_digits_reads_back_to_them(digits: str) -> None:
    for form in spoken_forms(digits):
        assert to_digits(form) == [digits], form


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Z]{1,2}-[0-9]{1,5}", fullmatch=True))
def test_every_way_of_saying_an_id_is_written_back_in_its_shape(value: str) -> None:
    shape = IdShape(value)
    vocabulary = Vocabulary(ids=(shape,))
    for form in shape.spoken(value):
        assert vocabulary.write_back(" ".join(["order", *form, "please"])) == f"order {value} please", form


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*sorted(NUMBER_WORDS), "and", "a", "order"]), max_size=12))
def test_any_run_of_words_turns_into_digits_without_failing(words: list[str]) -> None:
    out = to_digits(words)
    assert len(out) <= len(words)
    assert all(token.isdigit() or token in words for token in out)
    Vocabulary(ids=(IdShape("A-1001"),)).write_back(" ".join(words))
