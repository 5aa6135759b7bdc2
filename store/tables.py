"""The schema. One metadata for every table; each concept's tables live in its own module
(`store/tables.py` holds the inspection itself) and all register on `Base.metadata`.

Migrations in `store/migrations/versions` must match this metadata (a test checks).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class InspectionRow(Base):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    framework: Mapped[str] = mapped_column(String(64))
    inspection_type: Mapped[str] = mapped_column(String(64))
    service_name: Mapped[str] = mapped_column(String(200))
    onsite_start: Mapped[date] = mapped_column(Date)
    onsite_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    team_id: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(200), index=True)
    drive_id: Mapped[str | None] = mapped_column(String(200))
    folder_id: Mapped[str | None] = mapped_column(String(200))
    channel_web_url: Mapped[str | None] = mapped_column(String(2000))
    membership_type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class MemberRow(Base):
    __tablename__ = "inspection_members"
    __table_args__ = (
        UniqueConstraint("inspection_id", "aad_object_id", "role"),
        Index("ix_inspection_members_aad_object_id", "aad_object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    aad_object_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))


class ActualDateRow(Base):
    """A date that really happened (notice given, draft sent...), replacing the plan."""

    __tablename__ = "inspection_actual_dates"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[str] = mapped_column(String(32), primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date)
