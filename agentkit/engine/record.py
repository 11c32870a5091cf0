"""The conversation as the model should remember it, kept so a new connection can be given it back.

Holds, in order: user text (typed, or the transcript of spoken input), assistant text (typed, or the
transcript of its audio, cut to what was heard after a barge-in), and function calls with their
outputs. A new session cannot be given assistant audio, so everything is replayed as text.

The record is bounded: past `max_entries` the oldest entries are forgotten (a call and its output
are one entry, so they go together). The service keeps only a window of context anyway, and a long
session must not grow without end nor replay thousands of items on a reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentkit.protocol import (
    FunctionCallItem,
    FunctionCallOutputItem,
    Item,
    assistant_text,
    user_text,
)


@dataclass(eq=False)
class _Message:
    role: str
    chunks: list[str] = field(default_factory=list)
    heard_fraction: float = 1.0

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def replay_text(self) -> str:
        text = self.text
        return text if self.heard_fraction >= 1.0 else text[: int(len(text) * self.heard_fraction)]


@dataclass(eq=False)
class _Call:
    call_id: str
    name: str = ""
    arguments: str = ""
    output: str | None = None


DEFAULT_MAX_ENTRIES = 200


class ConversationRecord:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"a conversation record must keep at least one entry, got {max_entries}")
        self._entries: dict[str, _Message | _Call] = {}
        self._max_entries = max_entries
        self._counter = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _entry(self, key: str, new: _Message | _Call) -> _Message | _Call:
        """The entry under `key`, adding `new` (and forgetting the oldest beyond the bound) if absent."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = new
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]
        return entry

    # -- messages ------------------------------------------------------------------------------

    def user_text(self, text: str) -> None:
        self._counter += 1
        self._entry(f"user#{self._counter}", _Message("user", [text]))

    def user_audio(self, item_id: str) -> None:
        """Spoken input: its place in the conversation; the transcript comes later, if at all."""
        self._entry(item_id, _Message("user"))

    def user_transcript(self, item_id: str, transcript: str) -> None:
        entry = self._entry(item_id, _Message("user"))
        if isinstance(entry, _Message):
            entry.chunks = [transcript]

    def assistant_delta(self, item_id: str, delta: str) -> None:
        entry = self._entry(item_id, _Message("assistant"))
        if isinstance(entry, _Message):
            entry.chunks.append(delta)

    def assistant_final(self, item_id: str, text: str) -> None:
        entry = self._entry(item_id, _Message("assistant"))
        if isinstance(entry, _Message) and text:
            entry.chunks = [text]

    def text_of(self, item_id: str) -> str:
        entry = self._entries.get(item_id)
        return entry.text if isinstance(entry, _Message) else ""

    def heard(self, item_id: str, fraction: float) -> None:
        entry = self._entries.get(item_id)
        if isinstance(entry, _Message):
            entry.heard_fraction = min(max(fraction, 0.0), 1.0)

    def cut(self, item_id: str, max_chars: int) -> None:
        """Keep at most `max_chars` of what was heard of a message (a guardrail stopped it there)."""
        entry = self._entries.get(item_id)
        if isinstance(entry, _Message):
            entry.chunks = [entry.replay_text()[: max(max_chars, 0)]]
            entry.heard_fraction = 1.0

    def delete(self, item_id: str) -> None:
        self._entries.pop(item_id, None)

    # -- calls ---------------------------------------------------------------------------------

    def call(self, call_id: str, name: str = "", arguments: str = "") -> None:
        entry = self._entry(f"call#{call_id}", _Call(call_id))
        if isinstance(entry, _Call):
            entry.name = name or entry.name
            entry.arguments = arguments or entry.arguments

    def call_output(self, call_id: str, output: str) -> None:
        entry = self._entries.get(f"call#{call_id}")
        if isinstance(entry, _Call):
            entry.output = output

    def drop_call(self, call_id: str) -> None:
        self._entries.pop(f"call#{call_id}", None)

    # -- export, for a conversation that continues in another process ---------------------------

    def export(self) -> list[dict[str, Any]]:
        """The conversation as JSON-able entries, oldest first: `{"role", "text"}` for a message
        (as heard), `{"call_id", "name", "arguments", "output"}` for a call (`output` None while it
        runs). `restore` takes them back."""
        entries: list[dict[str, Any]] = []
        for entry in self._entries.values():
            if isinstance(entry, _Call):
                entries.append(
                    {
                        "call_id": entry.call_id,
                        "name": entry.name,
                        "arguments": entry.arguments,
                        "output": entry.output,
                    }
                )
            elif text := entry.replay_text():
                entries.append({"role": entry.role, "text": text})
        return entries

    def restore(self, entries: list[dict[str, Any]]) -> None:
        """Append exported entries (the latest `max_entries` are kept); ValueError on malformed ones,
        with nothing appended."""
        parsed = [_parse_entry(entry) for entry in entries]
        for entry in parsed:
            self._counter += 1
            key = f"call#{entry.call_id}" if isinstance(entry, _Call) else f"restored#{self._counter}"
            self._entry(key, entry)

    # -- replay --------------------------------------------------------------------------------

    def replay(self) -> list[Item]:
        """The items that rebuild this conversation in a fresh session, in order."""
        items: list[Item] = []
        for entry in self._entries.values():
            if isinstance(entry, _Call):
                items.append(
                    FunctionCallItem(call_id=entry.call_id, name=entry.name, arguments=entry.arguments)
                )
                if entry.output is not None:
                    items.append(FunctionCallOutputItem(call_id=entry.call_id, output=entry.output))
                continue
            text = entry.replay_text()
            if text:
                items.append(user_text(text) if entry.role == "user" else assistant_text(text))
        return items


def _parse_entry(data: object) -> _Message | _Call:
    if not isinstance(data, dict):
        raise ValueError("a conversation entry must be an object")
    if "call_id" in data:
        call_id, name, arguments, output = (data.get(k) for k in ("call_id", "name", "arguments", "output"))
        if not (
            isinstance(call_id, str) and call_id and isinstance(name, str) and isinstance(arguments, str)
        ):
            raise ValueError("a call entry needs a call_id, a name and arguments (text)")
        if output is not None and not isinstance(output, str):
            raise ValueError("a call's output must be text or null")
        return _Call(call_id, name, arguments, output)
    role, text = data.get("role"), data.get("text")
    if role not in ("user", "assistant") or not isinstance(text, str):
        raise ValueError("a message entry needs a role (user or assistant) and text")
    return _Message(role, [text])
