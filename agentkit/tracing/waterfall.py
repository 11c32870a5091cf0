"""Spans grouped into waterfalls: one panel per trace (a turn, a reconnect), one row per span.

Rows keep the span tree's order (a parent, then its children by start time), so a turn reads as
its responses with their tool calls interleaved, and parallel calls sit on rows of their own with
overlapping bars. Pure data: `agentkit.tracing.svg` draws it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from agentkit.tracing.spanfile import SpanEvent, SpanRecord

__all__ = ["Marker", "Panel", "Row", "build_panels"]

_FIRST_AUDIO = "agentkit.turn.time_to_first_audio_ms"
_FIRST_TEXT = "agentkit.turn.time_to_first_text_ms"
_USER_INPUT = "agentkit.turn.user_input"
_TITLE_WORDS = 90
"""Characters of what the user said that a panel's title shows."""


@dataclass(frozen=True)
class Marker:
    """A point on a row: a span event, or the turn's first audio / first text."""

    offset_ns: int
    label: str
    error: bool = False


@dataclass(frozen=True)
class Row:
    span: SpanRecord
    depth: int
    offset_ns: int
    """Start, relative to the panel's start."""
    markers: tuple[Marker, ...]

    @property
    def category(self) -> str:
        """`turn`, `response`, `tool`, `reconnect` or `other`: picks the bar colour."""
        operation = self.span.attributes.get("gen_ai.operation.name")
        if operation == "invoke_agent":
            return "turn"
        if operation == "chat":
            return "response"
        if operation == "execute_tool":
            return "tool"
        return "reconnect" if self.span.name.startswith("reconnect") else "other"

    @property
    def failed(self) -> bool:
        return self.span.status == "ERROR"


@dataclass(frozen=True)
class Panel:
    title: str
    start_ns: int
    duration_ns: int
    rows: tuple[Row, ...]


def build_panels(spans: Iterable[SpanRecord]) -> list[Panel]:
    """One panel per trace, in order of start. A trace whose spans lost their parent (a partial
    file) still shows: every span without a parent in the file starts a tree of its own. A trace
    with nothing to draw (one instant span and no events, such as the zero-length `connect` span
    older versions wrote) is left out."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    panels = [_panel(trace_spans) for trace_spans in by_trace.values()]
    return sorted((panel for panel in panels if not _empty(panel)), key=lambda panel: panel.start_ns)


def _empty(panel: Panel) -> bool:
    return panel.duration_ns == 0 and all(not row.markers for row in panel.rows)


def _panel(spans: list[SpanRecord]) -> Panel:
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        parent = span.parent_span_id if span.parent_span_id in ids else None
        children[parent].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: (s.start_ns, s.end_ns))
    start = min(span.start_ns for span in spans)
    end = max(span.end_ns for span in spans)
    rows: list[Row] = []
    pending = [(root, 0) for root in reversed(children[None])]
    while pending:
        span, depth = pending.pop()
        rows.append(Row(span, depth, span.start_ns - start, _markers(span, start)))
        pending.extend((child, depth + 1) for child in reversed(children[span.span_id]))
    return Panel(_title(rows), start, max(end - start, 0), tuple(rows))


def _title(rows: list[Row]) -> str:
    """A turn by what the user said (recorded with `record_content=True`), else by the tools it
    called; any other trace by its root span's name."""
    root = rows[0].span
    number = root.attributes.get("agentkit.turn.number")
    if number is None:
        return root.name
    said = root.attributes.get(_USER_INPUT)
    tools = list(dict.fromkeys(row.span.attributes.get("gen_ai.tool.name") for row in rows[1:]))
    called = [str(name) for name in tools if name]
    if isinstance(said, str) and said.strip():
        words = " ".join(said.split())
        clipped = words if len(words) <= _TITLE_WORDS else words[: _TITLE_WORDS - 1] + "…"
        title = f"Turn {number}: “{clipped}”"
    else:
        title = f"Turn {number}" + (f": {', '.join(called)}" if called else "")
    if root.attributes.get("agentkit.turn.interrupted") is True:
        title += " (interrupted)"
    return title


def _markers(span: SpanRecord, panel_start: int) -> tuple[Marker, ...]:
    markers = [_event_marker(event, panel_start) for event in span.events]
    for key, label in ((_FIRST_AUDIO, "first audio"), (_FIRST_TEXT, "first text")):
        value = span.attributes.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            markers.append(Marker(span.start_ns - panel_start + int(value * 1e6), label))
    return tuple(sorted(markers, key=lambda marker: marker.offset_ns))


def _event_marker(event: SpanEvent, panel_start: int) -> Marker:
    failed = event.name in ("error", "reconnect_failed", "connection_lost")
    return Marker(event.time_ns - panel_start, event.name, failed)
