"""Three relay processes behind a real haproxy, sharing a real redis-server: started per test, on
loopback ports, in a temp dir; each part can be stopped, killed or signalled like in production."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from tests.redis_server import RedisServer, require_redis_server
from tests.terminal import offline_env

APP = Path(__file__).with_name("app.py")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(condition: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Wait (bounded) until `condition()` is true: for a process to come up, a file to appear."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def until(condition: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """`wait_for` for async tests: the event loop (and the model server on it) keeps running."""
    with anyio.fail_after(within):
        while not await anyio.to_thread.run_sync(condition):  # noqa: ASYNC110 (other processes)
            await anyio.sleep(0.02)


class Cluster:
    def __init__(self, upstream_url: str, upstream_key: str) -> None:
        if HAPROXY is None:
            pytest.skip("haproxy is not installed (apt-get install haproxy; .ci/run installs it)")
        require_redis_server()
        self.directory = Path(tempfile.mkdtemp(prefix="akc"))
        self.redis = RedisServer(self.directory)
        self.runs = self.directory / "runs.log"
        self.release = self.directory / "release"
        self.ports = [free_port() for _ in range(3)]
        self.port = free_port()
        self.instances: list[subprocess.Popen[bytes] | None] = [None, None, None]
        self._haproxy: subprocess.Popen[bytes] | None = None
        self._env = {
            **offline_env(),
            "AGENTKIT_REDIS_URL": self.redis.url,
            "SCALE_UPSTREAM": upstream_url,
            "SCALE_KEY": upstream_key,
            "SCALE_RUNS": str(self.runs),
            "SCALE_RELEASE": str(self.release),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])),
        }

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    def instance_url(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/realtime"

    def start(self) -> None:
        self.redis.start()
        for index in range(3):
            self.start_instance(index)
        for index in range(3):
            wait_for(
                lambda i=index: http_status(f"http://127.0.0.1:{self.ports[i]}/healthz") == 200, "a relay"
            )
        config = self.directory / "haproxy.cfg"
        servers = "\n".join(f"    server r{i} 127.0.0.1:{port}" for i, port in enumerate(self.ports))
        config.write_text(_HAPROXY_CONFIG.format(port=self.port, servers=servers))
        assert HAPROXY is not None
        self._haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: http_status(f"http://127.0.0.1:{self.port}/readyz") == 200, "haproxy")

    def start_instance(self, index: int) -> None:
        command = [
            sys.executable,
            "-m",
            "agentkit",
            "relay",
            f"{APP}:relay",
            "--port",
            str(self.ports[index]),
        ]
        self.instances[index] = subprocess.Popen(
            [*command, "--drain-seconds", "20"],
            env={**self._env, "SCALE_INSTANCE": f"r{index}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def instance_named(self, name: str) -> int:
        return int(name.removeprefix("r"))

    def kill(self, index: int) -> None:
        process = self.instances[index]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def terminate(self, index: int) -> subprocess.Popen[bytes]:
        process = self.instances[index]
        assert process is not None
        process.send_signal(signal.SIGTERM)
        return process

    def runs_log(self) -> list[str]:
        return self.runs.read_text().splitlines() if self.runs.exists() else []

    def ran(self, prefix: str) -> bool:
        """Whether a tool run starting with `prefix` was logged (by any instance)."""
        return any(line.startswith(prefix) for line in self.runs_log())

    def stop(self) -> None:
        for process in [self._haproxy, *self.instances]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
        self.redis.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


_HAPROXY_CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    retries 3
    option redispatch
frontend relays_in
    bind 127.0.0.1:{port}
    default_backend relays
backend relays
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host relay
    timeout check 2s
    default-server check inter 200ms fall 3 rise 1
{servers}
"""
