"""The checklist state kept between reads (issue 7): served again until the checklist is
written, by any store on the same database in this process, or the time limit passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import inspection.checklist as checklist_module
from inspection.checklist import InspectionChecklist, ItemStatus
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from store.checklist import SqlChecklistStore
from store.database import Database
from store.inspections import SqlInspectionRepository
from tests.documents import fixture_set

LINK = "aad-link"
LEAD = "aad-lead"
CLOCK = FixedClock(datetime(2024, 2, 12, 10, tzinfo=UTC))


async def _stored(database: Database) -> Inspection:
    return await SqlInspectionRepository(database).add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Children's Social Care",
            onsite_start=fixture_set.ONSITE_START,
            onsite_end=fixture_set.ONSITE_END,
            actuals={"notice": fixture_set.NOTICE},
            members=(Member(LEAD, Role.LEAD_INSPECTOR), Member(LINK, Role.LINK_OFFICER)),
        )
    )


class CountingStore(SqlChecklistStore):
    loads = 0

    async def load(self, inspection_id: int):  # type: ignore[no-untyped-def]
        self.loads += 1
        return await super().load(inspection_id)


async def test_state_is_kept_until_a_write_through_any_store(
    sqlite_database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _stored(sqlite_database)
    reader_store = CountingStore(sqlite_database)
    reader = InspectionChecklist(reader_store, frameworks, CLOCK)
    # Another service (say the sync's) writes through its own store on the same database.
    writer = InspectionChecklist(SqlChecklistStore(sqlite_database), frameworks, CLOCK)

    first = await reader.state(inspection)
    assert await reader.state(inspection) is first
    assert reader_store.loads == 1

    after = await writer.record_files(inspection, fixture_set.document_files())
    fresh = await reader.state(inspection)
    assert reader_store.loads == 2
    assert fresh == replace(after, new_questions=()) != first

    missing = next(item.key for item in fresh.items if item.status == ItemStatus.MISSING)
    await writer.waive(inspection, missing, "not changed", by=LEAD)
    waived = await reader.state(inspection)
    assert waived.item(missing).status == ItemStatus.WAIVED
    assert reader_store.loads == 3


async def test_state_is_read_again_after_the_time_limit(
    sqlite_database: Database, frameworks: FrameworkRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspection = await _stored(sqlite_database)
    store = CountingStore(sqlite_database)
    checklist = InspectionChecklist(store, frameworks, CLOCK)
    await checklist.state(inspection)
    await checklist.state(inspection)
    assert store.loads == 1
    # A write by another process is not seen by the token: only the time limit ends the state.
    monkeypatch.setattr(checklist_module, "STATE_CACHE_SECONDS", 0.0)
    await checklist.state(inspection)
    assert store.loads == 2


async def test_other_databases_are_not_affected(
    database: Database, sqlite_database: Database, frameworks: FrameworkRegistry
) -> None:
    if database is sqlite_database:
        pytest.skip("needs two databases")
    one = await _stored(database)
    other = await _stored(sqlite_database)
    store = SqlChecklistStore(database)
    before = store.change_token(one.stored_id)
    await InspectionChecklist(SqlChecklistStore(sqlite_database), frameworks, CLOCK).record_files(
        other, fixture_set.document_files()
    )
    assert store.change_token(one.stored_id) == before
