"""`--trace-file PATH`: spans of a command-line session, appended to a JSON-lines file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentkit.observer import SessionObserver


class TraceFileUnavailable(RuntimeError):
    """The OpenTelemetry SDK, which writes the file, is not installed."""


@contextmanager
def trace_file_observer(path: str | Path | None) -> Iterator[SessionObserver | None]:
    """An observer that traces one session into `path` (None: no tracing); flushed on exit."""
    if path is None:
        yield None
        return
    try:
        from agentkit.tracing import TracingObserver
        from agentkit.tracing.jsonl import install_trace_file
    except ImportError as exc:
        raise TraceFileUnavailable(
            f"--trace-file needs the OpenTelemetry SDK ({exc}): pip install opentelemetry-sdk"
        ) from exc
    provider = install_trace_file(path, set_global=False)
    try:
        yield TracingObserver(tracer_provider=provider)
    finally:
        provider.shutdown()
