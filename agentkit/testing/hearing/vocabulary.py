"""What an agent's callers are likely to say, read from its session: the domain a recogniser is
biased toward.

The local server knows the session's instructions and tool schemas. From them come the words of the
domain (tool names split into words, descriptions, parameter names, enum values), requests shaped
like the tools ("can you track shipment for a one thousand and one"), and the shapes of ids
(the schema's `pattern`, or an example in a description such as "like A-1001"), said the ways a
caller says them, so "a one thousand and one" can be written back as "A-1001".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agentkit.testing.hearing.numbers import cardinal_words, digit_of, spoken_forms, to_digits

_ID_TOKEN = re.compile(r"#?[A-Za-z]+(?:[-_][A-Za-z0-9]+)*[-_]?\d+(?:[-_][A-Za-z0-9]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?;:\n()]+|,\s")
_SAMPLES_PER_SHAPE = 12


@dataclass(frozen=True)
class IdShape:
    """How an id is built, from an example: "A-1001" is the letters "A", a dash, four digits."""

    example: str

    @property
    def segments(self) -> tuple[str, ...]:
        """The example in runs of letters, of digits, and single separators."""
        return tuple(re.findall(r"[A-Za-z]+|\d+|.", self.example))

    @property
    def upper(self) -> bool:
        letters = "".join(c for c in self.example if c.isalpha())
        return letters.isupper()

    def regex(self) -> re.Pattern[str]:
        return re.compile("".join(_segment_regex(s) for s in self.segments))

    def samples(self) -> list[str]:
        """The example and a few more ids of the same shape (for training text)."""
        found = [self.example]
        digit_runs = [s for s in self.segments if s.isdigit()]
        if len(digit_runs) != 1:
            return found
        width = len(digit_runs[0])
        base = 10 ** (width - 1) if width > 1 else 0
        for number in range(base + 1, base + _SAMPLES_PER_SHAPE + 1):
            digits = str(number).zfill(width)[-width:]
            found.append("".join(digits if s.isdigit() else s for s in self.segments))
        return list(dict.fromkeys(found))

    def spoken(self, value: str) -> list[list[str]]:
        """The ways a caller says `value` (an id of this shape): letters one by one, numbers in words."""
        forms: list[list[str]] = [[]]
        for segment in re.findall(r"[A-Za-z]+|\d+|.", value):
            if segment.isalpha():
                forms = [form + list(segment.lower()) for form in forms]
            elif segment.isdigit():
                forms = [form + said for form in forms for said in spoken_forms(segment)]
        return forms

    def join(self, tokens: Sequence[str], start: int) -> tuple[str, int] | None:
        """The id said at `tokens[start:]` (digits already as digits) and how many tokens it took."""
        parts: list[str] = []
        index = start
        for segment in self.segments:
            if segment.isalpha():
                letters = tokens[index : index + len(segment)]
                if len(letters) < len(segment) or not all(len(t) == 1 and t.isalpha() for t in letters):
                    return None
                said = "".join(letters)
                parts.append(said.upper() if self.upper else said)
                index += len(segment)
            elif segment.isdigit():
                # A lone "one" or "oh" stays a word in general, but not where the shape wants a digit.
                said = tokens[index] if index < len(tokens) else ""
                digits = said if said.isdigit() else digit_of(said) or ""
                if len(digits) != len(segment):
                    return None
                parts.append(digits)
                index += 1
            else:
                if index < len(tokens) and tokens[index] in ("dash", "hyphen", "underscore"):
                    index += 1
                parts.append(segment)
        return "".join(parts), index - start


def _segment_regex(segment: str) -> str:
    if segment.isalpha():
        return f"[A-Za-z]{{{len(segment)}}}"
    if segment.isdigit():
        return rf"\d{{{len(segment)}}}"
    return re.escape(segment)


def shape_from_pattern(pattern: str) -> IdShape | None:
    """An `IdShape` for a simple id regex (`^A-\\d{4}$`, `[A-Z]{2}-[0-9]{3}`); None for anything else."""
    body = pattern.removeprefix("^").removesuffix("$")
    example: list[str] = []
    for match in re.finditer(
        r"(\\d|\[0-9\]|\[A-Z\]|\[a-z\]|\[A-Za-z\])(?:\{(\d+)\}|(\+))?|\\?([A-Za-z0-9_#-])|(.)", body
    ):
        klass, count, plus, literal, other = match.groups()
        if other is not None:
            return None
        if literal is not None:
            example.append(literal)
            continue
        times = int(count) if count else 4 if plus else 1
        example.append(("1" + "0" * (times - 2) + "1")[:times] if klass in (r"\d", "[0-9]") else "A" * times)
    text = "".join(example)
    return IdShape(text) if re.search(r"\d", text) else None


@dataclass(frozen=True)
class Vocabulary:
    """The domain of one session: training phrases (lower-case words, numbers in words) and id shapes."""

    phrases: tuple[str, ...] = ()
    ids: tuple[IdShape, ...] = ()

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for phrase in self.phrases for word in phrase.split())

    def write_back(self, transcript: str) -> str:
        """A recogniser's words as a caller meant them: numbers as digits, ids in their own shape."""
        tokens = to_digits(transcript.lower().split())
        out: list[str] = []
        index = 0
        while index < len(tokens):
            joined = next((found for shape in self.ids if (found := shape.join(tokens, index))), None)
            if joined is None:
                out.append(tokens[index])
                index += 1
            else:
                out.append(joined[0])
                index += joined[1]
        return " ".join(out)


EMPTY = Vocabulary()


def vocabulary_of(instructions: str | None, tools: Sequence[dict[str, Any]] | None) -> Vocabulary:
    """The vocabulary of a session with these instructions and tools (cached: sessions repeat)."""
    return _vocabulary(instructions or "", json.dumps(list(tools or []), sort_keys=True, default=str))


@functools.lru_cache(maxsize=64)
def _vocabulary(instructions: str, tools_json: str) -> Vocabulary:
    tools = [t for t in json.loads(tools_json) if isinstance(t, dict)]
    shapes = _shapes(instructions, tools)
    phrases: list[str] = []
    phrases += _sentences(instructions, shapes)
    for tool in tools:
        phrases += _tool_phrases(tool, shapes)
    for shape in shapes:
        for value in shape.samples():
            for form in shape.spoken(value):
                phrases.append(" ".join(form))
    return Vocabulary(tuple(p for p in dict.fromkeys(phrases) if p), tuple(shapes))


def _spec(tool: dict[str, Any]) -> dict[str, Any]:
    spec = tool.get("function") if isinstance(tool.get("function"), dict) else tool
    return spec if isinstance(spec, dict) else {}


def _properties(tool: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = _spec(tool).get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {k: v for k, v in properties.items() if isinstance(k, str) and isinstance(v, dict)}


def _schemas(schema: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """A property's schema and the schemas inside `anyOf` (an optional id is `anyOf: [id, null]`)."""
    yield schema
    for option in schema.get("anyOf") or []:
        if isinstance(option, dict):
            yield option


def _shapes(instructions: str, tools: list[dict[str, Any]]) -> list[IdShape]:
    found: dict[str, IdShape] = {}
    texts = [instructions]
    for tool in tools:
        texts.append(str(_spec(tool).get("description") or ""))
        for schema in _properties(tool).values():
            for option in _schemas(schema):
                pattern = option.get("pattern")
                shape = shape_from_pattern(pattern) if isinstance(pattern, str) else None
                if shape is not None:
                    found.setdefault(shape.regex().pattern, shape)
            texts.append(str(schema.get("description") or ""))
    for text in texts:
        for token in _ID_TOKEN.findall(text):
            shape = IdShape(token.lstrip("#").rstrip("-_"))
            found.setdefault(shape.regex().pattern, shape)
    return list(found.values())


def words_of(text: str, shapes: Sequence[IdShape] = ()) -> str:
    """`text` as a recogniser would write it: lower-case words, ids and numbers said in words."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    out: list[str] = []
    for token in re.findall(r"[A-Za-z0-9][\w'#-]*", spaced):
        token = token.rstrip("'-")
        shape = next((s for s in shapes if s.regex().fullmatch(token)), None)
        if shape is not None:
            out += shape.spoken(token)[0]
            continue
        for part in re.findall(r"[A-Za-z']+|\d+", token.replace("_", " ")):
            if part.isdigit():
                out += cardinal_words(int(part)) if len(part) <= 6 else [*spoken_forms(part)[-1]]
            else:
                out.append(part.lower().strip("'"))
    return " ".join(word for word in out if word)


def _sentences(text: str, shapes: Sequence[IdShape]) -> list[str]:
    return [words_of(part, shapes) for part in _SENTENCE_BREAK.split(text) if part.strip()]


def _tool_phrases(tool: dict[str, Any], shapes: Sequence[IdShape]) -> list[str]:
    spec = _spec(tool)
    name = words_of(str(spec.get("name") or "").replace("_", " "))
    phrases = [name] if name else []
    phrases += _sentences(str(spec.get("description") or ""), shapes)
    ids = [shape.spoken(shape.example)[0] for shape in shapes]
    if name:
        phrases += [f"please {name}", f"can you {name}", f"i want to {name}", f"i would like to {name}"]
        phrases += [f"{name} for {' '.join(said)}" for said in ids]
    for key, schema in _properties(tool).items():
        words = words_of(key)
        phrases.append(f"{words} {words_of(str(schema.get('description') or ''), shapes)}".strip())
        for option in _schemas(schema):
            for value in option.get("enum") or []:
                if isinstance(value, str) and value:
                    said = words_of(value, shapes)
                    phrases += [said, f"{words} {said}", f"the {said} one"]
    return phrases
