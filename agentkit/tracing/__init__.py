"""OpenTelemetry tracing for sessions: spans and metrics from the session observer hooks.

`TracingObserver` needs only `opentelemetry-api`; `agentkit.tracing.jsonl` (the trace file) needs
the SDK (`pip install agentkit[trace]`). See `docs/observability.md`.
"""

from agentkit.tracing.observer import TracingObserver

__all__ = ["TracingObserver"]
