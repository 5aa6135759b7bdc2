"""`RequestRepository` over SQLAlchemy: the information request log (7.3) and its tables.

Numbers (IR-001...) come from a per-inspection counter row that each logging increments
inside its own transaction: PostgreSQL locks the row (so concurrent loggings queue) and SQLite
takes its single write lock, so numbers never repeat and have no gaps. A unique constraint on
(inspection, number) backs this up. Each request row carries a version for optimistic checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from inspection.errors import Conflict, NotFound
from inspection.requests import (
    WAITING_STATUSES,
    Answer,
    FollowUp,
    HistoryEntry,
    InformationRequest,
    LinkedFile,
    MessageSource,
    NewRequest,
    Note,
    Person,
    Priority,
    RequestQuery,
    RequestStatus,
    format_ref,
)
from store.database import Database
from store.reminder_schedule import mark_changed
from store.tables import Base, InspectionRow
from store.types import UTCDateTime

ANSWER = "answer"
FOLLOW_UP = "follow_up"


class RequestCounterRow(Base):
    """The last request number given out in an inspection."""

    __tablename__ = "request_counters"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("inspection_id", "number"),
        Index("ix_requests_inspection_status_due", "inspection_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[str] = mapped_column(String(64), index=True)
    asked_by_name: Mapped[str] = mapped_column(String(200), default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    theme: Mapped[str | None] = mapped_column(String(120))
    source_message_id: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_author_id: Mapped[str | None] = mapped_column(String(64))
    source_author_name: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class RequestChildRefRow(Base):
    """A child's case reference a request is about (7.3: shared by child ID)."""

    __tablename__ = "request_child_refs"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(40), index=True)


class RequestEntryRow(Base):
    """An answer from the provider or a follow-up question, in the order they came."""

    __tablename__ = "request_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    due_on: Mapped[date | None] = mapped_column(Date)


class RequestFileRow(Base):
    """A channel file linked to an answer."""

    __tablename__ = "request_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("request_entries.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(400))
    web_url: Mapped[str | None] = mapped_column(String(2000))
    item_id: Mapped[str | None] = mapped_column(String(200))
    drive_id: Mapped[str | None] = mapped_column(String(200))


class RequestNoteRow(Base):
    """An inspectors-only note."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestHistoryRow(Base):
    __tablename__ = "request_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(80))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)


class SqlRequestRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, request: NewRequest) -> InformationRequest:
        try:
            async with self._db.session() as session:
                # The counter update comes first: it takes the write lock before anything is
                # read, so concurrent loggings queue here and each gets the next number.
                number = await self._next_number(session, request.inspection_id)
                row = RequestRow(
                    inspection_id=request.inspection_id,
                    number=number,
                    text=request.text,
                    asked_by_id=request.asked_by.aad_object_id,
                    asked_by_name=request.asked_by.display_name,
                    asked_at=request.asked_at,
                    due_on=request.due_on,
                    status=RequestStatus.OPEN.value,
                    priority=request.priority.value,
                    theme=request.theme,
                    updated_at=request.asked_at,
                    version=1,
                    **_assignee_columns(request.assignee),
                    **_source_columns(request.source),
                )
                session.add(row)
                await session.flush()
                for position, ref in enumerate(request.child_refs):
                    session.add(
                        RequestChildRefRow(request_id=row.id, position=position, case_ref=ref)
                    )
                for entry in request.history:
                    session.add(_history_row(row.id, entry))
                await session.flush()
                await mark_changed(session, request.inspection_id)
                return (
                    await _load(
                        session, select(RequestRow.__table__).where(RequestRow.id == row.id)
                    )
                )[0]
        except IntegrityError as exc:
            async with self._db.session() as session:
                known = await session.get(InspectionRow, request.inspection_id)
            if known is None:
                raise NotFound(f"there is no inspection {request.inspection_id}") from exc
            raise Conflict(
                "the request could not be given its number just now; send it again"
            ) from exc

    async def _next_number(self, session: AsyncSession, inspection_id: int) -> int:
        bump = (
            update(RequestCounterRow)
            .where(RequestCounterRow.inspection_id == inspection_id)
            .values(last_number=RequestCounterRow.last_number + 1)
            .returning(RequestCounterRow.last_number)
        )
        number = (await session.execute(bump)).scalar_one_or_none()
        if number is not None:
            return int(number)
        dialect = postgresql if not self._db.is_sqlite else sqlite
        await session.execute(
            dialect.insert(RequestCounterRow)
            .values(inspection_id=inspection_id, last_number=0)
            .on_conflict_do_nothing(index_elements=["inspection_id"])
        )
        return int((await session.execute(bump)).scalar_one())

    async def get(self, inspection_id: int, number: int) -> InformationRequest:
        query = select(RequestRow.__table__).where(
            RequestRow.inspection_id == inspection_id, RequestRow.number == number
        )
        async with self._db.session() as session:
            found = await _load(session, query)
        if not found:
            raise NotFound(
                f"there is no {format_ref(number)} in this inspection; "
                "'requests' lists the ones there are"
            )
        return found[0]

    async def find(self, inspection_id: int, query: RequestQuery) -> list[InformationRequest]:
        select_rows = (
            select(RequestRow.__table__)
            .where(RequestRow.inspection_id == inspection_id, *_conditions(query))
            .order_by(RequestRow.number)
        )
        if query.limit is not None:
            select_rows = select_rows.limit(query.limit)
        async with self._db.session() as session:
            return await _load(session, select_rows)

    async def count_waiting(self, inspection_id: int, today: date) -> tuple[int, int]:
        """(waiting, overdue) for a summary: one aggregate query, no request loaded."""
        late = func.sum(case((RequestRow.due_on < today, 1), else_=0))
        query = select(func.count(), late).where(
            RequestRow.inspection_id == inspection_id,
            RequestRow.status.in_(sorted(s.value for s in WAITING_STATUSES)),
        )
        async with self._db.reading() as connection:
            waiting, overdue = (await connection.execute(query)).one()
        return int(waiting or 0), int(overdue or 0)

    async def count_matching(self, inspection_id: int, query: RequestQuery) -> int:
        """How many requests `query` selects (its limit aside): one COUNT, nothing loaded."""
        counted = select(func.count()).where(
            RequestRow.inspection_id == inspection_id, *_conditions(query)
        )
        async with self._db.reading() as connection:
            return int((await connection.execute(counted)).scalar_one())

    async def find_summaries(
        self, inspection_id: int, query: RequestQuery
    ) -> list[InformationRequest]:
        """`find` for a list: the request's own columns only (answers, follow-ups, notes,
        history and case references left empty), in number order (a list shows a
        request's number, status, due date and text)."""
        select_rows = (
            select(*_SUMMARY_COLUMNS)
            .where(RequestRow.inspection_id == inspection_id, *_conditions(query))
            .order_by(RequestRow.number)
        )
        if query.limit is not None:
            select_rows = select_rows.limit(query.limit)
        async with self._db.reading() as connection:
            rows = (await connection.execute(select_rows)).all()
        return [InformationRequest(inspection_id=inspection_id, **_own_fields(row)) for row in rows]

    async def update(self, request: InformationRequest) -> InformationRequest:
        if request.id is None:
            raise NotFound(f"{request.ref} has not been stored yet")
        async with self._db.session() as session:
            result = await session.execute(
                update(RequestRow)
                .where(RequestRow.id == request.id, RequestRow.version == request.version)
                .values(
                    text=request.text,
                    due_on=request.due_on,
                    status=request.status.value,
                    priority=request.priority.value,
                    theme=request.theme,
                    closed_at=request.closed_at,
                    updated_at=request.updated_at or request.asked_at,
                    version=request.version + 1,
                    **_assignee_columns(request.assignee),
                )
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                if await session.get(RequestRow, request.id) is None:
                    raise NotFound(f"{request.ref} no longer exists")
                raise Conflict(
                    f"someone else changed {request.ref} a moment ago; look at it again and "
                    "repeat your change"
                )
            await _write_new_children(session, request)
            await session.flush()
            # An answer, a new due date, a closing: what its reminders are planned from.
            await mark_changed(session, request.inspection_id)
            return (
                await _load(
                    session, select(RequestRow.__table__).where(RequestRow.id == request.id)
                )
            )[0]


def _assignee_columns(person: Person | None) -> dict[str, Any]:
    return {
        "assignee_id": person.aad_object_id if person else None,
        "assignee_name": person.display_name if person else None,
    }


def _source_columns(source: MessageSource | None) -> dict[str, Any]:
    author = source.author if source else None
    return {
        "source_message_id": source.message_id if source else None,
        "source_url": source.web_url if source else None,
        "source_author_id": author.aad_object_id if author else None,
        "source_author_name": author.display_name if author else None,
    }


def _history_row(request_id: int, entry: HistoryEntry) -> RequestHistoryRow:
    return RequestHistoryRow(
        request_id=request_id,
        at=entry.at,
        actor_id=entry.actor.aad_object_id,
        actor_name=entry.actor.display_name,
        action=entry.action,
        old=entry.old,
        new=entry.new,
        reason=entry.reason,
        internal=entry.internal,
    )


async def _write_new_children(session: AsyncSession, request: InformationRequest) -> None:
    assert request.id is not None
    for answer in request.answers:
        if answer.id is not None:
            continue
        entry = RequestEntryRow(
            request_id=request.id,
            kind=ANSWER,
            text=answer.text,
            person_id=answer.answered_by.aad_object_id,
            person_name=answer.answered_by.display_name,
            at=answer.answered_at,
            complete=answer.complete,
        )
        session.add(entry)
        await session.flush()
        for file in answer.files:
            session.add(
                RequestFileRow(
                    entry_id=entry.id,
                    name=file.name,
                    web_url=file.web_url,
                    item_id=file.item_id,
                    drive_id=file.drive_id,
                )
            )
    for follow in request.follow_ups:
        if follow.id is None:
            session.add(
                RequestEntryRow(
                    request_id=request.id,
                    kind=FOLLOW_UP,
                    text=follow.text,
                    person_id=follow.asked_by.aad_object_id,
                    person_name=follow.asked_by.display_name,
                    at=follow.asked_at,
                    complete=True,
                    due_on=follow.due_on,
                )
            )
    for note in request.notes:
        if note.id is None:
            session.add(
                RequestNoteRow(
                    request_id=request.id,
                    text=note.text,
                    author_id=note.author.aad_object_id,
                    author_name=note.author.display_name,
                    written_at=note.written_at,
                )
            )
    for entry_ in request.history:
        if entry_.id is None:
            session.add(_history_row(request.id, entry_))


_SUMMARY_COLUMNS = (
    RequestRow.id,
    RequestRow.number,
    RequestRow.text,
    RequestRow.asked_by_id,
    RequestRow.asked_by_name,
    RequestRow.asked_at,
    RequestRow.due_on,
    RequestRow.assignee_id,
    RequestRow.assignee_name,
    RequestRow.status,
    RequestRow.priority,
    RequestRow.theme,
    RequestRow.closed_at,
    RequestRow.updated_at,
    RequestRow.version,
)


def _conditions(query: RequestQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.statuses is not None:
        conditions.append(RequestRow.status.in_(sorted(s.value for s in query.statuses)))
    if query.due_from is not None:
        conditions.append(RequestRow.due_on >= query.due_from)
    if query.due_to is not None:
        conditions.append(RequestRow.due_on <= query.due_to)
    if query.asked_by is not None:
        conditions.append(RequestRow.asked_by_id == query.asked_by)
    if query.assignee is not None:
        conditions.append(RequestRow.assignee_id == query.assignee)
    if query.theme is not None:
        conditions.append(func.lower(RequestRow.theme) == query.theme.strip().lower())
    if query.opened_from is not None:
        conditions.append(RequestRow.asked_at >= query.opened_from)
    if query.opened_to is not None:
        conditions.append(RequestRow.asked_at < query.opened_to)
    if query.numbers is not None:
        conditions.append(RequestRow.number.in_(sorted(query.numbers)))
    if query.after_number is not None:
        conditions.append(RequestRow.number > query.after_number)
    if query.text:
        pattern = "%" + _escape_like(query.text.lower()) + "%"
        conditions.append(func.lower(RequestRow.text).like(pattern, escape="\\"))
    if query.child_ref is not None:
        conditions.append(
            exists().where(
                RequestChildRefRow.request_id == RequestRow.id,
                RequestChildRefRow.case_ref == query.child_ref.strip().upper(),
            )
        )
    if query.answered_from is not None or query.answered_to is not None:
        answered = [RequestEntryRow.request_id == RequestRow.id, RequestEntryRow.kind == ANSWER]
        if query.answered_from is not None:
            answered.append(RequestEntryRow.at >= query.answered_from)
        if query.answered_to is not None:
            answered.append(RequestEntryRow.at < query.answered_to)
        conditions.append(exists().where(*answered))
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _load(session: AsyncSession, query: Any) -> list[InformationRequest]:
    """The requests `query` selects, with their children (a few queries, not one per row)."""
    # Core rows, not ORM entities: loading thousands of requests is several times faster.
    rows: Sequence[Any] = (await session.execute(query)).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    # Children are selected by the same query's ids as a subquery: no huge parameter lists.
    in_ids: Any = (
        ids if len(ids) <= 500 else query.with_only_columns(RequestRow.id).scalar_subquery()
    )
    refs: dict[int, list[str]] = {i: [] for i in ids}
    for ref in await session.execute(
        select(RequestChildRefRow.__table__)
        .where(RequestChildRefRow.request_id.in_(in_ids))
        .order_by(RequestChildRefRow.request_id, RequestChildRefRow.position)
    ):
        refs[ref.request_id].append(ref.case_ref)
    entries: dict[int, list[Any]] = {i: [] for i in ids}
    entry_rows = list(
        await session.execute(
            select(RequestEntryRow.__table__)
            .where(RequestEntryRow.request_id.in_(in_ids))
            .order_by(RequestEntryRow.at, RequestEntryRow.id)
        )
    )
    for entry in entry_rows:
        entries[entry.request_id].append(entry)
    files: dict[int, list[LinkedFile]] = {}
    if entry_rows:
        entry_ids = (
            select(RequestEntryRow.id)
            .where(RequestEntryRow.request_id.in_(in_ids))
            .scalar_subquery()
        )
        for file in await session.execute(
            select(RequestFileRow.__table__)
            .where(RequestFileRow.entry_id.in_(entry_ids))
            .order_by(RequestFileRow.id)
        ):
            files.setdefault(file.entry_id, []).append(
                LinkedFile(file.name, file.web_url, file.item_id, file.drive_id, file.id)
            )
    notes: dict[int, list[Note]] = {i: [] for i in ids}
    for note in await session.execute(
        select(RequestNoteRow.__table__)
        .where(RequestNoteRow.request_id.in_(in_ids))
        .order_by(RequestNoteRow.written_at, RequestNoteRow.id)
    ):
        notes[note.request_id].append(
            Note(note.text, Person(note.author_id, note.author_name), note.written_at, note.id)
        )
    history: dict[int, list[HistoryEntry]] = {i: [] for i in ids}
    for item in await session.execute(
        select(RequestHistoryRow.__table__)
        .where(RequestHistoryRow.request_id.in_(in_ids))
        .order_by(RequestHistoryRow.at, RequestHistoryRow.id)
    ):
        history[item.request_id].append(
            HistoryEntry(
                at=item.at,
                actor=Person(item.actor_id, item.actor_name),
                action=item.action,
                old=item.old,
                new=item.new,
                reason=item.reason,
                internal=item.internal,
                id=item.id,
            )
        )
    result = []
    for row in rows:
        answers = tuple(
            Answer(
                text=entry.text,
                answered_by=Person(entry.person_id, entry.person_name),
                answered_at=entry.at,
                files=tuple(files.get(entry.id, ())),
                complete=entry.complete,
                id=entry.id,
            )
            for entry in entries[row.id]
            if entry.kind == ANSWER
        )
        follow_ups = tuple(
            FollowUp(
                text=entry.text,
                asked_by=Person(entry.person_id, entry.person_name),
                asked_at=entry.at,
                due_on=entry.due_on or row.due_on,
                id=entry.id,
            )
            for entry in entries[row.id]
            if entry.kind == FOLLOW_UP
        )
        result.append(
            InformationRequest(
                inspection_id=row.inspection_id,
                **_own_fields(row),
                child_refs=tuple(refs[row.id]),
                source=(
                    MessageSource(
                        row.source_message_id,
                        row.source_url,
                        Person(row.source_author_id, row.source_author_name or "")
                        if row.source_author_id
                        else None,
                    )
                    if row.source_message_id
                    else None
                ),
                answers=answers,
                follow_ups=follow_ups,
                notes=tuple(notes[row.id]),
                history=tuple(history[row.id]),
            )
        )
    return result


def _own_fields(row: Any) -> dict[str, Any]:
    """The request's own columns (a `requests` row or a `_SUMMARY_COLUMNS` row) as fields."""
    return {
        "number": row.number,
        "text": row.text,
        "asked_by": Person(row.asked_by_id, row.asked_by_name),
        "asked_at": row.asked_at,
        "due_on": row.due_on,
        "assignee": Person(row.assignee_id, row.assignee_name or "") if row.assignee_id else None,
        "status": RequestStatus(row.status),
        "priority": Priority(row.priority),
        "theme": row.theme,
        "closed_at": row.closed_at,
        "updated_at": row.updated_at,
        "id": row.id,
        "version": row.version,
    }


__all__ = ["SqlRequestRepository"]
