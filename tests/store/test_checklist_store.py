"""The checklist kept in the database (SQLite and PostgreSQL) behaves as in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from inspection.checklist import InMemoryChecklistStore, InspectionChecklist, ItemStatus
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from store.checklist import SqlChecklistStore
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.tables import InspectionRow
from tests.documents import fixture_set

LINK = "aad-link"
LEAD = "aad-lead"


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


async def test_stored_checklist_matches_the_in_memory_one(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _stored(database)
    clock = FixedClock(datetime(2024, 2, 12, 10, tzinfo=UTC))
    files = fixture_set.document_files()
    sql = InspectionChecklist(SqlChecklistStore(database), frameworks, clock)
    memory = InspectionChecklist(InMemoryChecklistStore(), frameworks, clock)

    stored = await sql.record_files(inspection, files)
    expected = await memory.record_files(inspection, files)
    assert stored == expected
    # Read back from the database alone, nothing re-read.
    assert await sql.state(inspection) == await memory.state(inspection)
    for key, (status, paths) in fixture_set.EXPECTED.items():
        item = stored.item(key)
        assert (item.status.value, [f.path for f in item.files]) == (status, paths)


async def test_mappings_waivers_answers_and_history_survive(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _stored(database)
    clock = FixedClock(datetime(2024, 2, 12, 10, tzinfo=UTC))
    store = SqlChecklistStore(database)
    checklist = InspectionChecklist(store, frameworks, clock)
    files = fixture_set.document_files()
    state = await checklist.record_files(inspection, files)
    question = state.questions[0]

    clock.advance(timedelta(minutes=5))
    await checklist.answer_question(inspection, question.file_id, "child_level_data", by=LINK)
    await checklist.waive(inspection, "workforce_development_plans", "No plan this year", by=LEAD)
    rota = next(f for f in files if f.name == "Staff Christmas party rota.docx")
    await checklist.map_file(inspection, rota.file_id, None, by=LINK)

    # A fresh service over the same database sees the same checklist.
    again = InspectionChecklist(SqlChecklistStore(database), frameworks, clock)
    state = await again.state(inspection)
    assert state.questions == ()
    assert "Data Nov.xlsx" in [f.path for f in state.item("child_level_data").files]
    assert state.item("staffing_data").status == ItemStatus.RECEIVED
    waived = state.item("workforce_development_plans")
    assert waived.status == ItemStatus.WAIVED
    assert waived.waiver is not None and waived.waiver.reason == "No plan this year"
    assert "Staff Christmas party rota.docx" in [f.path for f in state.ignored]

    records = await store.load(inspection.id or 0)
    answered = records.questions[question.file_id]
    assert (answered.answer, answered.answered_by) == ("child_level_data", LINK)
    assert answered.answered_at == clock.now()
    kinds = [e.kind for e in await again.history(inspection)]
    assert kinds.count("matched") + kinds.count("ignored") == len(files)
    assert kinds[-4:] == ["mapped", "answered", "waived", "mapped"]

    await again.unwaive(inspection, "workforce_development_plans", by=LEAD)
    assert (await again.state(inspection)).item("workforce_development_plans").waiver is None


async def test_removed_files_and_deleted_inspections(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _stored(database)
    clock = FixedClock(datetime(2024, 2, 12, 10, tzinfo=UTC))
    store = SqlChecklistStore(database)
    checklist = InspectionChecklist(store, frameworks, clock)
    files = fixture_set.document_files()
    await checklist.record_files(inspection, files)
    ser = next(f for f in files if f.name == "Self-Evaluation Report 2024 FINAL.docx")
    state = await checklist.record_files(inspection, [], removed=[ser.file_id])
    # The older SER is current again.
    assert [f.path for f in state.item("self_evaluation_report").files] == ["SER 2023 v2.docx"]

    async with database.session() as session:
        await session.execute(delete(InspectionRow).where(InspectionRow.id == inspection.id))
    records = await store.load(inspection.id or 0)
    assert records.files == {} and await store.history(inspection.id or 0) == []
