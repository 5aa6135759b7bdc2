"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import store.all_tables  # noqa: F401
from store.database import Database
from store.tables import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_declared_tables(database: Database) -> None:
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(_differences)
    assert diff == [], f"the migrations and store/ tables disagree: {diff}"


async def test_migrating_twice_is_harmless(database: Database) -> None:
    await database.migrate()
    await database.ping()
