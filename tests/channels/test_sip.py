"""SIP through the Realtime service: the webhook route against the local server's calls endpoints."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from agentkit import Endpoint
from agentkit.channels import Accept, IncomingCall, PhoneRoutes, Reject
from agentkit.channels.server import AsgiServer
from agentkit.channels.sip import CallControl, CallControlError, SipChannel, call_tools
from agentkit.channels.sip.control import calls_url
from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem
from agentkit.testing import LocalRealtimeServer
from agentkit.testing.callers import SipCaller
from agentkit.tools.execute import execute_tool
from examples.customer_service.bot import build_agent
from examples.customer_service.db import ShopDatabase

pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")
pytestmark = pytest.mark.anyio

SECRET = "whsec_" + base64.b64encode(b"sip-webhook-test-secret-32-bytes!").decode()


@dataclass
class Sip:
    webhook_url: str
    server: LocalRealtimeServer
    channel: SipChannel


@asynccontextmanager
async def sip_app(tmp_path: Path, *, azure: bool = False, **options: Any) -> AsyncIterator[Sip]:
    async with LocalRealtimeServer() as server:
        agent = build_agent(ShopDatabase(tmp_path / "shop.sqlite3"), speak=True, listen=True)
        options.setdefault("attach", None)  # most tests look at the webhook only
        endpoint = server.endpoint()
        if azure:  # Azure OpenAI's GA form: /openai/v1/realtime, the key in the api-key header
            endpoint = Endpoint.azure(server.http_url, "gpt-realtime", api_key=server.api_key)
        channel = SipChannel(agent, endpoint, webhook_secret=SECRET, **options)
        async with AsgiServer(PhoneRoutes(channel.routes())) as app:
            yield Sip(app.http_url + "/sip/webhook", server, channel)


@pytest.mark.parametrize("azure", [False, True], ids=["openai", "azure"])
async def test_a_signed_incoming_call_is_accepted_with_the_agents_session(
    tmp_path: Path, azure: bool
) -> None:
    async with sip_app(tmp_path, azure=azure) as sip:
        caller = SipCaller(sip.server, sip.webhook_url, SECRET)
        response = await caller.ring()
    assert response.status_code == 200
    assert caller.call.state == "accepted"
    session = caller.call.session
    assert session is not None
    assert session["type"] == "realtime"
    assert session["instructions"] == sip.channel.agent.instructions
    names = {t["name"] for t in session["tools"]}
    assert {"lookup_order", "transfer_call", "end_call"} <= names


async def test_a_whole_sip_call_the_agent_attaches_runs_the_tool_and_ends_with_the_call(
    tmp_path: Path,
) -> None:
    async with sip_app(tmp_path, attach=True) as sip:
        caller = SipCaller(sip.server, sip.webhook_url, SECRET)
        async with anyio.create_task_group() as tg:
            tg.start_soon(caller.ring)  # the webhook's request goes on while the agent serves the call
            with anyio.fail_after(20):
                while not sip.channel.active:  # noqa: ASYNC110 (the channel's own count)
                    await anyio.sleep(0.01)
                while caller.call_id not in sip.server.calls:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                call = sip.server.calls[caller.call_id]
                # Speak once the agent's session is on the call (as a caller hears the greeting first).
                while not (call.sidebands and "session.updated" in call.sidebands[0].received_types()):  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                await caller.say("Where is my order A-1001?")
                while not any("A-1001" in e.output for e in posted(call)):  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                while not call.played:  # noqa: ASYNC110 (the answer reaches the caller as media)
                    await anyio.sleep(0.01)
            await caller.hang_up()
            with anyio.fail_after(10):
                while sip.channel.active:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
    [sideband] = call.sidebands
    assert sideband.sent_types()[0] == "session.update"  # the agent's own session, over the sideband


def posted(call: Any) -> list[Any]:
    return [
        e.item
        for e in call.connection.received
        if isinstance(e, ConversationItemCreate) and isinstance(e.item, FunctionCallOutputItem)
    ]


async def test_the_screen_rejects_with_a_sip_status_and_sees_the_caller(tmp_path: Path) -> None:
    seen: list[IncomingCall] = []

    def after_hours(call: IncomingCall) -> Accept | Reject:
        seen.append(call)
        return Reject("closed for the night", sip_status=486)

    async with sip_app(tmp_path, screen=after_hours) as sip:
        caller = SipCaller(sip.server, sip.webhook_url, SECRET, caller="+15557654321")
        assert (await caller.ring()).status_code == 200
    assert (caller.call.state, caller.call.reject_status) == ("rejected", 486)
    assert seen[0].caller == "sip:+15557654321@sip.example.com"
    assert seen[0].call_id == caller.call_id


async def test_forged_expired_and_replayed_webhooks_are_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "whsec_" + base64.b64encode(b"another-secret-entirely-32-bytes").decode()
    async with sip_app(tmp_path) as sip:
        forged = SipCaller(sip.server, sip.webhook_url, SECRET)
        assert (await forged.ring(secret=wrong)).status_code == 401
        stale = SipCaller(sip.server, sip.webhook_url, SECRET)
        assert (await stale.ring(timestamp=int(time.time()) - 3600)).status_code == 401
        future = SipCaller(sip.server, sip.webhook_url, SECRET)
        assert (await future.ring(timestamp=int(time.time()) + 3600)).status_code == 401
        # A genuine delivery, then the very same bytes again: accepted once only.
        genuine = SipCaller(sip.server, sip.webhook_url, SECRET)
        body = json.dumps(genuine.event()).encode()
        headers = genuine.headers(body)
        assert (await genuine.deliver(body, headers)).status_code == 200
        assert (await genuine.deliver(body, headers)).status_code == 409
        # A tampered body under a genuine signature.
        tampered = SipCaller(sip.server, sip.webhook_url, SECRET)
        body = json.dumps(tampered.event()).encode()
        headers = tampered.headers(body)
        assert (
            await tampered.deliver(body.replace(b"sip.example.com", b"evil.example"), headers)
        ).status_code == 401
        async with httpx.AsyncClient() as http:
            assert (await http.get(sip.webhook_url)).status_code == 405
    for refused in (forged, stale, future, tampered):
        assert refused.call.state == "ringing"
        assert refused.call.actions == []
    assert genuine.call.actions == ["accept"]
    assert "refused a webhook" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET.removeprefix("whsec_") not in caplog.text


async def test_refer_and_hangup_as_app_functions_and_as_the_agents_tools(tmp_path: Path) -> None:
    async with sip_app(tmp_path) as sip:
        first = SipCaller(sip.server, sip.webhook_url, SECRET)
        await first.ring()
        await sip.channel.refer(first.call_id, "+15550001111")
        assert (first.call.state, first.call.refer_target) == ("referred", "tel:+15550001111")
        await sip.channel.hangup(first.call_id)
        assert first.call.state == "ended"
        # The tools, limited to one transfer target.
        second = SipCaller(sip.server, sip.webhook_url, SECRET)
        await second.ring()
        control = CallControl(sip.server.endpoint())
        transfer, end = call_tools(control, second.call_id, transfer_targets=["sip:desk@shop.example"])
        refused = await execute_tool(
            transfer, name="transfer_call", call_id="c1", arguments='{"target": "+4412345678"}'
        )
        assert refused.status == "tool_error"
        assert second.call.state == "accepted"
        done = await execute_tool(
            transfer, name="transfer_call", call_id="c2", arguments='{"target": "sip:desk@shop.example"}'
        )
        assert done.status == "ok"
        assert second.call.refer_target == "sip:desk@shop.example"
        assert (await execute_tool(end, name="end_call", call_id="c3", arguments="{}")).status == "ok"
        assert second.call.state == "ended"
        # The service's refusal is an error with its words and no key.
        with pytest.raises(CallControlError) as failure:
            await control.hangup(second.call_id)
        assert failure.value.status == 409
        assert "local-key" not in str(failure.value)


def test_the_calls_url_follows_the_endpoint_openai_a_base_url_or_azure() -> None:
    assert calls_url(Endpoint.openai("sk-test")) == "https://api.openai.com/v1/realtime/calls"
    gateway = Endpoint.openai("sk-test", base_url="https://gateway.example/v1")
    assert calls_url(gateway) == "https://gateway.example/v1/realtime/calls"
    azure = Endpoint.azure("https://res.openai.azure.com", "gpt-realtime", api_key="k")
    assert calls_url(azure) == "https://res.openai.azure.com/openai/v1/realtime/calls"
