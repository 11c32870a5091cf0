"""The trace file format: one finished span per line as a JSON object, and its reader.

Kept free of the OpenTelemetry SDK so that `agentkit trace` can read a file anywhere. Ids are lower
-case hex (32 digits for traces, 16 for spans), times are integer nanoseconds since the epoch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SpanEvent", "SpanLink", "SpanRecord", "TraceFileError", "read_spans"]


class TraceFileError(ValueError):
    """A trace file that cannot be read, with the line that is wrong."""


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpanLink:
    trace_id: str
    span_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpanRecord:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int
    attributes: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    links: tuple[SpanLink, ...] = ()
    status: str = "UNSET"
    """`UNSET`, `OK` or `ERROR`."""
    status_description: str | None = None
    kind: str = "INTERNAL"

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "attributes": dict(self.attributes),
            "events": [
                {"name": e.name, "time_ns": e.time_ns, "attributes": dict(e.attributes)} for e in self.events
            ],
            "links": [
                {"trace_id": k.trace_id, "span_id": k.span_id, "attributes": dict(k.attributes)}
                for k in self.links
            ],
            "status": {"code": self.status, "description": self.status_description},
        }

    @classmethod
    def from_json(cls, data: Any) -> SpanRecord:
        """Parse one line's object; raises `ValueError`, `KeyError` or `TypeError` when malformed."""
        if not isinstance(data, dict):
            raise TypeError("a span must be a JSON object")
        status = data.get("status") or {}
        return cls(
            name=_text(data, "name"),
            trace_id=_text(data, "trace_id"),
            span_id=_text(data, "span_id"),
            parent_span_id=data.get("parent_span_id") or None,
            start_ns=_integer(data, "start_ns"),
            end_ns=_integer(data, "end_ns"),
            attributes=_mapping(data.get("attributes")),
            events=tuple(
                SpanEvent(_text(e, "name"), _integer(e, "time_ns"), _mapping(e.get("attributes")))
                for e in _objects(data.get("events"))
            ),
            links=tuple(
                SpanLink(_text(k, "trace_id"), _text(k, "span_id"), _mapping(k.get("attributes")))
                for k in _objects(data.get("links"))
            ),
            status=str(status.get("code") or "UNSET"),
            status_description=status.get("description"),
            kind=str(data.get("kind") or "INTERNAL"),
        )


def read_spans(path: str | Path) -> list[SpanRecord]:
    """Every span in a trace file; blank lines are skipped, anything else malformed is an error."""
    try:
        with open(path, encoding="utf-8") as file:
            return list(_parse_lines(file, str(path)))
    except OSError as error:
        raise TraceFileError(f"cannot read trace file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise TraceFileError(f"{path} is not a trace file (not UTF-8 text)") from None


def _parse_lines(lines: Iterable[str], source: str) -> Iterator[SpanRecord]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield SpanRecord.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise TraceFileError(f"{source}, line {number}: not a span ({reason})") from None
        except RecursionError:
            raise TraceFileError(f"{source}, line {number}: not a span (nested too deeply)") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string")
    return value


def _integer(data: Mapping[str, Any], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key!r} must be an integer")
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("attributes must be a JSON object")
    return value


def _objects(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TypeError("events and links must be lists of objects")
    return value
