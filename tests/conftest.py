"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "recorded"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def recorded_dir() -> Path:
    if not RECORDED.is_dir():
        pytest.skip(f"recorded sessions not found at {RECORDED}")
    return RECORDED
