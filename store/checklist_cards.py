"""Where each inspection's live checklist card is in its channel, so a sync updates that card
in place (`update_activity`) instead of posting a new one every time a file arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from store.database import Database
from store.tables import Base
from store.types import UTCDateTime


class ChecklistCardRow(Base):
    __tablename__ = "checklist_cards"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(400))
    activity_id: Mapped[str] = mapped_column(String(400))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class ChecklistCard:
    inspection_id: int
    conversation_id: str
    activity_id: str
    posted_at: datetime
    updated_at: datetime


class SqlChecklistCards:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, inspection_id: int) -> ChecklistCard | None:
        async with self._db.session() as session:
            row = await session.get(ChecklistCardRow, inspection_id)
            if row is None:
                return None
            return ChecklistCard(
                row.inspection_id,
                row.conversation_id,
                row.activity_id,
                row.posted_at,
                row.updated_at,
            )

    async def posted(
        self, inspection_id: int, conversation_id: str, activity_id: str, at: datetime
    ) -> None:
        """A new card was posted: later updates go to it."""
        async with self._db.session() as session:
            row = await session.get(ChecklistCardRow, inspection_id)
            if row is None:
                session.add(
                    ChecklistCardRow(
                        inspection_id=inspection_id,
                        conversation_id=conversation_id,
                        activity_id=activity_id,
                        posted_at=at,
                        updated_at=at,
                    )
                )
            else:
                row.conversation_id = conversation_id
                row.activity_id = activity_id
                row.posted_at = at
                row.updated_at = at

    async def updated(self, inspection_id: int, at: datetime) -> None:
        async with self._db.session() as session:
            row = await session.get(ChecklistCardRow, inspection_id)
            if row is not None:
                row.updated_at = at

    async def forget(self, inspection_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(ChecklistCardRow).where(ChecklistCardRow.inspection_id == inspection_id)
            )
