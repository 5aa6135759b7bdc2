"""`InspectionRepository` over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.errors import Conflict, NotFound
from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
from store.database import Database
from store.reminder_schedule import mark_changed
from store.tables import ActualDateRow, InspectionRow, MemberRow

# How many loaded inspections a repository keeps (see `_fresh`).
KEPT_INSPECTIONS = 1024
# Ids per IN (...) list.
_CHUNK = 500


class SqlInspectionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database
        # id -> the inspection as loaded, with its members and actual dates. Every update
        # bumps `version` in the same transaction as the members and dates, so a kept one is
        # served only when a one-row query finds the same version: never stale, and one small
        # query per turn instead of three (loading it was 12 % of a turn).
        self._kept: dict[int, Inspection] = {}

    async def _fresh(self, query: Any) -> list[Inspection]:
        """The inspections whose (id, version) `query` selects, in its order: kept ones when
        their version is unchanged, the rest loaded (members and dates) in one go."""
        async with self._db.reading() as connection:
            found = (await connection.execute(query)).all()
        missing = [row.id for row in found if _kept_version(self._kept, row.id) != row.version]
        if missing:
            async with self._db.session() as session:
                rows = list(
                    await session.scalars(
                        select(InspectionRow).where(InspectionRow.id.in_(missing))
                    )
                )
                loaded = await _load(session, rows)
            if len(self._kept) + len(loaded) > KEPT_INSPECTIONS:
                self._kept.clear()
            for inspection in loaded:
                self._kept[inspection.stored_id] = inspection
        return [self._kept[row.id] for row in found if row.id in self._kept]

    async def add(self, inspection: Inspection) -> Inspection:
        now = datetime.now(UTC)
        async with self._db.session() as session:
            row = InspectionRow(created_at=now, updated_at=now, version=1, **_columns(inspection))
            session.add(row)
            await session.flush()
            await _write_children(session, row.id, inspection)
            await mark_changed(session, row.id)
        return replace(inspection, id=row.id, created_at=now, version=1)

    async def get(self, inspection_id: int) -> Inspection:
        query = select(InspectionRow.id, InspectionRow.version).where(
            InspectionRow.id == inspection_id
        )
        found = await self._fresh(query)
        if not found:
            raise NotFound(f"there is no inspection {inspection_id}")
        return found[0]

    async def many(self, inspection_ids: Sequence[int]) -> list[Inspection]:
        """These inspections (those that exist), in `list_all`'s order."""
        found: list[Inspection] = []
        ids = sorted(set(inspection_ids))
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(InspectionRow.id, InspectionRow.version)
                .where(InspectionRow.id.in_(ids[start : start + _CHUNK]))
                .order_by(InspectionRow.onsite_start, InspectionRow.id)
            )
            found += await self._fresh(query)
        if len(ids) > _CHUNK:
            found.sort(key=lambda i: (i.onsite_start, i.stored_id))
        return found

    async def list_all(self, *, include_closed: bool = False) -> list[Inspection]:
        query = select(InspectionRow).order_by(InspectionRow.onsite_start, InspectionRow.id)
        if not include_closed:
            query = query.where(InspectionRow.status != InspectionStatus.CLOSED.value)
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
            return await _load(session, rows)

    async def for_member(self, aad_object_id: str) -> list[Inspection]:
        query = (
            select(InspectionRow.id, InspectionRow.version, InspectionRow.onsite_start)
            .join(MemberRow, MemberRow.inspection_id == InspectionRow.id)
            .where(
                MemberRow.aad_object_id == aad_object_id,
                InspectionRow.status != InspectionStatus.CLOSED.value,
            )
            .distinct()
            .order_by(InspectionRow.onsite_start, InspectionRow.id)
        )
        return await self._fresh(query)

    async def by_channel(self, channel_id: str) -> Inspection | None:
        query = (
            select(InspectionRow.id, InspectionRow.version)
            .where(InspectionRow.channel_id == channel_id)
            .order_by(InspectionRow.id)
            .limit(1)
        )
        found = await self._fresh(query)
        return found[0] if found else None

    async def update(self, inspection: Inspection) -> Inspection:
        if inspection.id is None:
            raise NotFound("this inspection has not been stored yet")
        now = datetime.now(UTC)
        async with self._db.session() as session:
            # Optimistic check: only the version that was read may be replaced.
            result = await session.execute(
                update(InspectionRow)
                .where(
                    InspectionRow.id == inspection.id, InspectionRow.version == inspection.version
                )
                .values(updated_at=now, version=inspection.version + 1, **_columns(inspection))
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                exists = await session.get(InspectionRow, inspection.id)
                if exists is None:
                    raise NotFound(f"there is no inspection {inspection.id}")
                raise Conflict(
                    "someone else changed this inspection a moment ago; "
                    "look at it again and repeat your change"
                )
            await session.execute(delete(MemberRow).where(MemberRow.inspection_id == inspection.id))
            await session.execute(
                delete(ActualDateRow).where(ActualDateRow.inspection_id == inspection.id)
            )
            await _write_children(session, inspection.id, inspection)
            # Dates, members and status are what its reminders are planned from.
            await mark_changed(session, inspection.id)
        return replace(inspection, version=inspection.version + 1)


def _kept_version(kept: dict[int, Inspection], inspection_id: int) -> int | None:
    found = kept.get(inspection_id)
    return found.version if found is not None else None


def _columns(inspection: Inspection) -> dict[str, object]:
    channel = inspection.channel
    return {
        "framework": inspection.framework,
        "inspection_type": inspection.inspection_type,
        "service_name": inspection.service_name,
        "onsite_start": inspection.onsite_start,
        "onsite_end": inspection.onsite_end,
        "status": inspection.status.value,
        "team_id": channel.team_id if channel else None,
        "channel_id": channel.channel_id if channel else None,
        "drive_id": channel.drive_id if channel else None,
        "folder_id": channel.folder_id if channel else None,
        "channel_web_url": channel.web_url if channel else None,
        "membership_type": channel.membership_type if channel else None,
    }


async def _write_children(
    session: AsyncSession, inspection_id: int, inspection: Inspection
) -> None:
    seen: set[tuple[str, str]] = set()
    for member in inspection.members:
        if (member.aad_object_id, member.role.value) in seen:
            continue
        seen.add((member.aad_object_id, member.role.value))
        session.add(
            MemberRow(
                inspection_id=inspection_id,
                aad_object_id=member.aad_object_id,
                role=member.role.value,
                display_name=member.display_name,
                email=member.email,
            )
        )
    for event_name, when in inspection.actuals.items():
        session.add(ActualDateRow(inspection_id=inspection_id, event=event_name, occurred_on=when))


async def _load(session: AsyncSession, rows: list[InspectionRow]) -> list[Inspection]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    members: dict[int, list[Member]] = {i: [] for i in ids}
    actuals: dict[int, dict[str, object]] = {i: {} for i in ids}
    for member in await session.scalars(
        select(MemberRow).where(MemberRow.inspection_id.in_(ids)).order_by(MemberRow.id)
    ):
        members[member.inspection_id].append(
            Member(member.aad_object_id, Role(member.role), member.display_name, member.email)
        )
    for actual in await session.scalars(
        select(ActualDateRow).where(ActualDateRow.inspection_id.in_(ids))
    ):
        actuals[actual.inspection_id][actual.event] = actual.occurred_on
    return [
        Inspection(
            id=row.id,
            framework=row.framework,
            inspection_type=row.inspection_type,
            service_name=row.service_name,
            onsite_start=row.onsite_start,
            onsite_end=row.onsite_end,
            status=InspectionStatus(row.status),
            members=tuple(members[row.id]),
            actuals=dict(actuals[row.id]),  # type: ignore[arg-type]
            channel=(
                Channel(
                    team_id=row.team_id,
                    channel_id=row.channel_id,
                    drive_id=row.drive_id,
                    folder_id=row.folder_id,
                    web_url=row.channel_web_url,
                    membership_type=row.membership_type or "private",
                )
                if row.team_id and row.channel_id
                else None
            ),
            created_at=row.created_at,
            version=row.version,
        )
        for row in rows
    ]
