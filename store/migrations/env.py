"""Alembic environment. The app runs migrations itself (`Database.migrate`); this file also
lets an operator run `alembic -c store/alembic.ini upgrade heads` with DATABASE_URL set."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import store.all_tables  # noqa: F401  (registers every table on the metadata)
from store.database import DEFAULT_URL, normalise_url
from store.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(normalise_url(os.environ.get("DATABASE_URL", DEFAULT_URL)))
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
