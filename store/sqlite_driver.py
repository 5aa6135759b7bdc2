"""SQLAlchemy's aiosqlite dialect with fewer trips to aiosqlite's thread (issue 7).

aiosqlite runs each SQLite connection in its own thread; every call is queued to that thread
and its result handed back to the event loop. SQLAlchemy's adapter makes four such trips for
one query (open a cursor, execute, fetch the rows, close the cursor), plus a COMMIT for a
read-only session and a ROLLBACK when the connection goes back to the pool, both no-ops in
SQLite. Under load those trips, and the event-loop wake-ups they cause, were about a tenth of
a turn's CPU. This dialect:

- executes a statement, fetches its rows and closes the cursor in one trip
  (`OneTripCursor`); the rows are then read from memory, as SQLAlchemy's adapter already
  does for every non-streaming query;
- skips COMMIT and ROLLBACK when SQLite has no transaction open (`in_transaction`).

The one trip uses `aiosqlite.Connection._execute`, the call aiosqlite's own methods are built
on; where it is missing (a future aiosqlite), SQLAlchemy's cursor is used unchanged.
Everything else is SQLAlchemy's aiosqlite dialect.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT

DRIVER = "aiosqlite_lean"


class _Outcome:
    """What SQLAlchemy reads from a cursor after executing: kept once the cursor is closed."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, description: Any = None, rowcount: int = -1, lastrowid: Any = None):
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1

    def close(self) -> None:
        return None


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):  # type: ignore[misc]
    __slots__ = ()
    _awaitable_cursor_close = False  # nothing is left open on the thread

    def __init__(self, adapt_connection: Any) -> None:
        # Unlike the base class, no cursor is opened here (that was a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        def execute(cursor: sqlite3.Cursor) -> list[Any] | None:
            if parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            return cursor.fetchall() if cursor.description else None

        await self._one_trip(execute)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        def execute_many(cursor: sqlite3.Cursor) -> None:
            cursor.executemany(operation, seq_of_parameters)

        await self._one_trip(execute_many)

    async def _one_trip(self, work: Callable[[sqlite3.Cursor], list[Any] | None]) -> None:
        """Open a cursor, do `work`, keep what SQLAlchemy reads, close it: one trip."""

        def run() -> tuple[Any, int, Any, list[Any] | None]:
            cursor = self._connection._conn.cursor()
            try:
                rows = work(cursor)
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            description, rowcount, lastrowid, rows = await self._connection._execute(run)
        self._cursor = _Outcome(description, rowcount, lastrowid)  # type: ignore[assignment]
        if rows is not None:
            self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):  # type: ignore[misc]
    __slots__ = ()
    _cursor_cls = OneTripCursor


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):  # type: ignore[misc]
    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*args, **kwargs)
        driver = adapted._connection
        if not (hasattr(driver, "_execute") and hasattr(driver, "_conn")):
            return adapted  # an aiosqlite without the call this relies on: the usual cursor
        return OneTripConnection(self, driver)


def _in_transaction(dbapi_connection: Any) -> bool:
    """Whether SQLite has a transaction open on this connection (True when unsure)."""
    try:
        return bool(dbapi_connection.driver_connection.in_transaction)
    except (AttributeError, ValueError):  # not an aiosqlite connection, or already closed
        return True


class LeanAiosqliteDialect(SQLiteDialect_aiosqlite):  # type: ignore[misc]
    """pysqlite opens a transaction only before a write, so a read-only session has nothing to
    commit, and a connection going back to the pool after a commit has nothing to roll back.
    Every write still commits, every failed transaction still rolls back."""

    supports_statement_cache = True  # a subclass must say so again, or nothing is cached

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return _Dbapi(__import__("aiosqlite"), __import__("sqlite3"))

    def do_commit(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]

    def do_rollback(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]


registry.register(f"sqlite.{DRIVER}", __name__, LeanAiosqliteDialect.__name__)
