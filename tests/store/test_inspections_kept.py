"""Loaded inspections kept by the repository (issue 7) are never served stale: a change made
through another repository (another process) is seen on the next read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import delete

from inspection.errors import NotFound
from inspection.model import Channel, Inspection, Member, Role
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.tables import InspectionRow

CHANNEL = Channel(team_id="team-1", channel_id="19:kept@thread.tacv2")


def _inspection() -> Inspection:
    return Inspection(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Work Service",
        onsite_start=date(2024, 3, 4),
        onsite_end=date(2024, 3, 8),
        members=(
            Member("aad-lead", Role.LEAD_INSPECTOR, "Lead Inspector A"),
            Member("aad-link", Role.LINK_OFFICER, "Link Officer B"),
        ),
        channel=CHANNEL,
    )


async def test_a_kept_inspection_is_served_while_unchanged(database: Database) -> None:
    reader = SqlInspectionRepository(database)
    stored = await reader.add(_inspection())
    first = await reader.by_channel(CHANNEL.channel_id)
    assert first is not None and first.id == stored.id
    assert await reader.by_channel(CHANNEL.channel_id) is first
    assert await reader.get(stored.stored_id) is first
    assert await reader.for_member("aad-link") == [first]


async def test_roles_changed_elsewhere_are_seen_at_once(database: Database) -> None:
    reader = SqlInspectionRepository(database)
    other_process = SqlInspectionRepository(database)
    stored = await reader.add(_inspection())
    before = await reader.by_channel(CHANNEL.channel_id)
    assert before is not None and before.role_of("aad-link") is Role.LINK_OFFICER

    current = await other_process.get(stored.stored_id)
    await other_process.update(
        replace(
            current,
            members=(Member("aad-lead", Role.LEAD_INSPECTOR, "Lead Inspector A"),),
            actuals={"notice": date(2024, 2, 1)},
        )
    )
    after = await reader.by_channel(CHANNEL.channel_id)
    assert after is not None
    assert after.role_of("aad-link") is None
    assert after.actuals == {"notice": date(2024, 2, 1)}
    assert await reader.for_member("aad-link") == []
    assert (await reader.get(stored.stored_id)).version == after.version == 2


async def test_a_deleted_inspection_is_not_served(database: Database) -> None:
    reader = SqlInspectionRepository(database)
    stored = await reader.add(_inspection())
    assert await reader.by_channel(CHANNEL.channel_id) is not None
    async with database.session() as session:
        await session.execute(delete(InspectionRow).where(InspectionRow.id == stored.id))
    assert await reader.by_channel(CHANNEL.channel_id) is None
    assert await reader.for_member("aad-lead") == []
    try:
        await reader.get(stored.stored_id)
    except NotFound as missing:
        assert "no inspection" in str(missing)
    else:
        raise AssertionError("a deleted inspection was served from memory")
