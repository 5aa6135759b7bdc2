"""When each inspection's reminders could next change: the scheduler reads only those due.

One row per inspection: `next_check_at`, the first moment the planner could find something new
to send (a reminder's time, a snooze ending, a failed send's retry, an abandoned claim), and a
`version` that every write changing what is due bumps. Such a write calls `mark_changed` in its
own transaction, which also sets `next_check_at` to `AS_SOON_AS_POSSIBLE`: the next tick plans
that inspection again. A tick records the moment it computed only if the version it read
before planning is still there, so a write made while it planned is never overwritten.

`next_check_at` NULL means nothing is due until something is written (a published inspection
with no open area for improvement).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, Integer, Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from inspection.reminder_dispatch import PlannedMoment
from store.database import Database
from store.tables import Base
from store.types import UTCDateTime

# Earlier than any tick: "plan this inspection at the next tick".
AS_SOON_AS_POSSIBLE = datetime(2000, 1, 1, tzinfo=UTC)


class ReminderScheduleRow(Base):
    __tablename__ = "reminder_schedule"
    __table_args__ = (Index("ix_reminder_schedule_next_check_at", "next_check_at"),)

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)


def _table() -> Table:
    return cast(Table, ReminderScheduleRow.__table__)


def _insert(connection: AsyncConnection) -> Any:
    return sqlite_insert if connection.dialect.name == "sqlite" else pg_insert


async def mark_changed(session: AsyncSession, inspection_id: int) -> None:
    """In the caller's transaction: what is due for this inspection may have changed."""
    columns = _table().c
    connection = await session.connection()
    statement = (
        _insert(connection)(_table())
        .values(inspection_id=inspection_id, next_check_at=AS_SOON_AS_POSSIBLE, version=1)
        .on_conflict_do_update(
            index_elements=["inspection_id"],
            set_={"next_check_at": AS_SOON_AS_POSSIBLE, "version": columns.version + 1},
        )
    )
    await connection.execute(statement)


class SqlReminderSchedule:
    """`ReminderSchedule` over SQLAlchemy."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def due(self, now: datetime) -> dict[int, int]:
        """Inspection id -> version of every inspection whose moment has come (an index range)."""
        query = select(ReminderScheduleRow.inspection_id, ReminderScheduleRow.version).where(
            ReminderScheduleRow.next_check_at <= now
        )
        async with self._db.reading() as connection:
            return {row.inspection_id: row.version for row in await connection.execute(query)}

    async def versions(self) -> dict[int, int]:
        """Inspection id -> version of every row (a tick that plans everything reads these)."""
        query = select(ReminderScheduleRow.inspection_id, ReminderScheduleRow.version)
        async with self._db.reading() as connection:
            return {row.inspection_id: row.version for row in await connection.execute(query)}

    async def record(self, moments: Sequence[PlannedMoment]) -> None:
        """Store each planned moment unless its inspection changed since its version was read
        (then it stays due). Rows are written in id order, so two instances recording at once
        take the row locks in the same order."""
        if not moments:
            return
        ordered = sorted(moments, key=lambda moment: moment.inspection_id)
        table = _table()
        columns = table.c
        async with self._db.session() as session:
            connection = await session.connection()
            known = [m for m in ordered if m.version is not None]
            if known:
                await connection.execute(
                    update(table)
                    .where(
                        columns.inspection_id == bindparam("b_id"),
                        columns.version == bindparam("b_version"),
                    )
                    .values(next_check_at=bindparam("b_at"))
                    .execution_options(synchronize_session=False),
                    [
                        {"b_id": m.inspection_id, "b_version": m.version, "b_at": m.next_check_at}
                        for m in known
                    ],
                )
            new = [m for m in ordered if m.version is None]
            if new:
                # An inspection without a row yet (stored before this table existed and
                # changed by nothing since): a row that nobody else has written in between.
                await connection.execute(
                    _insert(connection)(table).on_conflict_do_nothing(
                        index_elements=["inspection_id"]
                    ),
                    [
                        {
                            "inspection_id": m.inspection_id,
                            "next_check_at": m.next_check_at,
                            "version": 0,
                        }
                        for m in new
                    ],
                )
