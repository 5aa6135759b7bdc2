"""`InspectionRepository` over SQLAlchemy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.errors import Conflict, NotFound
from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
from store.database import Database
from store.tables import ActualDateRow, InspectionRow, MemberRow


class SqlInspectionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, inspection: Inspection) -> Inspection:
        now = datetime.now(UTC)
        async with self._db.session() as session:
            row = InspectionRow(created_at=now, updated_at=now, version=1, **_columns(inspection))
            session.add(row)
            await session.flush()
            await _write_children(session, row.id, inspection)
        return replace(inspection, id=row.id, created_at=now, version=1)

    async def get(self, inspection_id: int) -> Inspection:
        async with self._db.session() as session:
            row = await session.get(InspectionRow, inspection_id)
            if row is None:
                raise NotFound(f"there is no inspection {inspection_id}")
            return (await _load(session, [row]))[0]

    async def list_all(self, *, include_closed: bool = False) -> list[Inspection]:
        query = select(InspectionRow).order_by(InspectionRow.onsite_start, InspectionRow.id)
        if not include_closed:
            query = query.where(InspectionRow.status != InspectionStatus.CLOSED.value)
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
            return await _load(session, rows)

    async def for_member(self, aad_object_id: str) -> list[Inspection]:
        query = (
            select(InspectionRow)
            .join(MemberRow, MemberRow.inspection_id == InspectionRow.id)
            .where(
                MemberRow.aad_object_id == aad_object_id,
                InspectionRow.status != InspectionStatus.CLOSED.value,
            )
            .distinct()
            .order_by(InspectionRow.onsite_start, InspectionRow.id)
        )
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
            return await _load(session, rows)

    async def by_channel(self, channel_id: str) -> Inspection | None:
        query = select(InspectionRow).where(InspectionRow.channel_id == channel_id)
        async with self._db.session() as session:
            row = (await session.scalars(query)).first()
            return (await _load(session, [row]))[0] if row else None

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
        return replace(inspection, version=inspection.version + 1)


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
