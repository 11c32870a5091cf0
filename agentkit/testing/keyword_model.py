"""`KeywordModel`: the local server's default model, which needs no script.

It reads the session's tool schemas and answers the latest user text the way a small, predictable
model would: it picks the tools whose names, descriptions and parameters share words with the text,
fills their arguments from the text and the schema, and, once the function outputs are in, answers in
words built from those outputs. It is deterministic (same conversation and tools, same answer) and
never raises on odd input, so it can serve demos, tests and benchmarks alike.

How tools are chosen: the user text is split into clauses ("... and ...", commas, sentences), each
clause is scored against every tool (shared word stems, weighted by where they appear in the schema and
by how few tools share them, plus a bonus when the clause holds a value the tool needs, like an order
id), and the best tool over `MATCH_THRESHOLD` is called. A clause with values but no words of its own
("... and A-1002") repeats the previous clause's tool, so one request can make several calls.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentkit.protocol.items import FunctionCallItem, FunctionCallOutputItem, Item, MessageItem
from agentkit.testing.keyword_answers import ToolResult, action, answer
from agentkit.testing.models import Call, ModelContext, Output, Say

MATCH_THRESHOLD = 2.0
"""Minimum score for a tool to be called: about a word of its name (less when other tools share
the word), or two of its description, or one description word plus a value the tool needs."""

_NAME_WEIGHT = 3.0
_DESCRIPTION_WEIGHT = 1.5
_PARAMETER_WEIGHT = 1.0
_VALUE_BONUS = 1.0


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOPWORDS = _wordset(
    """a an the is are was were be been am i me my mine we our us you your it its this that these those
    of for to from in on at by with and or but if then so as into about please can could would will
    should shall may might do does did done have has had get got give what which who whom where when
    how why there here hi hello hey thanks thank want wanted need needs like just also too some any
    all one up out not no yes ok okay sure let tell know see"""
)

_SYNONYMS = {
    "person": "human",
    "agent": "human",
    "someone": "human",
    "representative": "human",
    "operator": "human",
    "package": "shipment",
    "parcel": "shipment",
    "delivery": "shipment",
    "deliver": "shipment",
    "money": "refund",
    "reimburse": "refund",
    "mail": "email",
    "client": "customer",
}

_AFFIRMATIVE = _wordset("yes yeah yep yup confirm confirmed sure ok okay agree agreed proceed")
_NEGATIVE = _wordset("no nope not don't dont never cancel stop")
_AFFIRMATIVE_PHRASES = ("go ahead", "do it", "please do", "that's right", "that is right")
_CONFIRM_WORDS = frozenset({"confirm", "confirmed", "confirmation", "agree", "agreed", "consent", "approve"})
_FREE_TEXT_WORDS = _wordset(
    """query question text message summary reason description details detail comment note issue problem
    topic request search keyword keywords subject explanation why"""
)
_ID_WORDS = frozenset({"id", "identifier", "number", "code", "sku", "reference", "ref"})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']{2,})'(?!\w)")
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?![\w-])")
_TOKEN = re.compile(r"[\w@.+#-]+")
_ID_LIKE = re.compile(r"#?[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[.;!?]+(?=\s|$)|[,\n])\s*(?:(?:and|also|then|plus)\s+)?|\s+(?:and|also|then|plus)\s+",
    re.IGNORECASE,
)
_BECAUSE = re.compile(r"\b(?:because|since|reason is|reason:)\s+(.+)", re.IGNORECASE)


def _stem(word: str) -> str:
    """A light stemmer: enough that "orders", "ordered" and "ordering" meet "order"."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ment", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] in "bdgmnpt":
                word = word[:-1]
            break
    return word


def terms(text: str) -> list[str]:
    """Content-word stems of `text`, in order (snake_case and camelCase names split into words)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ")
    found: list[str] = []
    for word in re.findall(r"[a-z0-9']+", spaced.lower()):
        word = word.removesuffix("'s").strip("'")
        if len(word) < 2 or word in _STOPWORDS or word.isdigit():
            continue
        stem = _stem(word)
        synonym = _SYNONYMS.get(word) or _SYNONYMS.get(stem)
        found.append(_stem(synonym) if synonym else stem)
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


# ---------------------------------------------------------------- tool schemas


@dataclass(frozen=True)
class _Param:
    name: str
    schema: dict[str, Any]
    required: bool

    @property
    def type(self) -> str:
        kind = self.schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        return kind if isinstance(kind, str) else "string"

    @property
    def description(self) -> str:
        text = self.schema.get("description")
        return text if isinstance(text, str) else ""

    @property
    def words(self) -> set[str]:
        return set(terms(self.name)) | set(_words(self.name.replace("_", " ")))


@dataclass(frozen=True)
class _Tool:
    name: str
    description: str
    params: tuple[_Param, ...]

    @classmethod
    def parse(cls, raw: Any) -> _Tool | None:
        """A flat Realtime function definition (or a nested Chat Completions one); None if unusable."""
        if not isinstance(raw, dict):
            return None
        spec = raw["function"] if isinstance(raw.get("function"), dict) else raw
        name = spec.get("name")
        if not isinstance(name, str) or not name or raw.get("type", "function") != "function":
            return None
        description = spec.get("description")
        parameters = spec.get("parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        properties = parameters.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = parameters.get("required")
        required_names = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        params = tuple(
            _Param(key, value if isinstance(value, dict) else {}, key in required_names)
            for key, value in properties.items()
            if isinstance(key, str)
        )
        return cls(name, description if isinstance(description, str) else "", params)

    def weights(self) -> dict[str, float]:
        """Each stem of the schema with the weight of the most telling place it appears in."""
        found: dict[str, float] = {}
        parts = [(self.name, _NAME_WEIGHT), (self.description, _DESCRIPTION_WEIGHT)]
        parts += [(f"{p.name} {p.description}", _PARAMETER_WEIGHT) for p in self.params]
        for text, weight in parts:
            for stem in terms(text):
                found[stem] = max(found.get(stem, 0.0), weight)
        return found


# ---------------------------------------------------------------- values in the text


def _shape_of(example: str) -> str:
    """A regex for ids shaped like `example`: "A-1001" gives letters, a dash, digits."""
    return "".join(
        r"[A-Za-z]+" if chunk[0].isalpha() else r"\d+" if chunk[0].isdigit() else re.escape(chunk)
        for chunk in re.findall(r"[A-Za-z]+|\d+|.", example)
    )


def _id_matcher(param: _Param) -> tuple[re.Pattern[str] | None, bool, bool]:
    """(regex, whether it must match a whole token, whether ids are upper case) for an id parameter:
    the schema's `pattern`, else the shape of an example in its description ("like A-1001")."""
    pattern = param.schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return re.compile(pattern), False, "A-Z" in pattern and "a-z" not in pattern
        except re.error:
            pass
    for token in _ID_LIKE.findall(param.description):
        if any(c.isdigit() for c in token) and any(c.isalpha() or c in "-_" for c in token):
            letters = "".join(c for c in token if c.isalpha())
            return re.compile(_shape_of(token.lstrip("#"))), True, letters.isupper()
    return None, True, False


def _tokens(text: str) -> list[str]:
    return [t.strip(".,;:!?)(\"'") for t in _TOKEN.findall(text)]


def _ids(param: _Param, text: str) -> list[str]:
    """Values for an id-like parameter found in `text`, in order of appearance, without repeats."""
    matcher, whole, upper = _id_matcher(param)
    found: list[str] = []
    for token in _tokens(text):
        if not token or _EMAIL.fullmatch(token):
            continue
        value: str | None = None
        if matcher is not None:
            for candidate in dict.fromkeys((token.upper(), token) if upper else (token, token.upper())):
                match = matcher.fullmatch(candidate) if whole else matcher.search(candidate)
                if match:
                    value = match.group(0)
                    break
        elif any(c.isdigit() for c in token) and len(token) >= 3 and _ID_LIKE.fullmatch(token):
            value = token.lstrip("#")
        if value and value not in found:
            found.append(value)
    return found


def _kind(param: _Param) -> str:
    """How to fill a parameter: email, id, enum, boolean, number, text or other."""
    if isinstance(param.schema.get("enum"), list):
        return "enum"
    if param.type == "boolean":
        return "boolean"
    if param.type in ("integer", "number"):
        return "number"
    if param.type != "string":
        return "other"
    free_text = bool(param.words & _FREE_TEXT_WORDS)
    described_as_email = "email" in _words(param.description) and not free_text
    if param.schema.get("format") == "email" or "email" in param.words or described_as_email:
        return "email"
    if "pattern" in param.schema or param.words & _ID_WORDS:
        return "id"
    return "text" if free_text else "other"


def _affirmative(text: str) -> bool:
    lowered = text.lower()
    return bool(set(_words(text)) & _AFFIRMATIVE) or any(p in lowered for p in _AFFIRMATIVE_PHRASES)


def _negative(text: str) -> bool:
    return bool(set(_words(text)) & _NEGATIVE)


def _confirm_like(param: _Param) -> bool:
    return param.type == "boolean" and bool((param.words | set(_words(param.description))) & _CONFIRM_WORDS)


def _boolean(param: _Param, text: str) -> bool | None:
    """Confirmation flags are true only on a clear yes; other flags are true when the text names them."""
    if _confirm_like(param):
        if _affirmative(text) and not _negative(text):
            return True
    else:
        name = set(terms(param.name))
        if name and name <= set(terms(text)):
            return not _negative(text)
    return None


def _number(param: _Param, text: str) -> int | float | None:
    """The number next to a word of the parameter's name, else the first number in the text."""
    cleaned = _EMAIL.sub(" ", text)
    numbers = list(_NUMBER.finditer(cleaned))
    if not numbers:
        return None
    chosen = numbers[0]
    for match in numbers:
        near = _words(cleaned[max(0, match.start() - 30) : match.start()])[-3:]
        near += _words(cleaned[match.end() : match.end() + 20])[:2]
        if param.words & ({_stem(w) for w in near} | set(near)):
            chosen = match
            break
    value = float(chosen.group(0))
    return int(value) if param.type == "integer" or value.is_integer() else value


def _enum(param: _Param, text: str) -> Any:
    options = param.schema.get("enum")
    text_terms = set(terms(text))
    lowered = text.lower()
    for option in options if isinstance(options, list) else []:
        if not isinstance(option, str) or not option:
            continue
        if option.lower() in lowered or set(terms(option)) & text_terms:
            return option
    return None


def _free_text(param: _Param, topic: str, details: str, text: str, quotes: list[str]) -> str | None:
    """A quoted string if there is one; for a reason, what follows "because" or the clauses that
    asked for nothing; else the text the call is about."""
    if quotes:
        return quotes.pop(0)
    if param.words & {"reason", "why", "explanation"}:
        match = _BECAUSE.search(text)
        if match:
            return match.group(1).strip().rstrip(".!?")
        if details:
            return details
    return topic.strip().rstrip(".!?") or None


# ---------------------------------------------------------------- choosing tools


@dataclass
class _Clause:
    text: str
    tool: _Tool | None = None


class _Matcher:
    """Scores text against tools: shared stems, each weighted by where it appears in a tool's schema
    and divided by the square root of how many tools have it in as telling a place (a word of one
    tool's name counts fully even if others mention it), plus a bonus when the text holds a value
    the tool needs."""

    def __init__(self, tools: list[_Tool]) -> None:
        self.tools = tools
        weights = [tool.weights() for tool in tools]
        self._weights = [
            {stem: w / math.sqrt(sum(1 for o in weights if o.get(stem, 0.0) >= w)) for stem, w in own.items()}
            for own in weights
        ]

    def score(self, text: str, index: int, *, values: bool = True) -> float:
        weights = self._weights[index]
        total = sum(weights.get(stem, 0.0) for stem in dict.fromkeys(terms(text)))
        return total + (_VALUE_BONUS if values and _primary_values(self.tools[index], text) else 0.0)

    def best(self, text: str, *, values: bool = True, besides: _Tool | None = None) -> tuple[float, _Tool]:
        """The highest-scoring tool other than `besides` (the first listed on a tie)."""
        scores = [
            -math.inf if tool is besides else self.score(text, i, values=values)
            for i, tool in enumerate(self.tools)
        ]
        top = max(range(len(scores)), key=lambda i: (scores[i], -i))
        return scores[top], self.tools[top]


class KeywordModel:
    """Calls the tools whose schemas match the user's words, then answers from the tools' outputs.

    `threshold` is the minimum match score for a call (see `MATCH_THRESHOLD`). Honours `tool_choice`:
    `"none"` never calls, `"required"` calls the best tool even below the threshold, and a named
    function is the only one called. An out-of-band response (`conversation: "none"`) with
    instructions says one short line: what the instructions tell it to tell the user, else a
    holding line (a filler while a tool runs). A response whose instructions say "Say exactly this
    ...: <line>" says the line. After a handoff (an agentkit `transfer_to_<agent>` output), the
    agent that took over carries on with the user's request using its own tools.
    """

    def __init__(self, *, threshold: float = MATCH_THRESHOLD) -> None:
        self.threshold = threshold

    def respond(self, context: ModelContext) -> list[Output]:
        params = context.response
        said = _SAY_EXACTLY.search(params.instructions or "") if params is not None else None
        if said is not None:
            return [Say(said["line"].strip())]
        if params is not None and params.conversation == "none" and params.instructions:
            return [Say(_aside(params.instructions))]
        items = list(context.items)
        tools = _tools(context)
        results = _trailing_results(items, tools)
        user = _latest_user(items)
        if results and user is not None and all(_is_handoff(result) for result in results):
            # the agent that took over carries on with the request that made the other hand it over
            others = [tool for tool in tools if not tool.name.startswith("transfer_to_")]
            calls = self._calls(user.text.strip(), items, others, _tool_choice(context))
            if any(isinstance(call, Call) for call in calls):
                return calls
        if results:
            return [Say(answer(results))]
        if user is None:
            return [Say("Hello! How can I help you today?" + _capabilities(tools))]
        text = user.text.strip()
        if not text:
            return [Say("I heard you, but I could not make out any words. Could you say that again?")]
        calls = self._calls(text, items, tools, _tool_choice(context))
        return calls or [Say(_conversational(text, tools))]

    def _calls(self, text: str, items: list[Item], tools: list[_Tool], choice: Any) -> list[Output]:
        """The calls the text asks for; a question instead when a call lacks an id or email the
        conversation never gave (unless `tool_choice` demands a call)."""
        if not tools or choice == "none":
            return []
        forced = _forced_tool(choice, tools)
        matcher = _Matcher([forced] if forced else tools)
        clauses = self._match_clauses(text, matcher)
        if not any(c.tool for c in clauses):
            waiting = _awaiting_confirmation(items, tools)
            if waiting and _affirmative(text) and not _negative(text):
                return list(waiting)
            if waiting and _negative(text):
                declined = f"All right, I won't {action(waiting[0].name)}."
                return [Say(declined + " Is there anything else I can do for you?")]
            simplest = _simplest_taking_values(tools, text) if forced is None else None
            if simplest is not None:
                clauses = [_Clause(text, simplest)]
            elif forced is None and choice != "required":
                return []
            else:
                clauses = [_Clause(text, matcher.best(text)[1])]
        asked = [(c.text, c.tool) for c in clauses if c.tool is not None]
        details = ", ".join(c.text.strip() for c in clauses if not c.tool and not _affirmative(c.text))
        calls: list[Call] = []
        missing: list[str] = []
        for clause, tool in asked:
            topic = clause if len(asked) > 1 else text
            for call in _fill_calls(tool, _Texts(clause, topic, details, text), items):
                lacking = _missing_values(tool, call)
                if lacking and forced is None and choice != "required":
                    missing.append(f"To {action(tool.name)} I need the {lacking}.")
                elif call not in calls:
                    calls.append(call)
        if calls or not missing:
            return list(calls)
        return [Say(" ".join(dict.fromkeys(missing)) + " Could you tell me?")]

    def _match_clauses(self, text: str, matcher: _Matcher) -> list[_Clause]:
        """Each clause's tool. A clause whose words name no tool but which holds values the previous
        clause's tool takes ("... and A-1002", "It's order A-1002") goes on with that tool."""
        clauses = [_Clause(part) for part in _CLAUSE_BREAK.split(text) if part and part.strip()]
        previous: _Tool | None = None
        for clause in clauses:
            continues = previous is not None and bool(_primary_values(previous, clause.text))
            if continues and matcher.best(clause.text, values=False)[0] < self.threshold:
                clause.tool = previous
                continue
            score, best = matcher.best(clause.text)
            if best is previous and not continues and len(matcher.tools) > 1:
                # The same call again would add nothing: the clause must be asking for something else.
                score, best = matcher.best(clause.text, besides=previous)
            if score >= self.threshold:
                clause.tool = previous = best
        return clauses


def _simplest_taking_values(tools: list[_Tool], text: str) -> _Tool | None:
    """For a message that is little more than an id or email ("Where is A-1002?"): the tool with the
    fewest required parameters that takes it as its main value (the first listed on a tie)."""
    takers = [tool for tool in tools if _primary_values(tool, text)]
    if not takers:
        return None
    return min(takers, key=lambda tool: sum(1 for param in tool.params if param.required))


def _tools(context: ModelContext) -> list[_Tool]:
    """The tools on offer, unusable entries skipped."""
    return [tool for tool in (_Tool.parse(entry) for entry in context.tools) if tool is not None]


def _tool_choice(context: ModelContext) -> Any:
    chosen = context.response.tool_choice if context.response else None
    return chosen if chosen is not None else context.session.tool_choice


def _forced_tool(choice: Any, tools: list[_Tool]) -> _Tool | None:
    if not isinstance(choice, dict):
        return None
    name = choice.get("name")
    if name is None and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
    return next((tool for tool in tools if tool.name == name), None)


# ---------------------------------------------------------------- filling arguments


def _primary_values(tool: _Tool, text: str) -> list[str]:
    """The values in `text` for the tool's first id or email parameter (one call is made per value)."""
    for param in tool.params:
        kind = _kind(param)
        if kind == "id":
            return _ids(param, text)
        if kind == "email":
            return list(dict.fromkeys(_EMAIL.findall(text)))
    return []


@dataclass(frozen=True)
class _Texts:
    """The pieces of the user's message a call's arguments are taken from."""

    clause: str
    """The clause that asked for the call."""
    topic: str
    """What free-text arguments (a query, a summary) describe: the clause, or the whole message
    when it asks for one thing only."""
    details: str
    """The clauses that asked for nothing, e.g. "it arrived broken": a reason, if one is needed."""
    message: str


def _fill_calls(tool: _Tool, texts: _Texts, items: list[Item]) -> list[Call]:
    """One call per distinct primary value in the clause (two order ids, two lookups)."""
    primary = _primary_values(tool, texts.clause)
    focuses = primary if len(primary) > 1 else [texts.clause]
    return [Call(tool.name, _arguments(tool, focus, texts, items)) for focus in focuses]


def _arguments(tool: _Tool, focus: str, texts: _Texts, items: list[Item]) -> dict[str, Any]:
    """Each argument from the narrowest text that has it: the call's own value, its clause, the
    whole message; then earlier user messages and calls (for a follow-up like "and refund it")."""
    quotes = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(texts.message)]
    args: dict[str, Any] = {}
    for param in tool.params:
        kind = _kind(param)
        value: Any = None
        if kind == "text" or (kind == "other" and quotes):
            value = _free_text(param, texts.topic, texts.details, texts.message, quotes)
        else:
            for source in dict.fromkeys((focus, texts.clause, texts.message)):
                value = _value(param, kind, source)
                if value is not None:
                    break
        if value is None and param.required and kind in ("id", "email", "number", "enum"):
            value = _from_history(param, kind, items)
        if value is None and param.required and kind == "boolean":
            value = False
        if value is not None:
            args[param.name] = value
    return args


def _missing_values(tool: _Tool, call: Call) -> str:
    """The required ids and emails a call lacks, named for a question ("order id"); "" if none."""
    names = [
        p.name.replace("_", " ")
        for p in tool.params
        if p.required and _kind(p) in ("id", "email") and p.name not in call.arguments
    ]
    return " and ".join(names)


def _value(param: _Param, kind: str, text: str) -> Any:
    if kind == "id":
        return next(iter(_ids(param, text)), None)
    if kind == "email":
        return next(iter(_EMAIL.findall(text)), None)
    if kind == "enum":
        return _enum(param, text)
    if kind == "number":
        return _number(param, text)
    if kind == "boolean":
        return _boolean(param, text)
    return None


def _from_history(param: _Param, kind: str, items: list[Item]) -> Any:
    """The latest earlier value: a previous call's argument of that name, or one in a user message."""
    for item in reversed(items[:-1]):
        if isinstance(item, FunctionCallItem):
            previous = _json(item.arguments)
            if isinstance(previous, dict) and previous.get(param.name) is not None:
                return previous[param.name]
        elif isinstance(item, MessageItem) and item.role == "user":
            value = _value(param, kind, item.text)
            if value is not None:
                return value
    return None


def _unconfirmed(tool: _Tool, arguments: dict[str, Any]) -> _Param | None:
    """The tool's confirmation flag, if this call left it false or out (its default)."""
    return next((p for p in tool.params if _confirm_like(p) and arguments.get(p.name) is not True), None)


def _awaiting_confirmation(items: list[Item], tools: list[_Tool]) -> list[Call]:
    """The calls of the last response that were made without confirmation, now confirmed: what
    "yes, go ahead" agrees to (and "no" declines)."""
    earlier = items[:-1]
    last_user = next((i for i in range(len(earlier) - 1, -1, -1) if _is_user(earlier[i])), -1)
    confirmed: list[Call] = []
    for item in earlier[last_user + 1 :]:
        tool = next((t for t in tools if isinstance(item, FunctionCallItem) and t.name == item.name), None)
        arguments = _json(item.arguments) if isinstance(item, FunctionCallItem) else None
        if tool is None or not isinstance(arguments, dict):
            continue
        flag = _unconfirmed(tool, arguments)
        if flag is not None:
            confirmed.append(Call(tool.name, {**arguments, flag.name: True}))
    return confirmed


def _is_handoff(result: ToolResult) -> bool:
    """An agentkit handoff's answer (`transfer_to_<agent>`: "Transferred to <agent>. ...")."""
    return result.name.startswith("transfer_to_") and result.output.startswith("Transferred to ")


def _is_user(item: Item) -> bool:
    return isinstance(item, MessageItem) and item.role == "user"


# ---------------------------------------------------------------- answers


def _latest_user(items: list[Item]) -> MessageItem | None:
    return next((i for i in reversed(items) if isinstance(i, MessageItem) and i.role == "user"), None)


def _trailing_results(items: list[Item], tools: list[_Tool]) -> list[ToolResult]:
    """The function outputs at the end of the conversation with their calls, in call order."""
    if not items or not isinstance(items[-1], FunctionCallOutputItem):
        return []
    calls = {i.call_id: (n, i) for n, i in enumerate(items) if isinstance(i, FunctionCallItem)}
    found: list[tuple[int, ToolResult]] = []
    for position, item in reversed(list(enumerate(items))):
        if isinstance(item, FunctionCallOutputItem):
            called_at, call = calls.get(item.call_id, (position, None))
            arguments = _json(call.arguments) if call else None
            arguments = arguments if isinstance(arguments, dict) else {}
            tool = next((t for t in tools if call is not None and t.name == call.name), None)
            confirmable = tool is not None and _unconfirmed(tool, arguments) is not None
            found.append(
                (called_at, ToolResult(call.name if call else "", item.output, arguments, confirmable))
            )
        elif not isinstance(item, FunctionCallItem):
            break
    return [result for _, result in sorted(found, key=lambda pair: pair[0])]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def _capabilities(tools: Iterable[_Tool]) -> str:
    names = list(dict.fromkeys(action(tool.name, general=True) for tool in tools))
    if not names:
        return ""
    listed = ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]
    return f" I can {listed}."


_TELL = re.compile(r"tell the user:\s*(?P<line>.+?)(?:\.\s+Do not\b|$)", re.IGNORECASE | re.DOTALL)
HOLDING_LINE = "One moment, I'm still working on that."
_SAY_EXACTLY = re.compile(r"say exactly this[^:]*:\s*(?P<line>.+)$", re.IGNORECASE | re.DOTALL)


def _aside(instructions: str) -> str:
    """An out-of-band line (a filler while a tool runs): what the instructions ask to tell the user,
    else a short holding line."""
    found = _TELL.search(instructions)
    if found is None:
        return HOLDING_LINE
    line = found["line"].strip().rstrip(".")
    return line[:1].upper() + line[1:] + "."


_REPLIES = (
    "I see. Could you tell me a bit more?",
    "Understood. What would you like me to do?",
    "Thanks for explaining. How can I help with that?",
)


def _conversational(text: str, tools: list[_Tool]) -> str:
    """A reply for text that matches no tool: greetings and thanks, else the text echoed back."""
    words = set(_words(text))
    if words & {"hi", "hello", "hey", "morning", "afternoon", "evening"}:
        return "Hello! How can I help you today?" + _capabilities(tools)
    if words & {"thanks", "thank", "cheers"}:
        return "You're welcome! Is there anything else I can do for you?"
    if words & {"bye", "goodbye"}:
        return "Goodbye, and have a nice day!"
    reply = _REPLIES[zlib.crc32(text.encode()) % len(_REPLIES)]
    said = text if len(text) <= 200 else text[:197] + "..."
    return f'You said: "{said}". {reply}' + _capabilities(tools)
