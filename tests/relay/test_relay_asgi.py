"""The relay as an ASGI app, mounted in Starlette and served by uvicorn on loopback: the page, the
WebSocket, refusals before the upgrade. Also the standalone server's page routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agentkit.connection import Endpoint
from agentkit.relay import Relay, TicketSigner
from agentkit.relay.assets import titled_page
from agentkit.testing import LocalRealtimeServer

from .relay_helpers import NOTICES, Client, make_agent, running_relay, tracking_number

starlette = pytest.importorskip("starlette", reason="starlette is in the test extra")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")

pytestmark = pytest.mark.anyio

SIGNER = TicketSigner("an-asgi-test-secret-32-bytes-long")


@asynccontextmanager
async def starlette_app_with_relay() -> AsyncIterator[str]:
    """A Starlette app with its own route and the relay mounted at /voice; yields its base URL."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    async def home(request: Any) -> PlainTextResponse:
        return PlainTextResponse("the host app")

    async with LocalRealtimeServer() as upstream:
        endpoint = Endpoint.custom(upstream.url(), api_key=upstream.api_key)
        relay = Relay(make_agent(), endpoint, policy=NOTICES, auth=SIGNER.auth())
        app = Starlette(routes=[Route("/", home), Mount("/voice", app=relay.asgi())])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # older uvicorn
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 (uvicorn offers only a flag)
                    await anyio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            try:
                yield f"127.0.0.1:{port}"
            finally:
                server.should_exit = True


async def test_mounted_in_starlette_the_page_and_a_conversation_work() -> None:
    async with starlette_app_with_relay() as host, httpx.AsyncClient(base_url=f"http://{host}") as http:
        assert (await http.get("/")).text == "the host app"
        redirect = await http.get("/voice")
        assert redirect.status_code in (307, 308)
        assert redirect.headers["location"].endswith("/voice/")
        page = await http.get("/voice/")
        assert page.status_code == 200
        assert page.content == titled_page("shop")  # the page, titled with the agent's name
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["x-content-type-options"] == "nosniff"
        script = await http.get("/voice/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        for missing in ("/voice/nope", "/voice/../pyproject.toml", "/voice/static/app.js"):
            assert (await http.get(missing)).status_code == 404
        async with connect(f"ws://{host}/voice/realtime?ticket={SIGNER.issue('u1')}") as websocket:
            user = Client(websocket)
            await user.until_type("session.created")
            await user.say("Where is my order A-1001?")
            assert tracking_number("A-1001") in await user.answer()
            assert any(e["type"] == "agentkit.tool_activity" for e in user.events)


async def test_mounted_in_starlette_refusals_come_before_the_upgrade() -> None:
    async with starlette_app_with_relay() as host:
        for path, statuses in (
            ("/voice/realtime", (401, 403)),  # 403 where the server lacks the denial-response extension
            (f"/voice/elsewhere?ticket={SIGNER.issue()}", (403, 404)),
        ):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://{host}{path}"):
                    pass
            assert refused.value.response.status_code in statuses


async def test_the_standalone_server_serves_only_the_page_files() -> None:
    async with running_relay() as (_, server), httpx.AsyncClient(base_url=server.http_url) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert page.content == titled_page("shop")  # the page, titled with the agent's name
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert (await http.get("/style.css")).headers["content-type"] == "text/css; charset=utf-8"
        for missing in ("/nope", "/../pyproject.toml", "/static/app.js", "/%2e%2e/pyproject.toml"):
            assert (await http.get(missing)).status_code == 404


async def test_the_page_policy_blocks_form_posts_plugins_and_framing() -> None:
    """default-src does not cover form-action: without it an injected form could post anywhere."""
    async with running_relay() as (_, server), httpx.AsyncClient(base_url=server.http_url) as http:
        policy = (await http.get("/")).headers["content-security-policy"]
        directives = {part.strip() for part in policy.split(";")}
        for directive in (
            "form-action 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ):
            assert directive in directives
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
