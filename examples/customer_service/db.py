"""The shop's SQLite database: where it lives, how it is created and seeded, how to talk to it.

Every call opens its own short-lived connection, so tools running concurrently in worker threads
never share a connection; WAL mode lets readers proceed while one writer commits.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .schema import FAQ_INDEX, SCHEMA_VERSION, TABLES
from .seed import seed

BUSY_TIMEOUT_S = 10.0


class ShopDatabaseError(Exception):
    """The file cannot be used as the shop's database (not SQLite, newer schema, unwritable)."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def default_db_path() -> Path:
    """The file in the per-user data directory (``%LOCALAPPDATA%``, ``$XDG_DATA_HOME`` or ~/.local/share)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "")
        root = Path(base) if base else Path.home() / "AppData" / "Local"
    else:
        base = os.environ.get("XDG_DATA_HOME", "")
        # The XDG spec says relative paths are invalid and must be ignored.
        root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "agentkit" / "customer_service.sqlite3"


def fts5_available() -> bool:
    """Whether this Python's SQLite build was compiled with the FTS5 full-text extension."""
    with closing(sqlite3.connect(":memory:")) as conn:
        try:
            conn.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
        except sqlite3.OperationalError:
            return False
    return True


class ShopDatabase:
    """A handle on the shop's database file; creating one creates and seeds the file if needed.

    Opening is idempotent and safe to race: the schema check, creation and seeding run in one
    ``BEGIN IMMEDIATE`` transaction, so exactly one opener seeds and the others see its result.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        full_text_search: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.has_full_text_search = self._initialise(full_text_search and fts5_available())
        except (sqlite3.Error, OSError) as exc:
            raise ShopDatabaseError(f"cannot open the shop database at {self.path}: {exc}") from exc

    def __repr__(self) -> str:
        return f"ShopDatabase({str(self.path)!r}, full_text_search={self.has_full_text_search})"

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode, closed on exit; rows are ``sqlite3.Row``."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``: committed on success, rolled back on any exception.

        IMMEDIATE takes the write lock up front, so a read-check-write sequence inside it cannot
        interleave with another writer's.
        """
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _initialise(self, want_fts: bool) -> bool:
        with self.connect() as conn:
            _use_wal(conn)
        with self.transaction() as conn:
            version = _schema_version(conn)
            if version is None:
                for statement in TABLES:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                seed(conn, self.clock())
            elif version > SCHEMA_VERSION:
                raise ShopDatabaseError(
                    f"{self.path} has schema version {version}; this code understands up to {SCHEMA_VERSION}"
                )
            if not want_fts:
                return False
            if not _has_table(conn, "faq_fts"):
                # Also upgrades a database first created by a build without FTS5.
                for statement in FAQ_INDEX:
                    conn.execute(statement)
            return True


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out other openers: SQLite answers this pragma "database is
    locked" at once while another connection holds the file, without calling the busy handler."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def _schema_version(conn: sqlite3.Connection) -> int | None:
    if not _has_table(conn, "schema_version"):
        if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
            raise ShopDatabaseError("the file holds some other database (tables, but no schema_version)")
        return None
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else None
