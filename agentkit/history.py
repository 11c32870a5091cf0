"""Conversations that outlive a session: `session.history()` exports one as a JSON-ready document,
and `agent.connect(history=...)` continues it in a new session (another process, another day).

The document is the engine's bounded replay record (messages as heard, calls with their outputs) plus
the agent that was speaking, under a format name and version so a reader knows what it holds:

    {"format": "agentkit.history", "version": 1, "agent": "refunds",
     "entries": [{"role": "user", "text": "..."}, {"call_id": "...", "name": "...",
                 "arguments": "{...}", "output": "..."}, ...]}

A bare list of entries (what `Session.conversation()` returns) is accepted too. Anything that does not
parse is a `HistoryError` that says where, raised before a connection opens, so nothing is half-loaded.
A call saved while it still ran is continued as interrupted (it is not run again), so every call in
the new session has its one output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agentkit.engine.calls import cancelled_output
from agentkit.engine.record import ConversationRecord

HISTORY_FORMAT = "agentkit.history"
HISTORY_VERSION = 1
UNFINISHED_REASON = "the conversation was saved while it ran; it was not run again"


class HistoryError(ValueError):
    """A history that cannot be continued: not JSON, another format or version, or a bad entry."""


@dataclass(frozen=True, slots=True)
class History:
    """A parsed history: its entries (every call answered) and the agent that was speaking."""

    entries: list[dict[str, Any]]
    agent: str | None = None


def export_history(entries: list[dict[str, Any]], agent: str) -> dict[str, Any]:
    return {"format": HISTORY_FORMAT, "version": HISTORY_VERSION, "agent": agent, "entries": entries}


def parse_history(data: object) -> History:
    """A history from `session.history()`'s document (as a dict or JSON text) or a bare entry list."""
    if isinstance(data, (str, bytes, bytearray)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"the history is not valid JSON: {exc}") from None
    agent: str | None = None
    if isinstance(data, dict):
        if data.get("format") != HISTORY_FORMAT:
            raise HistoryError(
                f"the history's format is {data.get('format')!r}, expected {HISTORY_FORMAT!r} "
                "(the document session.history() returns)"
            )
        if data.get("version") != HISTORY_VERSION:
            raise HistoryError(
                f"history version {data.get('version')!r} is not supported (this agentkit reads "
                f"version {HISTORY_VERSION})"
            )
        agent = data.get("agent")
        if agent is not None and not isinstance(agent, str):
            raise HistoryError("the history's agent must be a name (text)")
        data = data.get("entries")
    if not isinstance(data, list):
        raise HistoryError(f"the history's entries must be a list, got {type(data).__name__}")
    entries: list[dict[str, Any]] = []
    for index, entry in enumerate(data):
        try:
            ConversationRecord().restore([entry])  # the record's own parser says what is wrong
        except ValueError as exc:
            raise HistoryError(f"history entry {index}: {exc}") from None
        if "call_id" in entry and entry.get("output") is None:
            entry = {**entry, "output": cancelled_output(UNFINISHED_REASON)}
        entries.append(dict(entry))
    return History(entries, agent)
