"""The customer-service shop database: location, creation, seeding, transactions and FAQ search."""

from __future__ import annotations

import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from examples.customer_service import db as db_module
from examples.customer_service.db import ShopDatabase, ShopDatabaseError, default_db_path, fts5_available
from examples.customer_service.schema import ORDER_STATUSES, SCHEMA_VERSION
from examples.customer_service.search import search_faq, search_terms

needs_fts5 = pytest.mark.skipif(not fts5_available(), reason="this SQLite build has no FTS5")

TABLES = (
    "customers",
    "orders",
    "order_lines",
    "shipments",
    "shipment_events",
    "refunds",
    "support_tickets",
    "faq",
)


def counts(db: ShopDatabase) -> dict[str, int]:
    with db.connect() as conn:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


def test_fresh_database_is_created_and_seeded(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "shop.sqlite3"
    db = ShopDatabase(path)
    assert path.is_file()
    with db.connect() as conn:
        orders = {row["id"]: row["status"] for row in conn.execute("SELECT id, status FROM orders")}
        version = conn.execute("SELECT version FROM schema_version").fetchall()
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"A-1001", "A-1002"} <= orders.keys()
    assert set(orders.values()) == set(ORDER_STATUSES)
    assert [tuple(row) for row in version] == [(SCHEMA_VERSION,)]
    assert journal == "wal"
    assert all(count > 0 for table, count in counts(db).items() if table != "support_tickets")


def test_reopening_neither_reseeds_nor_loses_data(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    first = ShopDatabase(path)
    with first.transaction() as conn:
        conn.execute("INSERT INTO support_tickets (summary, created_at) VALUES ('kept', '2024-01-01')")
    before = counts(first)
    again = ShopDatabase(path)
    assert counts(again) == before
    with again.connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
        assert conn.execute("SELECT summary FROM support_tickets").fetchone()[0] == "kept"


def test_racing_first_opens_seed_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    with ThreadPoolExecutor(max_workers=4) as pool:
        handles = [
            future.result(timeout=30) for future in [pool.submit(ShopDatabase, path) for _ in range(4)]
        ]
    assert len({tuple(counts(handle).items()) for handle in handles}) == 1
    assert counts(handles[0])["customers"] == 3


def test_default_path_follows_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "agentkit" / "customer_service.sqlite3"
    db = ShopDatabase()
    assert db.path == default_db_path()
    assert db.path.is_file()


@pytest.mark.parametrize("xdg", ["", "relative/dir"])
def test_default_path_without_usable_xdg_is_under_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", xdg)
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert default_db_path() == tmp_path / ".local" / "share" / "agentkit" / "customer_service.sqlite3"


def test_default_path_on_windows_uses_local_app_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert default_db_path() == tmp_path / "Local" / "agentkit" / "customer_service.sqlite3"


def test_a_file_that_is_not_sqlite_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database, just some text that is long enough to have a header" * 10)
    with pytest.raises(ShopDatabaseError, match="cannot open the shop database"):
        ShopDatabase(path)


def test_some_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.commit()
    with pytest.raises(ShopDatabaseError, match="some other database"):
        ShopDatabase(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3")
    with db.transaction() as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(ShopDatabaseError, match="schema version"):
        ShopDatabase(db.path)


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_transaction_rolls_back_on_any_exception(tmp_path: Path, failure: BaseException) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3")

    def write_then_fail() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO support_tickets (summary, created_at) VALUES ('lost', '2024-01-01')")
            raise failure

    with pytest.raises(type(failure)):
        write_then_fail()
    assert counts(db)["support_tickets"] == 0


def test_repr_shows_the_path(tmp_path: Path) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3")
    assert str(tmp_path) in repr(db)


# --- FAQ search -----------------------------------------------------------------------------------


def faq_questions(db: ShopDatabase, query: str) -> list[str]:
    with db.connect() as conn:
        rows = search_faq(conn, search_terms(query), full_text=db.has_full_text_search)
    return [row["question"] for row in rows]


@needs_fts5
def test_full_text_index_is_built_when_fts5_exists(tmp_path: Path) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3")
    assert db.has_full_text_search
    assert faq_questions(db, "refunds")[0] == "What is your return and refund policy?"


def test_without_fts5_the_like_fallback_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(db_module, "fts5_available", lambda: False)
    db = ShopDatabase(tmp_path / "shop.sqlite3")
    assert not db.has_full_text_search
    with db.connect() as conn:
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'faq_fts'").fetchone() is None
    assert faq_questions(db, "refunds")[0] == "What is your return and refund policy?"


@needs_fts5
def test_a_database_made_without_fts5_gains_the_index_later(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    assert not ShopDatabase(path, full_text_search=False).has_full_text_search
    upgraded = ShopDatabase(path)
    assert upgraded.has_full_text_search
    assert faq_questions(upgraded, "warranty") == ["Is there a warranty on electronics?"]


@needs_fts5
def test_index_follows_faq_changes(tmp_path: Path) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3")
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO faq (question, answer) VALUES ('Do you sell gift cards?', 'Yes, from 10 to 500.')"
        )
        conn.execute("UPDATE faq SET question = 'Is there a guarantee?' WHERE question LIKE '%warranty%'")
    assert faq_questions(db, "gift cards") == ["Do you sell gift cards?"]
    assert faq_questions(db, "guarantee") == ["Is there a guarantee?"]


@pytest.mark.parametrize("full_text", [pytest.param(True, marks=needs_fts5), False])
@pytest.mark.parametrize(
    "query",
    ['"refund" OR NOT -* (', "100%_off", "it's \\ broken", "NEAR(refund policy)", "question:refund"],
)
def test_query_syntax_in_user_text_is_just_text(tmp_path: Path, full_text: bool, query: str) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3", full_text_search=full_text)
    questions = faq_questions(db, query)
    assert len(questions) <= 3
    if "refund" in query:
        assert "What is your return and refund policy?" in questions


def test_like_fallback_escapes_wildcards(tmp_path: Path) -> None:
    db = ShopDatabase(tmp_path / "shop.sqlite3", full_text_search=False)
    assert faq_questions(db, "%") == []
    assert faq_questions(db, "_") == []


def test_search_terms_drop_stop_words_unless_nothing_is_left() -> None:
    assert search_terms("How do I return my order?") == ["return", "order"]
    assert search_terms("how do I") == ["how", "do", "i"]
    assert search_terms("?!") == []


def test_opening_waits_out_a_locked_journal_mode_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite answers `PRAGMA journal_mode = WAL` with "database is locked" at once (no busy
    # handler) while another opener holds the file: that must be waited out, not fail the open.
    import examples.customer_service.db as db_module

    failures = {"left": 2}

    class Racing(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql.startswith("PRAGMA journal_mode") and failures["left"]:
                failures["left"] -= 1
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)  # type: ignore[arg-type]

    real_connect = sqlite3.connect
    monkeypatch.setattr(db_module.sqlite3, "connect", lambda *a, **k: real_connect(*a, factory=Racing, **k))
    handle = ShopDatabase(tmp_path / "shop.sqlite3")
    assert failures["left"] == 0
    assert counts(handle)["customers"] == 3
