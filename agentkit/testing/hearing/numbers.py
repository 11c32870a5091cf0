"""Numbers between words and digits, both ways, as people (and espeak-ng) say them.

A recogniser writes "a one thousand and one"; a tool wants "A-1001". `to_digits` turns runs of
number words into digit strings ("one thousand and one" -> "1001", "ten oh one" -> "1001",
"zero zero forty two" -> "0042"); `spoken_forms` goes the other way, for the language model's
training text, in the styles a caller uses (as a number, digit by digit, in pairs).
"""

from __future__ import annotations

_UNITS = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TEENS) | frozenset(_TENS) | frozenset(_SCALES)
_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_LONE_WORDS = frozenset({"one", "oh"})
"""Said alone, these are usually not numbers ("that one", "oh, I see")."""


def digit_of(word: str) -> str | None:
    """The digit a single number word stands for ("oh" is 0), or None."""
    value = _UNITS.get(word)
    return None if value is None else str(value)


def _is_number(word: str) -> bool:
    return word in NUMBER_WORDS


def _cardinal(words: list[str]) -> int:
    """The value of a cardinal like "two thousand three hundred and five" ("and" already removed)."""
    total = current = 0
    for word in words:
        if word in _SCALES:
            scale = _SCALES[word]
            if scale == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * scale
                current = 0
        else:
            current += _UNITS.get(word, _TEENS.get(word, _TENS.get(word, 0)))
    return total + current


def _groups(words: list[str]) -> str:
    """Digits said one or two at a time: "ten oh one" -> "1001", "zero zero forty two" -> "0042"."""
    out: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in _TENS:
            value = _TENS[word]
            if index + 1 < len(words) and words[index + 1] in _UNITS and _UNITS[words[index + 1]]:
                value += _UNITS[words[index + 1]]
                index += 1
            out.append(str(value))
        elif word in _TEENS:
            out.append(str(_TEENS[word]))
        else:
            out.append(str(_UNITS[word]))
        index += 1
    return "".join(out)


def run_to_digits(words: list[str]) -> str:
    """The digit string a run of number words (without "and") stands for."""
    if any(word in _SCALES for word in words):
        return str(_cardinal(words))
    return _groups(words)


def to_digits(tokens: list[str]) -> list[str]:
    """`tokens` (lower-case words) with each run of number words replaced by its digits.

    "and" joins a run only after "hundred" or "thousand" ("one thousand and one"); a lone "one" or
    "oh" stays a word.
    """
    out: list[str] = []
    index = 0
    while index < len(tokens):
        if not _is_number(tokens[index]):
            out.append(tokens[index])
            index += 1
            continue
        run: list[str] = []
        while index < len(tokens):
            word = tokens[index]
            if _is_number(word):
                run.append(word)
                index += 1
            elif (
                word == "and"
                and run
                and run[-1] in _SCALES
                and index + 1 < len(tokens)
                and _is_number(tokens[index + 1])
                and tokens[index + 1] not in _SCALES
            ):
                index += 1
            else:
                break
        if len(run) == 1 and run[0] in _LONE_WORDS:
            out.append(run[0])
        else:
            out.append(run_to_digits(run))
    return out


def _below_thousand(value: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(value, 100)
    if hundreds:
        words += [_DIGIT_NAMES[hundreds], "hundred"]
        if rest:
            words.append("and")
    if rest >= 20:
        tens, unit = divmod(rest, 10)
        words.append(next(name for name, v in _TENS.items() if v == tens * 10))
        if unit:
            words.append(_DIGIT_NAMES[unit])
    elif rest >= 10:
        words.append(next(name for name, v in _TEENS.items() if v == rest))
    elif rest or not words:
        words.append(_DIGIT_NAMES[rest])
    return words


def cardinal_words(value: int) -> list[str]:
    """`value` (0 to 999,999) as words: 1001 -> one thousand and one."""
    if not 0 <= value < 1_000_000:
        raise ValueError(f"only 0 to 999999 can be said as a cardinal here, not {value}")
    thousands, rest = divmod(value, 1000)
    words: list[str] = []
    if thousands:
        words += [*_below_thousand(thousands), "thousand"]
        if rest and rest < 100:
            words.append("and")
    if rest or not words:
        words += _below_thousand(rest)
    return words


def spoken_forms(digits: str) -> list[list[str]]:
    """The ways a caller says a digit string: as a number (when it has no leading zero), digit by
    digit (with "zero" or "oh"), and for four digits in two pairs ("ten oh one")."""
    if not digits.isdigit():
        raise ValueError(f"not a digit string: {digits!r}")
    forms: list[list[str]] = []
    if len(digits) <= 6 and (digits[0] != "0" or digits == "0"):
        forms.append(cardinal_words(int(digits)))
    forms.append([_DIGIT_NAMES[int(d)] for d in digits])
    forms.append(["oh" if d == "0" else _DIGIT_NAMES[int(d)] for d in digits])
    if len(digits) == 4 and digits[0] != "0" and digits[2] != "0":
        forms.append(cardinal_words(int(digits[:2])) + cardinal_words(int(digits[2:])))
    elif len(digits) == 4 and digits[0] != "0" and digits[3] != "0":
        forms.append([*cardinal_words(int(digits[:2])), "oh", _DIGIT_NAMES[int(digits[3])]])
    unique: list[list[str]] = []
    for form in forms:
        if form not in unique:
            unique.append(form)
    return unique
