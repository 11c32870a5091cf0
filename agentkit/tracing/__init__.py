"""OpenTelemetry tracing for sessions: spans and metrics from the session observer hooks.

`TracingObserver` needs only `opentelemetry-api`; `agentkit.tracing.jsonl` (the trace file) needs
the SDK (`pip install opentelemetry-sdk`, or `pip install 'agentkit[trace]'` from PyPI).
See `docs/observability.md`.
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.tracing.observer import TracingObserver as TracingObserver

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "observer": ("TracingObserver",),
    },
)
