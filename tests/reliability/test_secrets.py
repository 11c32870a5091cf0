"""Secrets never leak: a representative slice of agentkit (keys in every placement, Entra tokens, a
refused key, server errors, a reconnect, tool logs, tracing with content recording on) runs with every
logger at DEBUG; every log line, exception text and span attribute it produced is searched for the
configured keys and tokens."""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import Agent, Endpoint, ToolContext, tool
from agentkit.connection.auth import KeyPlacement
from agentkit.protocol import Dialect, ErrorDetail, MessageItem
from agentkit.session import ReconnectPolicy
from agentkit.testing import Call, Faults, LocalRealtimeServer, ModelContext, Say
from agentkit.tracing import TracingObserver

pytestmark = pytest.mark.anyio

KEY = "sk-test-" + secrets.token_hex(16)
TOKEN = "eyJ0eXAi." + secrets.token_hex(16)
WRONG_KEY = "sk-wrong-" + secrets.token_hex(16)
SECRETS = (KEY, TOKEN, WRONG_KEY)


@dataclass
class _Token:
    token: str
    expires_on: int


class _Credential:
    async def get_token(self, *scopes: str, **kwargs: Any) -> _Token:
        await anyio.lowlevel.checkpoint()
        return _Token(TOKEN, int(time.time()) + 3600)


class _Model:
    def respond(self, context: ModelContext) -> Sequence[Say | Call]:
        last = context.items[-1] if context.items else None
        if isinstance(last, MessageItem) and last.role == "user":
            return [Call("lookup", {"order_id": "A-1"})]
        return [Say("Shipped.")]


@tool
async def lookup(ctx: ToolContext[None], order_id: str) -> str:
    """Find an order.

    Args:
        order_id: The order number.
    """
    ctx.logger.debug("looking up %s", order_id)
    return f"{order_id} shipped"


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[_Everything]:
    handler = _Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_no_key_or_token_appears_in_logs_exceptions_or_spans(every_log_line: _Everything) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    texts: list[str] = []
    agent = Agent(
        "shop",
        tools=[lookup],
        output_modalities=["text"],
        observers=[TracingObserver(tracer_provider=provider, record_content=True)],
        reconnect=ReconnectPolicy(max_attempts=2, initial_delay=0.0, max_delay=0.0),
    )
    error = ErrorDetail(type="invalid_request_error", code="invalid_value", message="injected")
    async with LocalRealtimeServer(
        api_key=KEY, accepted_tokens=[TOKEN], model=_Model(), faults=Faults(error=error)
    ) as server:
        url = server.url(Dialect.GA, "azure")
        placements: list[KeyPlacement] = ["api-key", "bearer", "query"]
        endpoints = [Endpoint.custom(url, api_key=KEY, key_placement=p) for p in placements]
        endpoints.append(Endpoint.custom(url, credential=_Credential()))
        with anyio.fail_after(30):
            for endpoint in endpoints:
                texts += [repr(endpoint), str(endpoint)]
                async with agent.connect(endpoint) as session:
                    texts.append(repr(session))
                    turn = await session.ask("Where is A-1?", timeout=10)
                    texts.append(repr(turn))
                    await server.connections[-1].expire()  # a reconnect with the same secret
                    turn = await session.ask("And now?", timeout=10)
                    texts.append(repr(turn))
            refused = Endpoint.custom(url, api_key=WRONG_KEY, key_placement="query")
            for attempt in (refused.connect(), agent.connect(refused).__aenter__()):
                with pytest.raises(Exception) as caught:
                    await attempt
                texts += [str(caught.value), repr(caught.value), *traceback.format_exception(caught.value)]
    provider.shutdown()

    spans = exporter.get_finished_spans()
    assert spans, "tracing produced nothing: the test would prove nothing"
    for span in spans:
        texts += [span.name, str(dict(span.attributes or {})), str(span.status.description)]
        texts += [f"{event.name} {dict(event.attributes or {})}" for event in span.events]
    texts += every_log_line.lines
    assert any("looking up A-1" in line for line in every_log_line.lines), "tool logs were not captured"
    assert any("401" in text for text in texts), "the refused key left no trace to search"
    leaks = [_redact(text) for text in texts if any(secret in text for secret in SECRETS)]
    assert not leaks, f"{len(leaks)} texts hold a configured secret (shown redacted): {leaks[:5]}"


def _redact(text: str) -> str:
    for secret in SECRETS:
        text = text.replace(secret, "<SECRET>")
    return text
