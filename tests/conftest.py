"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and the frameworks."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from inspection.frameworks import FrameworkRegistry, builtin_frameworks
from store.database import Database

# The server CI and this machine run; override with TEST_POSTGRES_URL.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _run_in_thread(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion on its own loop, even from inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    import asyncpg  # type: ignore[import-untyped]

    dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=3)
        await connection.close()

    try:
        _run_in_thread(probe)
    except Exception as exc:  # any failure means "not reachable" for the skip message
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    problem = _postgres_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI is set but PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {problem}"
            )
        pytest.skip(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({problem}); "
            "set TEST_POSTGRES_URL or start the server to run these tests"
        )
    import asyncpg

    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"inspection_bot_test_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]

    async def create() -> None:
        connection = await asyncpg.connect(admin_dsn)
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        database = Database(f"{base}/{name}")
        await database.migrate()
        await database.dispose()

    async def drop() -> None:
        connection = await asyncpg.connect(admin_dsn)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    _run_in_thread(create)
    yield f"{base}/{name}"
    _run_in_thread(drop)


async def _truncate(database: Database) -> None:
    import store.all_tables  # noqa: F401
    from store.tables import Base

    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with database.session() as session:
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        await db.migrate()
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        await _truncate(db)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database, for tests that need only one backend."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await db.migrate()
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def frameworks() -> FrameworkRegistry:
    return builtin_frameworks()
