"""The customer-service bot: a seeded SQLite shop and the tools an agent uses to serve its customers.

`agent` is the bot itself on the default shop database, built on first use, so the agentkit
commands take it as is: `agentkit chat examples.customer_service:agent`, `agentkit relay
examples.customer_service:agent --local`; `agentkit tools examples.customer_service` lists its tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import ShopDatabase, ShopDatabaseError, default_db_path
from .tools import TOOLS, ShopDeps, build_toolset

if TYPE_CHECKING:
    from agentkit import Agent

__all__ = [
    "TOOLS",
    "ShopDatabase",
    "ShopDatabaseError",
    "ShopDeps",
    "agent",
    "build_toolset",
    "default_db_path",
]


def __getattr__(name: str) -> Agent:
    # Built on first use, not at import: importing the package must not create the shop's database.
    if name == "agent":
        from .bot import default_agent

        return default_agent()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
