"""A queued tool outlives its relay instance: the instance is SIGKILLed while the job runs on an
`agentkit worker` process, the client resumes on another instance, and the job's result reaches
the resumed conversation as that call's one output; the tool ran once. (Real redis-server, two
relay processes and a worker process; the model is the local server in this test.)"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agentkit.protocol import FunctionCallItem, FunctionCallOutputItem
from agentkit.testing import LocalRealtimeServer
from tests.redis_server import RedisServer, require_redis_server
from tests.relay.relay_helpers import Client
from tests.scale.cluster import free_port, http_status, until, wait_for
from tests.terminal import offline_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

APP = Path(__file__).with_name("queued_app.py")


class Deployment:
    """Redis, two relay instances and one worker, each its own process."""

    def __init__(self, upstream: LocalRealtimeServer) -> None:
        require_redis_server()
        self.directory = Path(tempfile.mkdtemp(prefix="akw"))
        self.redis = RedisServer(self.directory)
        self.runs = self.directory / "runs.log"
        self.release = self.directory / "release"
        self.ports = [free_port(), free_port()]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **offline_env(),
            "AGENTKIT_REDIS_URL": self.redis.url,
            "SCALE_UPSTREAM": upstream.url(),
            "SCALE_KEY": upstream.api_key or "",
            "SCALE_RUNS": str(self.runs),
            "SCALE_RELEASE": str(self.release),
        }

    def start(self) -> None:
        self.redis.start()
        self._spawn("worker", ["worker", f"{APP}:relay"])
        for index, port in enumerate(self.ports):
            self._spawn(f"r{index}", ["relay", f"{APP}:relay", "--port", str(port)])
        for port in self.ports:
            wait_for(lambda p=port: http_status(f"http://127.0.0.1:{p}/healthz") == 200, "a relay")

    def _spawn(self, name: str, arguments: list[str]) -> None:
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "agentkit", *arguments],
                env={**self.env, "SCALE_INSTANCE": name},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def url(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/realtime"

    def kill_relay(self, index: int) -> None:
        process = self.processes[1 + index]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def runs_log(self) -> list[str]:
        return self.runs.read_text().splitlines() if self.runs.exists() else []

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        self.redis.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
async def upstream() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer() as server:
        yield server


@pytest.fixture
def deployment(upstream: LocalRealtimeServer) -> Iterator[Deployment]:
    made = Deployment(upstream)
    try:
        made.start()
        yield made
    finally:
        made.stop()


async def until_saved(redis_url: str, token: str, tool_name: str) -> None:
    """Wait (bounded) until the conversation's snapshot holds the call to `tool_name`."""
    key = "agentkit:resume:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    async with Redis.from_url(redis_url) as redis:
        with anyio.fail_after(10):
            while True:
                data = await redis.get(key)
                entries = json.loads(data)["conversation"] if data else []
                if any(entry.get("name") == tool_name for entry in entries):
                    return
                await anyio.sleep(0.02)


async def test_a_queued_call_outlives_its_instance_and_is_answered_once_on_resume(
    deployment: Deployment, upstream: LocalRealtimeServer
) -> None:
    async with connect(deployment.url(0)) as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        token = str((await user.until_type("agentkit.resume"))["token"])
        await user.say("Please refund order A-2002")
        await until(lambda: "refund A-2002 on worker" in deployment.runs_log(), "the job to start")
        await until_saved(deployment.redis.url, token, "refund_order")
        deployment.kill_relay(0)  # the job keeps running on the worker
        with anyio.fail_after(10), pytest.raises(ConnectionClosed):  # noqa: PT012
            while True:
                await user.next_event()
    [call_id] = [
        item.call_id
        for item in upstream.connections[-1].conversation.items
        if isinstance(item, FunctionCallItem)
    ]
    async with connect(f"{deployment.url(1)}?resume={token}") as websocket:
        user = Client(websocket)
        resumed = await user.until_type("agentkit.resume")  # first: the job is still running
        assert resumed["resumed"] is True
        deployment.release.touch()  # now the refund completes, on the worker
        await user.until_type("session.created", within=20)
        resumed_on = upstream.connections[-1]
        assert "instance=r1" in (resumed_on.session.instructions or "")
        assert "refunded a-2002" in (await user.answer()).lower()  # the model speaks to the job's result
    outputs = [
        item.output
        for item in resumed_on.conversation.items
        if isinstance(item, FunctionCallOutputItem) and item.call_id == call_id
    ]
    assert outputs == ["refunded A-2002"]  # exactly one output for the call, the job's own
    assert [line for line in deployment.runs_log() if line.startswith("refund")] == [
        "refund A-2002 on worker"
    ]
