"""How `KeywordModel` words its answers: tool outputs said the way a support agent would say them.

Everything is driven by the output's shape and the tool's name, never by a particular bot: the
record's id and status lead, dates read as plain dates, amounts carry their currency, keys meant
for a model (`next_step`, `hint`...) and empty values are left out, search results give their best
answer, an output that waits for confirmation becomes a question, and errors are relayed with
what to do next. Deterministic, and never raises on odd output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

_MAX_TEXT = 200
_MAX_ANSWER = 500
_MAX_FACTS = 5
_MAX_DEPTH = 4
"""How deep nested values are read (a hostile output may nest thousands deep)."""


@dataclass(frozen=True)
class ToolResult:
    """One finished call as the model saw it."""

    name: str
    output: str
    arguments: dict[str, Any] = field(default_factory=dict)
    confirmable: bool = False
    """The tool takes a confirmation flag that this call did not set to true."""


def answer(results: Iterable[ToolResult]) -> str:
    """One or a few sentences per result, in call order."""
    return " ".join(_answer_one(result) for result in results) or "Done."


# ---------------------------------------------------------------- naming actions


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_VERBS = _wordset(
    """add book calculate cancel change check close compute confirm convert create delete escalate
    fetch find get hand issue list lookup look make notify open order pay place query read refund
    remove rename request reschedule reset resolve schedule search send set start stop submit track
    transfer translate update upgrade verify"""
)
_VERB_FORMS = {
    "lookup": "look up",
    "signin": "sign in",
    "signup": "sign up",
    "setup": "set up",
    "login": "log in",
}
_STARTING_VERBS = _wordset("start create make issue open place submit begin initiate request process")
_PREPOSITIONS = _wordset("to for with by from on in into about at of")
_ACRONYMS = _wordset("faq id api url sms pdf sku vat iban")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.upper() if w in _ACRONYMS else w for w in re.findall(r"[a-z0-9]+", spaced.lower())]


def _split_action(name: str) -> tuple[str, list[str], bool]:
    """(verb, the rest of the name's words, whether the name starts with a verb)."""
    words = _name_words(name)
    if words and words[0] in _VERBS:
        return _VERB_FORMS.get(words[0], words[0]), words[1:], True
    return "get", words, False


def action(name: str, *, general: bool = False) -> str:
    """A tool name as words: "lookup_order" is "look up the order" ("look up an order" in
    `general`), "escalate_to_human" is "escalate to a human", "search_faq" is "search the FAQ"."""
    verb, rest, starts_with_verb = _split_action(name)
    if not rest:
        return verb if starts_with_verb else "do that"
    phrase = [verb]
    if rest[0] in _PREPOSITIONS:
        preposition, rest = rest[0], rest[1:]
        phrase.append(preposition)
        if preposition == "to" and rest:
            phrase.append(_indefinite(rest[0]))
    elif not (rest[-1].endswith("s") and not rest[-1].endswith("ss")) or not general:
        acronym = rest[0].isupper() or rest[-1].isupper()
        phrase.append(_indefinite(rest[0]) if general and starts_with_verb and not acronym else "the")
    return " ".join(phrase + rest)


def _indefinite(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _go_ahead(name: str, amount: str, target: str) -> str:
    """ "Shall I go ahead with the refund of 154.39 USD for A-1001?" """
    verb, rest, _ = _split_action(name)
    for_target = f" for {target}" if target else ""
    if verb in _STARTING_VERBS and rest and rest[0] not in _PREPOSITIONS:
        of_amount = f" of {amount}" if amount else ""
        return f"Shall I go ahead with the {' '.join(rest)}{of_amount}{for_target}?"
    in_amount = f" ({amount})" if amount else ""
    return f"Shall I go ahead and {action(name)}{for_target}{in_amount}?"


# ---------------------------------------------------------------- reading values

_META_KEYS = _wordset(
    """next_step next_steps next_action instructions instruction hint hints guidance prompt debug
    meta note_for_model notes_for_model model_hint system_hint"""
)
_ID_WORDS = _wordset("number code reference")
_MESSAGE_KEYS = ("message", "note", "detail")
_MONEY_WORDS = _wordset("amount total price cost balance subtotal fee charge")
_CURRENCY_KEYS = ("currency", "currency_code")
_TEXT_KEYS = ("answer", "text", "content", "snippet", "body", "passage", "excerpt")
_TITLE_KEYS = ("name", "title", "description", "question", "label", "summary")
_RESULT_KEYS = ("results", "hits", "matches", "documents", "answers", "items", "data")
_DONE = frozenset({"ok", "done", "success", "succeeded", "completed", "complete"})
_INTRANSITIVE = frozenset({"failed", "expired", "arrived", "succeeded", "ended"})
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def _label(key: str) -> str:
    return " ".join(_name_words(key))


def _key_words(key: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", key).lower()))


def _is_meta(key: str) -> bool:
    lowered = key.lower()
    return lowered.startswith("_") or lowered in _META_KEYS or "instruction" in lowered or "hint" in lowered


def _is_id_key(key: str) -> bool:
    return key.lower() == "id" or key.lower().endswith("_id") or (len(key) > 2 and key.endswith("Id"))


def _id_noun(key: str) -> str:
    """ "order_id" and "orderId" as "order"; "id" as ""."""
    return _label(key[:-2].rstrip("_"))


def _text(value: Any, limit: int = _MAX_TEXT) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = " ".join(str(value).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return cut[: end + 1] if end > limit // 2 else cut[: limit - 3].rstrip() + "..."


def _plain_date(value: Any) -> str | None:
    """ "2026-11-17T05:16:38+00:00" as "17 November 2026"; None if not an ISO date."""
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.fullmatch(value.strip())
    if not match:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _is_money_key(key: str) -> bool:
    return bool(_key_words(key) & _MONEY_WORDS)


def _money(value: Any, currency: str) -> str | None:
    """A numeric amount with its currency, or None if `value` is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    text = str(value).strip()
    if not _DECIMAL.fullmatch(text):
        return None
    return f"{text} {currency}" if currency else text


def _currency(record: dict[str, Any]) -> str:
    found = next((record[k] for k in _CURRENCY_KEYS if isinstance(record.get(k), str)), "")
    return _text(found, 10)


def _status_phrase(status: str) -> str:
    """ "shipped" as "has been shipped", "in_transit" as "is in transit"."""
    words = status.replace("_", " ").replace("-", " ").strip()
    if " " not in words and words.endswith("ed"):
        return f"has {words}" if words in _INTRANSITIVE else f"has been {words}"
    return f"is {words}"


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == {}


# ---------------------------------------------------------------- speaking to the customer

_MODEL_DIRECTED = re.compile(
    r"\b(?:customer|user|caller|the model|assistant)\b|\b\w+_\w+\b|=\s*(?:true|false)\b", re.IGNORECASE
)
_IMPERATIVES = _wordset(
    "tell ask call use say inform remind let do don't never always check look describe explain"
)
_OFFER = re.compile(r"[:;,]?\s*\boffer to (.+?)[.!]?$", re.IGNORECASE)


def for_customer(text: str) -> str:
    """Text written for a model, as said to the customer: instructions to the model are dropped,
    "offer to X" becomes a question, and "the customer" becomes "you"."""
    said: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        offer = _OFFER.search(sentence)
        question = f"Would you like me to {offer[1].strip()}?" if offer else ""
        if offer:
            sentence = sentence[: offer.start()].strip()
            sentence = sentence + "." if sentence and sentence[-1] not in ".!?" else sentence
        kept = [clause for clause in sentence.split("; ") if not _instruction(clause)]
        if kept and kept != sentence.split("; "):  # "Ids look like A-1; check it with the customer."
            kept[-1] = kept[-1].rstrip(".!?") + "."
        if kept:
            said.append(_second_person("; ".join(kept)))
        if question:
            said.append(_second_person(question))
    return " ".join(said)


def _instruction(clause: str) -> bool:
    """An imperative meant for the model ("check the id with the customer"), not for the customer."""
    first = clause.split(" ", 1)[0].lower().strip(",:;")
    return not clause or (first in _IMPERATIVES and bool(_MODEL_DIRECTED.search(clause)))


def _second_person(text: str) -> str:
    text = re.sub(r"\bthe customer's\b", "your", text, flags=re.IGNORECASE)
    return re.sub(r"\bthe customer\b", "you", text, flags=re.IGNORECASE)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


# ---------------------------------------------------------------- one result


def _answer_one(result: ToolResult) -> str:
    output = result.output.strip()
    framework = _framework_error(result, output)
    if framework is not None:
        return framework
    data = _json(output)
    if data is None and output not in ("null", ""):
        return _plain_text(result, output)
    if isinstance(data, dict):
        error = data.get("error") or data.get("errors")
        if error:
            if isinstance(error, dict):
                error = next((error[k] for k in _MESSAGE_KEYS if isinstance(error.get(k), str)), error)
            detail = (
                error if isinstance(error, str) else _facts(error if isinstance(error, dict) else {"": error})
            )
            return _sorry(result, _text(detail, _MAX_ANSWER))
        return _record(result, data)
    if isinstance(data, list):
        return _listing(result, data)
    if data is None or data == "":
        return "Done."
    return _plain_text(result, _text(data, _MAX_ANSWER))


def _target(result: ToolResult, text: str = "") -> str:
    """The id or email the call was about (for "... for A-1001"), unless `text` names it already."""
    for key, value in result.arguments.items():
        names_a_thing = _is_id_key(key) or "email" in key.lower() or _key_words(key) & _ID_WORDS
        if names_a_thing and _scalar(value):
            shown = _text(value, 60)
            return "" if shown in text else shown
    return ""


def _sorry(result: ToolResult, detail: str) -> str:
    cleaned = for_customer(detail)
    target = _target(result, cleaned)
    head = f"Sorry, I couldn't {action(result.name)}" + (f" for {target}." if target else ".")
    return f"{head} {_sentence(cleaned)}".strip()


_NEGATIVE = re.compile(
    r"\b(?:no|not|cannot|can't|couldn't|unable|failed|error|invalid|unknown|already|outside|denied|"
    r"forbidden|missing|expired)\b|n't\b",
    re.IGNORECASE,
)


def _plain_text(result: ToolResult, text: str) -> str:
    """A tool's own words: relayed, with an apology first when they say something went wrong."""
    if _NEGATIVE.search(text.split(". ", 1)[0]):
        return _sorry(result, text)
    return _sentence(for_customer(_text(text, _MAX_ANSWER)) or _text(text))


_VALIDATION = re.compile(r"invalid arguments for tool (\S+): (.*)", re.DOTALL)


def _framework_error(result: ToolResult, output: str) -> str | None:
    """The texts agentkit's tool runner writes when a call could not run."""
    what = action(result.name)
    validation = _VALIDATION.fullmatch(output)
    if validation:
        problems = [_problem(p) for p in validation[2].split("; ") if p.strip()]
        missing = any(p.startswith("I need") for p in problems)
        follow_up = "Could you tell me?" if missing else "Could you check it?"
        return f"Sorry, I couldn't {what}: {' and '.join(problems)}. {follow_up}"
    name = re.escape(result.name)
    if re.match(rf"unknown tool {name}\b", output):
        return f"Sorry, I can't {what} here."
    if re.match(rf"tool {name} timed out\b", output):
        return f"Sorry, it took too long to {what}. Please try again in a moment."
    if re.match(rf"tool {name} failed\b", output):
        return f"Sorry, something went wrong while trying to {what}. Please try again in a moment."
    if re.match(rf"tool {name} was cancelled\b", output):
        return f"I stopped trying to {what}."
    return None


def _problem(problem: str) -> str:
    """One validation problem ("order_id: String should match pattern ... (got "A-10")") in words."""
    located = re.fullmatch(r"([\w.\[\]-]+): (.*)", problem.strip(), re.DOTALL)
    if not located:
        return "the request was not in a form I could use"
    what = _label(located[1].split(".")[-1]) or "value"
    detail = located[2].strip()
    got = re.search(r"\(got (.*)\)$", detail)
    given = f" {got[1]}" if got else ""
    if detail.lower() == "field required":
        return f"I need the {what}"
    if "should match pattern" in detail:
        return f"the {what}{given} is not in the expected format"
    should = re.match(r"(?:String|Input|Value|List|Dictionary|Object|Array) should (.*)", detail, re.DOTALL)
    if should:
        return f"the {what} should {_text(should[1], 120)}"
    return f"the {what} is not valid ({_text(detail, 120)})"


def _needs_confirmation(record: dict[str, Any]) -> bool:
    for key, value in record.items():
        words = _key_words(key)
        if words & {"confirm", "confirmed", "confirmation"}:
            asking = words & {"requires", "require", "required", "needs", "need", "awaiting", "pending"}
            if (asking and value is True) or (not asking and value is False):
                return True
        if words & {"status", "state"} and isinstance(value, str):
            status = value.lower()
            if "confirm" in status and re.search(r"need|requir|await|pending|unconfirmed", status):
                return True
    return False


def _record(result: ToolResult, record: dict[str, Any]) -> str:
    if result.confirmable and _needs_confirmation(record):
        amount = next(
            (m for k, v in record.items() if _is_money_key(k) for m in [_money(v, _currency(record))] if m),
            "",
        )
        return _go_ahead(result.name, amount, _target(result) or _subject_id(record))
    found = _search_answer(result, record)
    if found is not None:
        return found
    messages = [
        for_customer(_text(record[k], _MAX_ANSWER)) for k in _MESSAGE_KEYS if isinstance(record.get(k), str)
    ]
    head, facts = _describe(result, record)
    sentences = [
        head + (": " + ", ".join(facts) if facts and head else ", ".join(facts)) if head or facts else ""
    ]
    text = " ".join(_sentence(s) for s in sentences + messages if s)
    return text or "Done."


def _subject_id(record: dict[str, Any]) -> str:
    key = next((k for k in record if _is_id_key(k) and _scalar(record[k])), None)
    return _text(record[key], 60) if key else ""


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != ""


def _describe(result: ToolResult, record: dict[str, Any]) -> tuple[str, list[str]]:
    """(the sentence's head: "Order A-1001 has been delivered", the facts that follow it)."""
    keys = [k for k in record if not _is_meta(k) and not _empty(record[k])]
    keys = [k for k in keys if k not in _MESSAGE_KEYS and k not in _CURRENCY_KEYS]
    keys = [k for k in keys if _is_id_key(k) or result.arguments.get(k) != record[k]]  # no echoes
    ids = [k for k in keys if _is_id_key(k) and _scalar(record[k])]
    subject = ""
    if ids:
        noun = _id_noun(ids[0]) or " ".join(_split_action(result.name)[1])
        subject = f"{noun} {_text(record[ids[0]], 60)}".strip()
        subject += "".join(f" for {_id_noun(k)} {_text(record[k], 60)}" for k in ids[1:3])
        used = ids[:3]
    else:
        title = next((k for k in ("name", "title") if k in keys and isinstance(record[k], str)), None)
        subject = _text(record[title], 80) if title else ""
        used = [title] if title else []
    noun = subject.split(" ", 1)[0].lower()
    statuses = [k for k in keys if _key_words(k) & {"status", "state"} and isinstance(record[k], str)]
    status_key = next(
        (k for k in statuses if k.lower() in ("status", "state", f"{noun}_status", f"{noun}_state")), None
    )
    head = subject
    if status_key is not None:
        status = str(record[status_key])
        if subject:
            head = f"{subject} {_status_phrase(status)}"
        elif status.lower() in _DONE:
            head = "Done"
        else:
            head = f"status: {status.replace('_', ' ')}"
        used.append(status_key)
    currency = _currency(record)
    facts = [f for k in keys if k not in used for f in [_fact(k, record[k], currency, bool(subject))] if f]
    return head, facts[:_MAX_FACTS]


def _fact(key: str, value: Any, currency: str, has_subject: bool, depth: int = 0) -> str:
    """One "label value" phrase: "placed on 13 November 2026", "total 154.39 USD", "2 items (...)"."""
    label = _label(key)
    if value is True:
        return label
    day = _plain_date(value)
    if day is not None:
        return _date_fact(label, day)
    if _is_money_key(key):
        money = _money(value, currency)
        if money is not None:
            return money if label == "amount" and has_subject else f"{label} {money}"
    if _scalar(value):
        shown = str(value).replace("_", " ") if _key_words(key) & {"status", "state"} else value
        return f"{label} {_text(shown)}".strip()
    if isinstance(value, list):
        return _list_fact(label, value, depth)
    if isinstance(value, dict) and depth < _MAX_DEPTH:
        return _headline(label, value, depth)
    return ""


def _date_fact(label: str, day: str) -> str:
    words = label.split()
    if words and words[-1] in ("at", "on", "date", "time"):
        words = words[:-1]
    label = " ".join(words)
    if not label:
        return f"dated {day}"
    return f"{label} on {day}" if words[-1].endswith("ed") else f"{label} {day}"


def _headline(label: str, record: dict[str, Any], depth: int) -> str:
    """A nested object in one phrase: its amount, name, id or status."""
    currency = _currency(record)
    money_keys = [k for k in record if _is_money_key(k)]
    for key in sorted(money_keys, key=lambda k: k.lower() not in ("total", "amount")):
        money = _money(record[key], currency)
        if money is not None:
            inner = _label(key)
            return f"{label if inner in ('amount', 'value') else inner} {money}".strip()
    for key in (
        "name",
        "title",
        *[k for k in record if _is_id_key(k)],
        "status",
        "state",
    ):
        if _scalar(record.get(key)):
            value = str(record[key]).replace("_", " ") if key in ("status", "state") else record[key]
            return f"{label} {_text(value, 80)}".strip()
    return ""


def _singular(label: str) -> str:
    if label.endswith("ies"):
        return label[:-3] + "y"
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label


def _list_fact(label: str, entries: list[Any], depth: int) -> str:
    if not entries:
        return f"no {label}"
    count = len(entries)
    noun = _singular(label) if count == 1 else label
    if depth >= _MAX_DEPTH:
        return f"{count} {noun}"
    records = [e for e in entries if isinstance(e, dict)]
    dated = any(_plain_date(v) for v in records[0].values()) if records else False
    if len(records) == count and dated and not any(_is_id_key(k) for k in records[0]):
        return _latest(label, records)
    tags = [t for t in (_tag(e) for e in entries[:3]) if t]
    if not tags:
        return f"{count} {noun}"
    more = f" and {count - 3} more" if count > 3 else ""
    return f"{count} {noun} ({', '.join(tags)}{more})"


def _tag(entry: Any) -> str:
    """A list entry in a few words: "A-1004 delivered", "2 x USB-C cable", or its name."""
    if _scalar(entry):
        return _text(entry, 60)
    if not isinstance(entry, dict):
        return ""
    ident = next((entry[k] for k in entry if _is_id_key(k) and _scalar(entry[k])), None)
    status = next((entry[k] for k in ("status", "state") if isinstance(entry.get(k), str)), None)
    if ident is not None:
        return _text(f"{ident} {status.replace('_', ' ')}" if status else ident, 60)
    title = next((entry[k] for k in _TITLE_KEYS if _scalar(entry.get(k))), None)
    if title is None:
        return ""
    quantity = entry.get("quantity", entry.get("qty"))
    many = isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 1
    return _text(f"{quantity} x {title}" if many else title, 60)


def _latest(label: str, records: list[dict[str, Any]]) -> str:
    """Dated entries (tracking events, history) as the latest one: "latest event: ... (place), date"."""

    def when(entry: dict[str, Any]) -> str:
        return next((v for v in entry.values() if _plain_date(v)), "")

    latest = max(records, key=when)
    day = _plain_date(when(latest)) or ""
    texts = {k: _text(v, 80) for k, v in latest.items() if _scalar(v) and not _plain_date(v)}
    main = next((k for k in (*_TITLE_KEYS, *_TEXT_KEYS, "status") if k in texts), None)
    what = texts.pop(main) if main else ""
    where = f" ({', '.join(v for v in texts.values() if not v.isdigit())})" if texts else ""
    return f"latest {_singular(label)}: {what}{where}, {day}".replace(": , ", ": ").replace(" ()", "")


def _search_answer(result: ToolResult, record: dict[str, Any]) -> str | None:
    """For search-like outputs (a list of results with answers or texts): the best answer."""
    for key in _RESULT_KEYS:
        entries = record.get(key)
        if not isinstance(entries, list):
            continue
        if not entries and key in ("results", "hits", "matches", "documents", "answers"):
            query = next((v for v in result.arguments.values() if isinstance(v, str)), "")
            about = f' about "{_text(query, 80)}"' if query else ""
            messages = [for_customer(record[k]) for k in _MESSAGE_KEYS if isinstance(record.get(k), str)]
            return " ".join(
                [f"Sorry, I couldn't find anything{about}."] + [_sentence(m) for m in messages if m]
            )
        best = _best_text(entries)
        if best is not None:
            return best
    return None


def _best_text(entries: list[Any]) -> str | None:
    top = entries[0] if entries else None
    if not isinstance(top, dict):
        return None
    text = next((top[k] for k in _TEXT_KEYS if isinstance(top.get(k), str) and top[k].strip()), None)
    return _sentence(_text(text, _MAX_ANSWER)) if text is not None else None


def _listing(result: ToolResult, entries: list[Any]) -> str:
    """A top-level list: the best answer of search results, else a count with a few names."""
    best = _best_text(entries)
    if best is not None:
        return best
    if not entries:
        return "I found nothing."
    return _sentence("I found " + _list_fact("results", entries, 0))


def _facts(record: dict[str, Any]) -> str:
    currency = _currency(record)
    phrases = [_fact(k, v, currency, False) for k, v in record.items() if not _empty(v)]
    return ", ".join(p for p in phrases if p)
