"""Short random identifiers in the style the Realtime API uses (`event_…`, `item_…`, `resp_…`)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def event_id() -> str:
    return new_id("evt")
