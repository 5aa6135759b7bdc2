"""The reminder outbox, snoozes and areas for improvement, over SQLAlchemy.

The outbox key is unique, so a reminder can be claimed once whatever the number of bot
instances; on PostgreSQL an advisory transaction lock per inspection also makes one
instance's claim for an inspection all-or-nothing (no half digests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from inspection.errors import Conflict, NotFound
from inspection.improvements import AreaForImprovement
from inspection.reminder_dispatch import OutboxEntry, OutboxStatus
from inspection.reminders import ReminderItem, Snooze, recipient_key
from store.database import Database
from store.reminder_schedule import ReminderScheduleRow, mark_changed
from store.tables import Base
from store.types import UTCDateTime

# pg_advisory_xact_lock(class, id): the class keeps these locks apart from anyone else's.
_LOCK_CLASS = 6006
# Keys per IN (...) list: well under SQLite's and asyncpg's parameter limits.
_CHUNK = 500


class ReminderOutboxRow(Base):
    __tablename__ = "reminder_outbox"
    __table_args__ = (Index("ix_reminder_outbox_inspection_status", "inspection_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16))
    claim_token: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderSnoozeRow(Base):
    __tablename__ = "reminder_snoozes"
    __table_args__ = (UniqueConstraint("inspection_id", "series"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    series: Mapped[str] = mapped_column(String(400))
    until: Mapped[date] = mapped_column(Date)
    snoozed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AreaForImprovementRow(Base):
    __tablename__ = "areas_for_improvement"
    __table_args__ = (UniqueConstraint("inspection_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(2000))
    timeframe_months: Mapped[int] = mapped_column(Integer)
    standard: Mapped[str | None] = mapped_column(String(200))
    completed_on: Mapped[date | None] = mapped_column(Date)
    progress: Mapped[str | None] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _outbox_table() -> Table:
    return cast(Table, ReminderOutboxRow.__table__)


def _entry(row: Any) -> OutboxEntry:
    """From a reminder_outbox row (an ORM object or a plain row: the same names)."""
    status: OutboxStatus = row.status
    return OutboxEntry(
        key=row.key,
        inspection_id=row.inspection_id,
        rule=row.rule,
        subject=row.subject,
        due_on=row.due_on,
        recipient=row.recipient,
        status=status,
        summary=row.summary,
        attempts=row.attempts,
        last_error=row.last_error,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
    )


class SqlOutbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    def _insert(self) -> Any:
        return sqlite_insert if self._db.is_sqlite else pg_insert

    async def claim(
        self,
        inspection_id: int,
        items: Sequence[ReminderItem],
        *,
        now: datetime,
        token: str,
        lease: timedelta,
    ) -> set[str]:
        if not items:
            return set()
        keys = [item.key for item in items]
        rows = [
            {
                "key": item.key,
                "inspection_id": inspection_id,
                "rule": item.rule,
                "subject": item.subject[:120],
                "due_on": item.due_on,
                "recipient": recipient_key(item.recipient)[:200],
                "summary": item.line[:1000],
                "status": "claimed",
                "claim_token": token,
                "claimed_at": now,
                "attempts": 1,
            }
            for item in items
        ]
        async with self._db.writing() as connection:
            if not self._db.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:cls, :id)"),
                    {"cls": _LOCK_CLASS, "id": inspection_id},
                )
            # executemany with one cached statement: a multi-row VALUES would be compiled
            # again for every different number of rows.
            # Core statements, not ORM ones: a tick makes thousands of these.
            outbox = _outbox_table()
            columns = outbox.c
            insert = self._insert()(outbox).on_conflict_do_nothing(index_elements=["key"])
            await connection.execute(insert, rows)
            retry = and_(columns.status == "failed", columns.next_attempt_at <= now)
            abandoned = and_(columns.status == "claimed", columns.claimed_at < now - lease)
            await connection.execute(
                update(outbox)
                .where(columns.key.in_(keys), columns.claim_token != token, or_(retry, abandoned))
                .values(
                    status="claimed",
                    claim_token=token,
                    claimed_at=now,
                    attempts=columns.attempts + 1,
                )
            )
            claimed = set(
                (
                    await connection.execute(
                        select(columns.key).where(
                            columns.key.in_(keys),
                            columns.claim_token == token,
                            columns.status == "claimed",
                        )
                    )
                )
                .scalars()
                .all()
            )
            if claimed:
                # Should this instance die mid-send, the claim is abandoned after the lease.
                await connection.execute(_no_later_than([inspection_id], now + lease))
            return claimed

    async def settled(self, keys: Sequence[str], *, now: datetime, lease: timedelta) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(keys))
        async with self._db.session() as session:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                rows = await session.execute(
                    select(
                        ReminderOutboxRow.key,
                        ReminderOutboxRow.status,
                        ReminderOutboxRow.claimed_at,
                        ReminderOutboxRow.next_attempt_at,
                    ).where(ReminderOutboxRow.key.in_(chunk))
                )
                for key, status, claimed_at, next_attempt_at in rows:
                    if (
                        status == "sent"
                        or (status == "claimed" and claimed_at >= now - lease)
                        or (status == "failed" and next_attempt_at and next_attempt_at > now)
                    ):
                        found.add(key)
        return found

    async def mark_sent(
        self, keys: Sequence[str], *, token: str, now: datetime, activity_id: str | None
    ) -> None:
        columns = _outbox_table().c
        async with self._db.writing() as connection:
            await connection.execute(
                update(_outbox_table())
                .where(columns.key.in_(list(keys)), columns.claim_token == token)
                .values(
                    status="sent",
                    sent_at=now,
                    activity_id=activity_id,
                    last_error=None,
                    next_attempt_at=None,
                )
            )

    async def mark_failed(
        self, keys: Sequence[str], *, token: str, now: datetime, detail: str, retry_at: datetime
    ) -> None:
        columns = _outbox_table().c
        async with self._db.writing() as connection:
            result = await connection.execute(
                update(_outbox_table())
                .where(columns.key.in_(list(keys)), columns.claim_token == token)
                .values(status="failed", last_error=detail[:1000], next_attempt_at=retry_at)
                .returning(columns.inspection_id)
            )
            # The retry is planned in the same transaction as the failure.
            inspection_ids = sorted(set(result.scalars().all()))
            if inspection_ids:
                await connection.execute(_no_later_than(inspection_ids, retry_at))

    async def failures(self, inspection_id: int) -> list[OutboxEntry]:
        query = (
            select(_outbox_table())
            .where(
                ReminderOutboxRow.inspection_id == inspection_id,
                ReminderOutboxRow.status == "failed",
            )
            .order_by(ReminderOutboxRow.due_on.desc(), ReminderOutboxRow.id.desc())
        )
        async with self._db.reading() as connection:
            return [_entry(row) for row in (await connection.execute(query)).all()]

    async def entries(self, inspection_id: int) -> list[OutboxEntry]:
        query = (
            select(ReminderOutboxRow)
            .where(ReminderOutboxRow.inspection_id == inspection_id)
            .order_by(ReminderOutboxRow.id)
        )
        async with self._db.session() as session:
            return [_entry(row) for row in (await session.scalars(query)).all()]

    async def snoozes(self, inspection_ids: Sequence[int], today: date) -> list[Snooze]:
        if not inspection_ids:
            return []
        query = select(ReminderSnoozeRow).where(
            ReminderSnoozeRow.inspection_id.in_(list(inspection_ids)),
            ReminderSnoozeRow.until >= today,
        )
        async with self._db.session() as session:
            rows = (await session.scalars(query)).all()
            return [Snooze(row.inspection_id, row.series, row.until) for row in rows]

    async def pending(
        self, inspection_ids: Sequence[int], *, now: datetime, lease: timedelta
    ) -> dict[int, datetime]:
        found: dict[int, datetime] = {}
        ids = sorted(set(inspection_ids))
        columns = _outbox_table().c
        async with self._db.reading() as connection:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                retries = select(columns.inspection_id, columns.next_attempt_at).where(
                    columns.inspection_id.in_(chunk),
                    columns.status == "failed",
                    columns.next_attempt_at > now,
                )
                abandoned = select(columns.inspection_id, columns.claimed_at).where(
                    columns.inspection_id.in_(chunk),
                    columns.status == "claimed",
                    columns.claimed_at >= now - lease,
                )
                for inspection_id, at in (await connection.execute(retries)).all():
                    if inspection_id not in found or at < found[inspection_id]:
                        found[inspection_id] = at
                for inspection_id, claimed_at in (await connection.execute(abandoned)).all():
                    at = claimed_at + lease
                    if inspection_id not in found or at < found[inspection_id]:
                        found[inspection_id] = at
        return found

    async def snooze(self, snooze: Snooze, *, by: str, now: datetime) -> None:
        values = {
            "inspection_id": snooze.inspection_id,
            "series": snooze.series,
            "until": snooze.until,
            "snoozed_by": by,
            "created_at": now,
        }
        insert = self._insert()(ReminderSnoozeRow).values(values)
        async with self._db.session() as session:
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["inspection_id", "series"],
                    set_={"until": snooze.until, "snoozed_by": by, "created_at": now},
                )
            )
            await mark_changed(session, snooze.inspection_id)


def _no_later_than(inspection_ids: Sequence[int], moment: datetime) -> Any:
    """Bring these inspections' next planning forward to `moment` (never later; a row with
    no moment gets this one)."""
    schedule = cast(Table, ReminderScheduleRow.__table__)
    columns = schedule.c
    return (
        update(schedule)
        .where(
            columns.inspection_id.in_(list(inspection_ids)),
            or_(columns.next_check_at.is_(None), columns.next_check_at > moment),
        )
        .values(next_check_at=moment)
    )


def _area(row: AreaForImprovementRow) -> AreaForImprovement:
    return AreaForImprovement(
        inspection_id=row.inspection_id,
        number=row.number,
        text=row.text,
        timeframe_months=row.timeframe_months,
        standard=row.standard,
        completed_on=row.completed_on,
        progress=row.progress,
        id=row.id,
        created_at=row.created_at,
    )


class SqlImprovementRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, area: AreaForImprovement) -> AreaForImprovement:
        created = area.created_at or datetime.now(UTC)
        for _attempt in range(5):
            try:
                async with self._db.session() as session:
                    if not self._db.is_sqlite:
                        await session.execute(
                            text("SELECT pg_advisory_xact_lock(:cls, :id)"),
                            {"cls": _LOCK_CLASS + 1, "id": area.inspection_id},
                        )
                    else:
                        # SQLite: a no-op write takes the database's write lock before the
                        # highest number is read, so concurrent adds queue instead of colliding.
                        await session.execute(
                            text("UPDATE inspections SET id = id WHERE id = :id"),
                            {"id": area.inspection_id},
                        )
                    highest = await session.scalar(
                        select(func.max(AreaForImprovementRow.number)).where(
                            AreaForImprovementRow.inspection_id == area.inspection_id
                        )
                    )
                    row = AreaForImprovementRow(
                        inspection_id=area.inspection_id,
                        number=(highest or 0) + 1,
                        text=area.text,
                        timeframe_months=area.timeframe_months,
                        standard=area.standard,
                        completed_on=area.completed_on,
                        progress=area.progress,
                        created_at=created,
                    )
                    session.add(row)
                    await session.flush()
                    await mark_changed(session, area.inspection_id)
                    return _area(row)
            except Exception as exc:  # a concurrent add took the number: take the next one
                if "unique" not in str(exc).lower():
                    raise
        raise Conflict("too many areas for improvement were added at once; try again")

    async def for_inspection(self, inspection_id: int) -> list[AreaForImprovement]:
        return (await self.for_inspections([inspection_id])).get(inspection_id, [])

    async def for_inspections(
        self, inspection_ids: list[int]
    ) -> dict[int, list[AreaForImprovement]]:
        if not inspection_ids:
            return {}
        query = (
            select(AreaForImprovementRow)
            .where(AreaForImprovementRow.inspection_id.in_(inspection_ids))
            .order_by(AreaForImprovementRow.inspection_id, AreaForImprovementRow.number)
        )
        found: dict[int, list[AreaForImprovement]] = {}
        async with self._db.session() as session:
            for row in (await session.scalars(query)).all():
                found.setdefault(row.inspection_id, []).append(_area(row))
        return found

    async def update(self, area: AreaForImprovement) -> AreaForImprovement:
        if area.id is None:
            raise NotFound("this area for improvement has not been stored yet")
        async with self._db.session() as session:
            row = await session.get(AreaForImprovementRow, area.id)
            if row is None:
                raise NotFound(f"{area.reference} no longer exists")
            row.text = area.text
            row.timeframe_months = area.timeframe_months
            row.standard = area.standard
            row.completed_on = area.completed_on
            row.progress = area.progress
            await mark_changed(session, row.inspection_id)
        return replace(area)
