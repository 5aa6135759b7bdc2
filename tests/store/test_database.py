"""store.database and store/sqlite_driver.py on SQLite: one trip to aiosqlite's thread per
query, commits and rollbacks only when a transaction is open, the pragmas on every connection."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.database import Database


@pytest.fixture
def driver_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every COMMIT and ROLLBACK sent to an aiosqlite connection's thread."""
    calls: list[str] = []
    commit, rollback = aiosqlite.Connection.commit, aiosqlite.Connection.rollback

    async def counted_commit(self: aiosqlite.Connection) -> None:
        calls.append("commit")
        await commit(self)

    async def counted_rollback(self: aiosqlite.Connection) -> None:
        calls.append("rollback")
        await rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "commit", counted_commit)
    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted_rollback)
    yield calls


async def _table(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))


async def _bodies(path: Path) -> list[str]:
    other = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with other.session() as session:
            return list((await session.execute(text("SELECT body FROM notes"))).scalars())
    finally:
        await other.dispose()


async def test_a_read_only_session_sends_no_commit_or_rollback(
    tmp_path: Path, driver_calls: list[str]
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        await _table(database)
        driver_calls.clear()
        async with database.session() as session:
            await session.execute(text("SELECT count(*) FROM notes"))
        assert driver_calls == []
    finally:
        await database.dispose()


async def test_a_write_is_committed_and_a_failed_one_rolled_back(
    tmp_path: Path, driver_calls: list[str]
) -> None:
    path = tmp_path / "lean.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await _table(database)
        driver_calls.clear()
        async with database.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
        assert driver_calls == ["commit"]
        assert await _bodies(path) == ["kept"]

        driver_calls.clear()
        with pytest.raises(RuntimeError):
            async with database.session() as session:
                await session.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
                raise RuntimeError("the handler failed half-way")
        assert driver_calls == ["rollback"]
        assert await _bodies(path) == ["kept"]
    finally:
        await database.dispose()


async def test_statements_are_still_cached(tmp_path: Path) -> None:
    """A dialect subclass that forgets `supports_statement_cache` compiles every statement."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # SQLAlchemy warns when caching is off
            await _table(database)
            for _ in range(2):
                async with database.session() as session:
                    await session.execute(text("SELECT count(*) FROM notes"))
        assert database.engine.dialect.supports_statement_cache
        assert database.engine.dialect.name == "sqlite"
    finally:
        await database.dispose()


async def test_sqlite_connections_keep_a_small_page_cache_and_wal(tmp_path: Path) -> None:
    """Issue 7 (memory): every pooled connection gets the pragmas, however it was opened."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        async with database.reading() as connection:
            cache = (await connection.execute(text("PRAGMA cache_size"))).scalar()
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        assert (cache, journal, keys) == (-512, "wal", 1)
    finally:
        await database.dispose()


async def test_a_query_is_one_trip_to_the_connections_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 7: open, execute, fetch and close in one trip (SQLAlchemy's adapter made four)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        await _table(database)
        trips: list[str] = []
        queue = aiosqlite.Connection._execute

        async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(getattr(fn, "__name__", "?"))
            return await queue(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with database.reading() as connection:
            rows = (await connection.execute(text("SELECT count(*) FROM notes"))).all()
        assert rows == [(0,)]
        assert len(trips) == 1
    finally:
        await database.dispose()


async def test_row_counts_new_ids_batches_and_errors_come_back(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        await _table(database)
        async with database.session() as session:
            first = await session.execute(text("INSERT INTO notes (body) VALUES ('a')"))
            assert first.lastrowid == 1  # type: ignore[attr-defined]
            await session.execute(
                text("INSERT INTO notes (body) VALUES (:body)"),
                [{"body": "b"}, {"body": "c"}, {"body": "d"}],
            )
            changed = await session.execute(text("UPDATE notes SET body = 'x' WHERE id > 2"))
            assert changed.rowcount == 2  # type: ignore[attr-defined]
            returned = await session.execute(
                text("INSERT INTO notes (body) VALUES ('e') RETURNING id, body")
            )
            assert returned.all() == [(5, "e")]
        with pytest.raises(IntegrityError):
            async with database.session() as session:
                await session.execute(text("INSERT INTO notes (id, body) VALUES (1, 'dup')"))
        assert await _bodies(tmp_path / "lean.db") == ["a", "b", "x", "x", "e"]
    finally:
        await database.dispose()
