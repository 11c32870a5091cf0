"""Secrets stay out of logs and traces however the relay is served: client tokens and tickets in the
servers' DEBUG and access logs, and a model key that a hostile service echoes back in an error or a
close reason. Tickets also have a transport that access logs never see (a subprotocol)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from agentkit import Agent
from agentkit.connection import Endpoint
from agentkit.relay import Relay, RelayServer, TicketSigner, bearer_auth
from agentkit.relay.serving import SERVER_LOGGERS
from agentkit.session import SessionClosed
from agentkit.tracing import TracingObserver

from .relay_helpers import SERVER_MODES, Client, client, make_agent, running_relay

pytestmark = pytest.mark.anyio

SIGNER = TicketSigner("a-secrets-test-secret-of-32-bytes!")


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_a_ticket_offered_as_a_subprotocol_lets_the_page_in_and_is_never_echoed(mode: str) -> None:
    async with running_relay(mode=mode, auth=SIGNER.auth()) as (_, server):
        ticket = SIGNER.issue("user-1")
        offered = ["agentkit.relay", f"agentkit.ticket.{ticket}"]
        async with connect(server.ws_url, subprotocols=offered) as websocket:  # type: ignore[arg-type]
            assert websocket.subprotocol == "agentkit.relay"
            assert ticket not in str(websocket.response.headers)
            await Client(websocket).until_type("session.created")
        with pytest.raises(Exception, match="401"):  # spent: a replay of the same header is refused
            async with connect(server.ws_url, subprotocols=offered):  # type: ignore[arg-type]
                pass


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_credentials_never_reach_the_servers_logs_even_at_debug(mode: str, caplog: Any) -> None:
    token = "client-token-7d1e"
    async with running_relay(mode=mode, auth=bearer_auth([token])) as (_, server), server_logs(caplog):
        with caplog.at_level(logging.DEBUG):
            async with client(server, additional_headers={"Authorization": f"Bearer {token}"}) as user:
                await user.until_type("session.created")
            async with connect(f"{server.ws_url}?token={token}") as websocket:
                await Client(websocket).until_type("session.created")
            ticket = SIGNER.issue("u")
            for url in (f"{server.ws_url}?ticket={ticket}", f"{server.http_url}?ticket={ticket}"):
                with pytest.raises(Exception):  # noqa: B017 (refused: not this relay's auth; or not a WebSocket)
                    async with connect(url, subprotocols=["agentkit.relay", f"agentkit.ticket.{ticket}"]):  # type: ignore[list-item]
                        pass
            await anyio.sleep(0.1)  # let the servers write their access lines
        served = [r for r in caplog.records if r.name != "websockets.client"]  # the test's own client
        logged = "\n".join(record.getMessage() for record in served)
        assert logged  # the servers did log the requests
        for secret in (token, ticket, ticket.split(".")[1]):
            assert secret not in logged
        if mode == "uvicorn":  # uvicorn writes each WebSocket request line, query and all
            assert "?ticket=***" in logged


@asynccontextmanager
async def server_logs(caplog: Any) -> AsyncIterator[None]:
    """Every server logger at DEBUG into `caplog`, even those that do not propagate (uvicorn's)."""
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
            logger.removeHandler(caplog.handler)


# -- a model service that echoes the key back -------------------------------------------------------

MODEL_KEY = "sk-model-key-5b2c9e"
FAKE_MODEL_LOGGER = "tests.fake_model"
"""The fake service's own log (it sees the key, as the real service does): not agentkit's to redact."""


@asynccontextmanager
async def model_echoing_its_key() -> AsyncIterator[str]:
    """On the first `response.create`: an error quoting the key, then a close whose reason quotes it."""

    async def handler(websocket: ServerConnection) -> None:
        session = {"type": "realtime", "id": "sess_1", "model": "m"}
        await websocket.send(json.dumps({"type": "session.created", "session": session}))
        async for frame in websocket:
            if json.loads(frame).get("type") != "response.create":
                continue
            message = f"Incorrect API key provided: {MODEL_KEY}."
            error = {"type": "invalid_request_error", "code": "invalid_api_key", "message": message}
            await websocket.send(json.dumps({"type": "error", "error": error}))
            await websocket.close(1008, f"bad key {MODEL_KEY}")
            return

    async with serve(handler, "127.0.0.1", 0, logger=logging.getLogger(FAKE_MODEL_LOGGER)) as model:
        port = next(iter(model.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime"


async def test_a_key_the_service_echoes_never_reaches_logs_traces_or_the_client(
    tmp_path: Path, caplog: Any
) -> None:
    from agentkit.tracing.jsonl import install_trace_file

    trace = tmp_path / "trace.jsonl"
    provider = install_trace_file(trace, set_global=False)
    async with model_echoing_its_key() as url:
        endpoint = Endpoint.custom(url, api_key=MODEL_KEY)
        agent = Agent("shop", "You help.", reconnect=None)
        with caplog.at_level(logging.DEBUG):
            observer = TracingObserver(tracer_provider=provider)
            async with agent.connect(endpoint, observer=observer) as session:
                with pytest.raises(SessionClosed):  # the service closed on us
                    await session.ask("hello", timeout=10)
            relay = Relay(make_agent(), endpoint)
            async with RelayServer(relay) as server, client(server) as user:
                await user.until_type("session.created")
                await user.say("hello")
                with anyio.fail_after(10):
                    while True:
                        try:
                            await user.next_event()
                        except Exception:
                            break
    provider.shutdown()
    ours = [r for r in caplog.records if r.name != FAKE_MODEL_LOGGER]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "Incorrect API key" in logged or "bad key" in logged  # the failure itself is reported
    assert MODEL_KEY not in logged
    assert MODEL_KEY not in trace.read_text()
    assert MODEL_KEY not in "\n".join(user.frames)


def test_the_filter_keeps_an_access_formatters_arguments_and_masks_split_headers() -> None:
    from uvicorn.logging import AccessFormatter

    from agentkit.connection.secrets import RedactingFilter

    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/voice/?ticket=t1ck3t&x=1", "1.1", 200),
        None,
    )
    assert RedactingFilter().filter(access)
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(access)
    assert "t1ck3t" not in line
    assert "/voice/?ticket=***&x=1" in line
    header = logging.LogRecord(
        "uvicorn.error", 10, __file__, 1, "< %s: %s", ("authorization", "Bearer b34r"), None
    )
    RedactingFilter().filter(header)
    assert "b34r" not in header.getMessage()
