"""Resource attacks on a relay in its own process, measured from outside it: its peak memory (VmHWM
in /proc/PID/status) and its open sockets (/proc/PID/fd), under every server mode the docs show.

Huge frames must be refused before they are buffered, half-sent upgrade requests must be dropped at
the handshake deadline, and clients that never read must have their sockets closed, not kept with
their unsent data. The memory bounds are generous (noise-proof on a shared machine) but far below
what the same attacks cost a server left at its defaults (uvicorn buffers 16 MiB messages).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from .relay_helpers import SERVER_MODES, Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
HOLDING_MODES = ("websockets", "uvicorn")
"""The servers that hold every bound. hypercorn (0.17, 0.18) has no setting for two of them: it
gathers a message before checking its size (16 x 8 MiB frames cost it about 82 MiB) and keeps the
socket of a client that never reads; docs/embedding.md gives the figures and says so."""


@contextmanager
def relay_process(mode: str, tmp_path: Path, settings: str = "hardened") -> Iterator[tuple[int, int]]:
    """(pid, port) of a relay served in its own process (see `relay_process.py`)."""
    port_file = tmp_path / f"{mode}.port"
    command = [sys.executable, "-m", "tests.relay.relay_process", mode, str(port_file), settings]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, "the relay process exited"
            assert time.monotonic() < deadline, "the relay process did not start"
            time.sleep(0.05)
        yield process.pid, int(port_file.read_text())
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def memory_kib(pid: int, field: str) -> int:
    """`VmRSS` (now) or `VmHWM` (peak) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def open_sockets(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass  # closed while we looked
    return count


async def warmed_up(pid: int, port: int) -> tuple[int, int]:
    """One whole conversation first (code paths loaded); then (RSS in KiB, open sockets)."""
    async with connect(f"ws://127.0.0.1:{port}/realtime") as websocket:
        user = Client(websocket)
        await user.until_type("session.created")
        await user.say("hello")
        await user.until_type("response.done")
    return memory_kib(pid, "VmRSS"), await settled_sockets(pid, None)


async def settled_sockets(pid: int, target: int | None, within: float = 20.0) -> int:
    """The process's open sockets once they stop changing (or reach `target`), bounded in time."""
    last, steady = -1, 0
    with anyio.move_on_after(within):
        while True:
            now = open_sockets(pid)
            if target is not None and now <= target:
                return now
            steady = steady + 1 if now == last else 0
            if target is None and steady >= 10:
                return now
            last = now
            await anyio.sleep(0.1)
    return open_sockets(pid)


@pytest.mark.parametrize("mode", HOLDING_MODES)
async def test_huge_frames_are_refused_before_they_are_buffered(mode: str, tmp_path: Path) -> None:
    with relay_process(mode, tmp_path) as (pid, port):
        baseline, _ = await warmed_up(pid, port)
        frame = "x" * (8 * MIB)

        async def send_huge() -> None:
            try:
                async with connect(f"ws://127.0.0.1:{port}/realtime", max_size=None, compression=None) as ws:
                    await ws.send(frame)
                    await ws.recv()
            except Exception:
                pass

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for _ in range(16):
                    tg.start_soon(send_huge)
        growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
        print(f"{mode}: peak growth {growth_mib:.1f} MiB for 16 x 8 MiB frames")
        assert growth_mib < 48  # the same attack on uvicorn's defaults buffers 128 MiB


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_half_sent_upgrade_requests_are_dropped_at_the_handshake_deadline(
    mode: str, tmp_path: Path
) -> None:
    with relay_process(mode, tmp_path) as (pid, port):
        _, sockets = await warmed_up(pid, port)
        slow = []
        for _ in range(100):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"GET /realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")  # never ends
            slow.append(conn)
        try:
            assert await settled_sockets(pid, sockets) <= sockets  # every one dropped by the relay
        finally:
            for conn in slow:
                conn.close()


@pytest.mark.parametrize("mode", HOLDING_MODES)
async def test_clients_that_never_read_have_their_sockets_closed(mode: str, tmp_path: Path) -> None:
    with relay_process(mode, tmp_path) as (pid, port):
        baseline, sockets = await warmed_up(pid, port)
        text = "y" * 3900
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        frame = json.dumps({"type": "conversation.item.create", "item": item})
        readers = []
        for _ in range(8):
            tiny = socket.socket()  # a small receive window, set before connecting: the relay's
            tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # sends back up at once
            tiny.connect(("127.0.0.1", port))
            readers.append(await connect(f"ws://127.0.0.1:{port}/realtime", sock=tiny, max_queue=1))
        try:
            for websocket in readers:  # each message is echoed back to a client that never reads
                for _ in range(150):
                    try:
                        await websocket.send(frame)
                    except WebSocketException:
                        break
            closed = await settled_sockets(pid, sockets, within=12)
            growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
            print(f"{mode}: {closed - sockets} sockets left, peak growth {growth_mib:.1f} MiB")
            assert closed <= sockets  # the relay gave up on them, and their sockets are gone
            assert growth_mib < 64
        finally:
            for websocket in readers:
                websocket.transport.abort()


def _start(command: list[str], env: dict[str, str], log: Path, fd: int) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output, pass_fds=[fd])


@pytest.mark.parametrize("mode", SERVER_MODES)
async def test_a_flood_from_one_address_leaves_room_for_others_and_nothing_behind(
    mode: str, tmp_path: Path
) -> None:
    with relay_process(mode, tmp_path) as (pid, port):
        baseline, sockets = await warmed_up(pid, port)
        accepted: list[Any] = []
        refused = 0

        async def flood_one() -> None:
            nonlocal refused
            try:
                websocket = await connect(f"ws://127.0.0.1:{port}/realtime")
            except Exception:
                refused += 1
                return
            accepted.append(websocket)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(40):
                    tg.start_soon(flood_one)
            try:
                assert len(accepted) <= 10  # the per-client cap
                assert refused >= 30
                async with connect(f"ws://127.0.0.1:{port}/realtime", local_addr=("127.0.0.2", 0)) as other:
                    await Client(other).until_type("session.created")  # someone else still gets in
            finally:
                for websocket in accepted:
                    await websocket.close()
        growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
        print(f"{mode}: flood of 40, {len(accepted)} accepted, peak growth {growth_mib:.1f} MiB")
        assert growth_mib < 64
        assert await settled_sockets(pid, sockets) <= sockets


async def test_under_gunicorn_the_worker_holds_the_relays_limits_and_masks_tickets(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is in the test extra")
    from agentkit.relay import TicketSigner
    from agentkit.testing import LocalRealtimeServer

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    async with LocalRealtimeServer() as upstream:
        command = [
            *(sys.executable, "-m", "gunicorn", "tests.relay.gunicorn_app:app"),
            *("-k", "tests.relay.gunicorn_app.RelayWorker", "--workers", "1"),
            *("--bind", f"fd://{listener.fileno()}", "--log-level", "debug", "--graceful-timeout", "1"),
        ]
        env = {**os.environ, "RELAY_TEST_UPSTREAM": upstream.url()}
        process = _start(command, env, log, listener.fileno())
        listener.close()
        try:
            url = f"ws://127.0.0.1:{port}/realtime"
            with anyio.fail_after(30):
                while True:  # the worker boots
                    try:
                        async with connect(url) as websocket:
                            await Client(websocket).until_type("session.created")
                        break
                    except OSError:
                        await anyio.sleep(0.1)
            async with connect(url, max_size=None) as websocket:
                await websocket.send("x" * (1024 * 1024))
                with pytest.raises(WebSocketException):
                    await websocket.recv()
                # 1009 from uvicorn itself (ws_max_size), before the relay ever saw the frame
                assert websocket.close_code == 1009
                assert "frame larger than" not in (websocket.close_reason or "")
            ticket = TicketSigner("a-gunicorn-test-secret-32-bytes!!").issue("u")
            rebound = f"ws://evil.example:{port}/realtime?ticket={ticket}"
            with pytest.raises(WebSocketException):  # a name the relay does not serve: 403
                async with connect(rebound, host="127.0.0.1", port=port):  # type: ignore[arg-type]
                    pass
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    logged = log.read_text()
    assert "?ticket=***" in logged  # gunicorn's worker logged the request line, masked
    assert ticket not in logged
