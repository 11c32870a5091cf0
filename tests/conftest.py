"""Shared test fixtures."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "recorded"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def recorded_dir() -> Path:
    if not RECORDED.is_dir():
        pytest.skip(f"recorded sessions not found at {RECORDED}")
    return RECORDED


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server of the test's own (skips where the binary is not installed)."""
    directory = Path(tempfile.mkdtemp(prefix="akr"))  # short: the socket path must fit 107 bytes
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
