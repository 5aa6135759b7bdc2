"""`ChecklistStore` over SQLAlchemy: tracked files and what they matched, explicit mappings,
waivers, questions to the link officer, and the history of every change."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from inspection.checklist import (
    Candidate,
    ChecklistRecords,
    DocumentFile,
    ExplicitMapping,
    FileAssessment,
    HistoryEvent,
    QuestionRecord,
    Waiver,
)
from store.database import Database
from store.reminder_schedule import mark_changed
from store.tables import Base
from store.types import UTCDateTime


class ChecklistFileRow(Base):
    """A file in the inspection's Files and what the checker concluded about it."""

    __tablename__ = "checklist_files"
    __table_args__ = (UniqueConstraint("inspection_id", "file_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(400))
    name: Mapped[str] = mapped_column(String(400))
    folder: Mapped[str] = mapped_column(String(1000), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    modified: Mapped[datetime | None] = mapped_column(UTCDateTime())
    web_url: Mapped[str | None] = mapped_column(String(2000))
    ignored: Mapped[str | None] = mapped_column(Text)
    item_key: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)
    content_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    found: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChecklistMappingRow(Base):
    """A person said what a file is; a null item key: "not a checklist document"."""

    __tablename__ = "checklist_mappings"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    item_key: Mapped[str | None] = mapped_column(String(64))
    mapped_by: Mapped[str] = mapped_column(String(64))
    mapped_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChecklistWaiverRow(Base):
    __tablename__ = "checklist_waivers"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(1000))
    waived_by: Mapped[str] = mapped_column(String(64))
    waived_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChecklistQuestionRow(Base):
    __tablename__ = "checklist_questions"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(64))
    answered_by: Mapped[str | None] = mapped_column(String(64))


class ChecklistHistoryRow(Base):
    __tablename__ = "checklist_history"
    __table_args__ = (Index("ix_checklist_history_inspection_id", "inspection_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(400))
    item_key: Mapped[str | None] = mapped_column(String(64))
    done_by: Mapped[str | None] = mapped_column(String(64))


def _file_columns(assessment: FileAssessment) -> dict[str, Any]:
    file = assessment.file
    return {
        "name": file.name,
        "folder": file.folder,
        "size": file.size,
        "modified": file.modified,
        "web_url": file.web_url,
        "ignored": assessment.ignored,
        "item_key": assessment.item_key,
        "confidence": assessment.confidence,
        "reason": assessment.reason,
        "candidates": [
            {"item_key": c.item_key, "confidence": c.confidence, "reason": c.reason}
            for c in assessment.candidates
        ],
        "ambiguous": assessment.ambiguous,
        "content_checked": assessment.content_checked,
        "problems": list(assessment.problems),
        "notes": list(assessment.notes),
        "found": {k: sorted(v) for k, v in assessment.found.items()},
        "assessed_at": assessment.assessed_at,
    }


def _assessment(row: Any) -> FileAssessment:
    """From a checklist_files row (an ORM object or a plain row: the same names)."""
    return FileAssessment(
        file=DocumentFile(
            file_id=row.file_id,
            name=row.name,
            folder=row.folder,
            size=row.size,
            modified=row.modified,
            web_url=row.web_url,
        ),
        ignored=row.ignored,
        item_key=row.item_key,
        confidence=row.confidence,
        reason=row.reason,
        candidates=tuple(
            Candidate(c["item_key"], float(c["confidence"]), c["reason"]) for c in row.candidates
        ),
        ambiguous=row.ambiguous,
        content_checked=row.content_checked,
        problems=tuple(row.problems),
        notes=tuple(row.notes),
        found={k: frozenset(v) for k, v in row.found.items()},
        assessed_at=row.assessed_at,
    )


# Per database, per inspection: how many checklist writes this process has made. Every
# SqlChecklistStore on the same Database shares it, so a state kept by one is dropped after a
# write through another (`InspectionChecklist.state` keeps the state between writes).
_WRITES: weakref.WeakKeyDictionary[Database, dict[int, int]] = weakref.WeakKeyDictionary()


class SqlChecklistStore:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._writes = _WRITES.setdefault(database, {})

    def change_token(self, inspection_id: int) -> int:
        """Changes whenever this process writes the inspection's checklist (see _WRITES)."""
        return self._writes.get(inspection_id, 0)

    @contextlib.asynccontextmanager
    async def _writing(self, inspection_id: int) -> AsyncIterator[AsyncSession]:
        try:
            async with self._db.session() as session:
                yield session
                # What is missing decides whether the upload reminders are sent.
                await mark_changed(session, inspection_id)
        finally:  # after the commit (or a failure: a reload is harmless)
            self._writes[inspection_id] = self._writes.get(inspection_id, 0) + 1

    async def load(self, inspection_id: int) -> ChecklistRecords:
        records = ChecklistRecords()
        async with self._db.session() as session:
            # Plain rows, not ORM objects: an inspection has hundreds of files.
            for row in await session.execute(
                select(ChecklistFileRow.__table__)
                .where(ChecklistFileRow.inspection_id == inspection_id)
                .order_by(ChecklistFileRow.id)
            ):
                records.files[row.file_id] = _assessment(row)
            for mapping in await session.scalars(
                select(ChecklistMappingRow).where(
                    ChecklistMappingRow.inspection_id == inspection_id
                )
            ):
                records.mappings[mapping.file_id] = ExplicitMapping(
                    mapping.file_id, mapping.item_key, mapping.mapped_by, mapping.mapped_at
                )
            for waiver in await session.scalars(
                select(ChecklistWaiverRow).where(ChecklistWaiverRow.inspection_id == inspection_id)
            ):
                records.waivers[waiver.item_key] = Waiver(
                    waiver.item_key, waiver.reason, waiver.waived_by, waiver.waived_at
                )
            for question in await session.scalars(
                select(ChecklistQuestionRow).where(
                    ChecklistQuestionRow.inspection_id == inspection_id
                )
            ):
                records.questions[question.file_id] = QuestionRecord(
                    file_id=question.file_id,
                    options=tuple(question.options),
                    asked_at=question.asked_at,
                    answered_at=question.answered_at,
                    answer=question.answer,
                    answered_by=question.answered_by,
                )
        return records

    async def save_file(self, inspection_id: int, assessment: FileAssessment) -> None:
        async with self._writing(inspection_id) as session:
            row = await _one(session, ChecklistFileRow, inspection_id, assessment.file.file_id)
            if row is None:
                session.add(
                    ChecklistFileRow(
                        inspection_id=inspection_id,
                        file_id=assessment.file.file_id,
                        **_file_columns(assessment),
                    )
                )
            else:
                for name, value in _file_columns(assessment).items():
                    setattr(row, name, value)

    async def remove_file(self, inspection_id: int, file_id: str) -> None:
        async with self._writing(inspection_id) as session:
            await session.execute(
                delete(ChecklistFileRow).where(
                    ChecklistFileRow.inspection_id == inspection_id,
                    ChecklistFileRow.file_id == file_id,
                )
            )

    async def save_mapping(self, inspection_id: int, mapping: ExplicitMapping) -> None:
        async with self._writing(inspection_id) as session:
            row = await session.get(ChecklistMappingRow, (inspection_id, mapping.file_id))
            if row is None:
                row = ChecklistMappingRow(inspection_id=inspection_id, file_id=mapping.file_id)
                session.add(row)
            row.item_key = mapping.item_key
            row.mapped_by = mapping.by
            row.mapped_at = mapping.at

    async def save_waiver(self, inspection_id: int, waiver: Waiver) -> None:
        async with self._writing(inspection_id) as session:
            row = await session.get(ChecklistWaiverRow, (inspection_id, waiver.item_key))
            if row is None:
                row = ChecklistWaiverRow(inspection_id=inspection_id, item_key=waiver.item_key)
                session.add(row)
            row.reason = waiver.reason
            row.waived_by = waiver.by
            row.waived_at = waiver.at

    async def remove_waiver(self, inspection_id: int, item_key: str) -> None:
        async with self._writing(inspection_id) as session:
            await session.execute(
                delete(ChecklistWaiverRow).where(
                    ChecklistWaiverRow.inspection_id == inspection_id,
                    ChecklistWaiverRow.item_key == item_key,
                )
            )

    async def save_question(self, inspection_id: int, question: QuestionRecord) -> None:
        async with self._writing(inspection_id) as session:
            row = await session.get(ChecklistQuestionRow, (inspection_id, question.file_id))
            if row is None:
                row = ChecklistQuestionRow(inspection_id=inspection_id, file_id=question.file_id)
                session.add(row)
            row.options = list(question.options)
            row.asked_at = question.asked_at
            row.answered_at = question.answered_at
            row.answer = question.answer
            row.answered_by = question.answered_by

    async def add_history(self, inspection_id: int, events: Sequence[HistoryEvent]) -> None:
        if not events:
            return
        async with self._writing(inspection_id) as session:
            session.add_all(
                ChecklistHistoryRow(
                    inspection_id=inspection_id,
                    at=event.at,
                    kind=event.kind,
                    detail=event.detail[:4000],
                    file_id=event.file_id,
                    item_key=event.item_key,
                    done_by=event.by,
                )
                for event in events
            )

    async def history(self, inspection_id: int) -> list[HistoryEvent]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(ChecklistHistoryRow)
                .where(ChecklistHistoryRow.inspection_id == inspection_id)
                .order_by(ChecklistHistoryRow.id)
            )
            return [
                HistoryEvent(
                    at=row.at,
                    kind=row.kind,
                    detail=row.detail,
                    file_id=row.file_id,
                    item_key=row.item_key,
                    by=row.done_by,
                )
                for row in rows
            ]


async def _one(
    session: AsyncSession, table: type[ChecklistFileRow], inspection_id: int, file_id: str
) -> ChecklistFileRow | None:
    return (
        await session.scalars(
            select(table).where(table.inspection_id == inspection_id, table.file_id == file_id)
        )
    ).first()
