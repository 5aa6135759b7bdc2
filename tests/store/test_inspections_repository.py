from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from inspection.errors import Conflict, NotFound
from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
from store.database import Database
from store.inspections import SqlInspectionRepository


def _inspection(**changes: object) -> Inspection:
    base = Inspection(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Work Service",
        onsite_start=date(2024, 3, 4),
        onsite_end=date(2024, 3, 8),
        members=(
            Member("aad-lead", Role.LEAD_INSPECTOR, "Lead Inspector A"),
            Member("aad-link", Role.LINK_OFFICER, "Link Officer B"),
        ),
        actuals={"notice": date(2024, 2, 1)},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_add_then_get_round_trips_every_field(database: Database) -> None:
    repo = SqlInspectionRepository(database)
    stored = await repo.add(_inspection())
    assert stored.id is not None and stored.version == 1
    loaded = await repo.get(stored.id)
    assert loaded.service_name == "Children's Social Work Service"
    assert loaded.onsite_start == date(2024, 3, 4)
    assert loaded.actuals == {"notice": date(2024, 2, 1)}
    assert loaded.role_of("aad-link") is Role.LINK_OFFICER
    assert loaded.role_of("someone-else") is None
    assert loaded.created_at is not None and loaded.created_at.tzinfo is not None


async def test_update_saves_channel_and_bumps_version(database: Database) -> None:
    repo = SqlInspectionRepository(database)
    stored = await repo.add(_inspection())
    channel = Channel("team-1", "19:abc@thread.tacv2", "drive-1", "folder-1")
    updated = await repo.update(replace(stored, channel=channel, status=InspectionStatus.ACTIVE))
    assert updated.version == 2
    loaded = await repo.get(updated.id or 0)
    assert loaded.channel == channel and loaded.status is InspectionStatus.ACTIVE
    assert await repo.by_channel("19:abc@thread.tacv2") == loaded
    assert await repo.by_channel("19:other@thread.tacv2") is None


async def test_stale_update_is_refused_and_loses_nothing(database: Database) -> None:
    repo = SqlInspectionRepository(database)
    stored = await repo.add(_inspection())
    first = await repo.update(replace(stored, service_name="Renamed once"))
    with pytest.raises(Conflict, match="someone else changed"):
        await repo.update(replace(stored, service_name="Renamed from a stale copy"))
    assert (await repo.get(first.id or 0)).service_name == "Renamed once"


async def test_missing_inspection_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="no inspection 99"):
        await SqlInspectionRepository(database).get(99)


async def test_for_member_lists_open_inspections_of_that_person(database: Database) -> None:
    repo = SqlInspectionRepository(database)
    first = await repo.add(_inspection())
    await repo.add(_inspection(members=(Member("aad-other", Role.LEAD_INSPECTOR),)))
    closed = await repo.add(_inspection())
    await repo.update(replace(closed, status=InspectionStatus.CLOSED))
    found = await repo.for_member("aad-link")
    assert [i.id for i in found] == [first.id]
    assert len(await repo.list_all()) == 2
    assert len(await repo.list_all(include_closed=True)) == 3
