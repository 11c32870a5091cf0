"""The customer-service bot: a seeded SQLite shop and the tools an agent uses to serve its customers."""

from __future__ import annotations

from .db import ShopDatabase, ShopDatabaseError, default_db_path
from .tools import TOOLS, ShopDeps, build_toolset

__all__ = ["TOOLS", "ShopDatabase", "ShopDatabaseError", "ShopDeps", "build_toolset", "default_db_path"]
