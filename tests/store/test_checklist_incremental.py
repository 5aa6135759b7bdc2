"""A sync's few changed files update the kept checklist state: the same state as building it
from every stored file, without reading every file again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from inspection.checklist import InspectionChecklist
from inspection.documents.state import build_state
from inspection.frameworks import FrameworkRegistry
from store.database import Database
from tests.documents import fixture_set
from tests.store.test_checklist_state_cache import CLOCK, LEAD, CountingStore, _stored


async def test_changed_files_update_the_kept_state_as_a_full_build_would(
    sqlite_database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _stored(sqlite_database)
    assert inspection.id is not None
    store = CountingStore(sqlite_database)
    checklist = InspectionChecklist(store, frameworks, CLOCK)
    framework = frameworks.get(inspection.framework)
    files = fixture_set.document_files()
    await checklist.record_files(inspection, files)
    loads = store.loads

    async def full() -> object:
        return build_state(framework, await CountingStore(sqlite_database).load(inspection.id))  # type: ignore[arg-type]

    # A newer version of one document (supersedes its older one), a renamed file, a removed
    # one, an added copy of an ambiguous one: each sync gives the full build's state.
    later = files[0].modified + timedelta(days=3) if files[0].modified else None
    steps = [
        ([replace(files[0], file_id="item-new-version", modified=later)], []),
        ([replace(files[1], name="Renamed " + files[1].name, size=(files[1].size or 0) + 1)], []),
        ([], [files[2].file_id]),
        ([replace(files[3], file_id="item-copy")], [files[4].file_id]),
        ([files[2]], []),
    ]
    for changed, removed in steps:
        state = await checklist.record_files(inspection, changed, removed=removed)
        assert replace(state, new_questions=()) == await full()
        assert await checklist.state(inspection) == replace(state, new_questions=())
    assert store.loads == loads, "every sync after the first used the kept records"

    # A write by another path (a waiver) is seen: the next sync reads the records again.
    missing = next(i.key for i in (await checklist.state(inspection)).items if not i.files)
    await checklist.waive(inspection, missing, "not changed", by=LEAD)
    loads = store.loads
    state = await checklist.record_files(inspection, [replace(files[5], size=1)])
    assert store.loads == loads + 1
    assert replace(state, new_questions=()) == await full()
