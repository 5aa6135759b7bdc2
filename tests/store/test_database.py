"""store.database on SQLite (SQLAlchemy's own aiosqlite dialect): writes committed, failed ones
rolled back, statements cached, the pragmas on every connection, what a query returns."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.database import Database


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


async def test_a_write_is_committed_and_a_failed_one_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "lean.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await _table(database)
        async with database.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
        assert await _bodies(path) == ["kept"]

        with pytest.raises(RuntimeError):
            async with database.session() as session:
                await session.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
                raise RuntimeError("the handler failed half-way")
        assert await _bodies(path) == ["kept"]
    finally:
        await database.dispose()


async def test_statements_are_still_cached(tmp_path: Path) -> None:
    """SQLAlchemy warns when a dialect cannot cache statements (each would be compiled)."""
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
    """Every pooled connection gets the pragmas (a small page cache keeps memory down),
    however it was opened."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'lean.db'}")
    try:
        async with database.reading() as connection:
            cache = (await connection.execute(text("PRAGMA cache_size"))).scalar()
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        assert (cache, journal, keys) == (-512, "wal", 1)
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
