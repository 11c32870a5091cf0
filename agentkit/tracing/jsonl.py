"""A span exporter that appends one JSON object per finished span to a file (needs the SDK:
`pip install opentelemetry-sdk`), and `install_trace_file`, which the example bot's `--trace-file`
calls.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

from agentkit.tracing.spanfile import SpanEvent, SpanLink, SpanRecord

__all__ = ["JsonLinesSpanExporter", "install_trace_file", "span_record"]


class JsonLinesSpanExporter(SpanExporter):
    """Writes each finished span as one line of JSON (see `agentkit.tracing.spanfile`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(s).to_json(), default=str) + "\n" for s in spans)
        with self._lock:
            if self._file is None:
                return SpanExportResult.FAILURE
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            if self._file is not None:
                self._file.flush()
        return True

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def span_record(span: ReadableSpan) -> SpanRecord:
    """The file's view of a finished SDK span."""
    context = span.get_span_context()
    if context is None:
        raise ValueError(f"span {span.name!r} has no span context")
    return SpanRecord(
        name=span.name,
        trace_id=format_trace_id(context.trace_id),
        span_id=format_span_id(context.span_id),
        parent_span_id=format_span_id(span.parent.span_id) if span.parent is not None else None,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or span.start_time or 0,
        attributes=_plain(span.attributes),
        events=tuple(SpanEvent(e.name, e.timestamp, _plain(e.attributes)) for e in span.events),
        links=tuple(
            SpanLink(
                format_trace_id(link.context.trace_id),
                format_span_id(link.context.span_id),
                _plain(link.attributes),
            )
            for link in span.links
        ),
        status=span.status.status_code.name,
        status_description=span.status.description,
        kind=span.kind.name,
    )


def _plain(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Attribute values as JSON has them: sequences become lists."""
    return {
        key: list(value) if isinstance(value, (tuple, list)) else value
        for key, value in (attributes or {}).items()
    }


def install_trace_file(path: str | Path, *, set_global: bool = True) -> TracerProvider:
    """A tracer provider that writes every finished span to `path` (appending), as it ends.

    With `set_global` it also becomes the global provider, so spans from instrumented libraries
    that tools use (httpx, databases) land in the same file. Call `shutdown()` on it when done.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": "agentkit"}))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    if set_global:
        trace.set_tracer_provider(provider)
    return provider
