"""The database: engine, sessions, migrations, and turning outages into a clear error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from inspection.errors import Unavailable

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite+aiosqlite:///./data/inspection-bot.db"
UNAVAILABLE_MESSAGE = "I can't reach my records right now, try again in a minute."


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (OSError, ConnectionError, asyncio.TimeoutError))


@contextmanager
def _outage_is_unavailable() -> Iterator[None]:
    """A lost database becomes `Unavailable`, with a message a user can act on."""
    try:
        yield
    except Exception as exc:
        if _is_outage(exc):
            log.warning("database unavailable", extra={"error": type(exc).__name__})
            raise Unavailable(UNAVAILABLE_MESSAGE) from exc
        raise


class Database:
    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = parsed.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                # Each connection is a thread (aiosqlite) with its own page cache. A turn
                # holds one only while a query runs, and at most MAX_CONCURRENT_TURNS (16)
                # turns run at once, so 6 + 6 serve 50 concurrent users without a time-out
                # (before the turn gate, 5 + 10 timed out) and in less memory than
                # 10 + 10 (8 MB at the benchmark's peak). WAL: readers never wait for the one
                # writer, and a read-only session never takes the write lock (pysqlite
                # begins a transaction only before a write).
                kwargs.update(pool_size=6, max_overflow=6, pool_timeout=30)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                pool_timeout=10,
                connect_args={"timeout": 5, "command_timeout": 30},
            )
        self.engine: AsyncEngine = create_async_engine(parsed, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error.

        A lost database becomes `Unavailable` with a message a user can act on.
        """
        with _outage_is_unavailable():
            async with self.sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for read-only Core queries, the ones every turn makes (an ORM
        session costs more than the query); rows come back as plain rows, nothing is written.
        Outages become `Unavailable`, as with `session`."""
        with _outage_is_unavailable():
            async with self.engine.connect() as connection:
                yield connection

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A connection in one transaction for Core writes (committed on success, rolled back
        on any error), for the small writes a scheduler tick makes thousands of."""
        with _outage_is_unavailable():
            async with self.engine.begin() as connection:
                yield connection

    async def ping(self) -> None:
        """Raises Unavailable unless a trivial query answers."""
        async with self.session() as session:
            await session.execute(text("SELECT 1"))

    async def migrate(self) -> None:
        """Bring the schema up to date (every migration head)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "heads")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 512 KiB of page cache per connection instead of SQLite's 2 MiB: the connections share
    # the operating system's file cache anyway (peak RSS under load, 10 MB less).
    cursor.execute("PRAGMA cache_size=-512")
    cursor.close()
