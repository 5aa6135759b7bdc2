"""An incremental sync reads only the stored items its changes touch (their folders, and what
is under a changed folder), never every file of the channel, and reports what a full
reconcile would."""

from __future__ import annotations

import pytest

from graph.emulator import EmulatedTeam, GraphEmulator
from inspection.frameworks import FrameworkRegistry
from store.database import Database
from store.files import SqlFileStore
from tests.graph.conftest import DirectoryFactory
from tests.graph.test_file_sync import _channel, kinds


async def test_a_few_changes_read_a_few_rows_and_report_what_changed(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    database: Database,
    frameworks: FrameworkRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory, setup, inspection_id = await _channel(make_directory, database, team, frameworks)
    folder = emulator.channel_folder(setup.channel_id)
    for number in range(20):
        sub = folder / f"Case files {number:02d}"
        sub.mkdir()
        for index in range(10):
            (sub / f"Document {index}.docx").write_bytes(b"x" * 8)
    first = await directory.sync_files(inspection_id, setup.channel)
    assert first.full_sync and first.files_tracked == 200

    read: list[int] = []
    everything = SqlFileStore.items
    with_ids, children = SqlFileStore.items_with, SqlFileStore.children_of

    async def no_full_read(self: SqlFileStore, inspection: int) -> object:
        raise AssertionError("an incremental sync read every stored item")

    async def counted_with(self: SqlFileStore, inspection: int, ids: object) -> object:
        found = await with_ids(self, inspection, ids)  # type: ignore[arg-type]
        read.append(len(found))
        return found

    async def counted_children(self: SqlFileStore, inspection: int, ids: object) -> object:
        found = await children(self, inspection, ids)  # type: ignore[arg-type]
        read.append(len(found))
        return found

    monkeypatch.setattr(SqlFileStore, "items", no_full_read)
    monkeypatch.setattr(SqlFileStore, "items_with", counted_with)
    monkeypatch.setattr(SqlFileStore, "children_of", counted_children)

    (folder / "Case files 03" / "Document 1.docx").write_bytes(b"changed content")
    (folder / "Case files 07" / "Document 2.docx").unlink()
    (folder / "Case files 07" / "New minutes.docx").write_bytes(b"minutes")
    changed = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(changed) == [
        ("modified", "Case files 03/Document 1.docx"),
        ("deleted", "Case files 07/Document 2.docx"),
        ("added", "Case files 07/New minutes.docx"),
    ]
    assert changed.files_tracked == 200
    assert sum(read) < 30, f"rows read: {read}"

    # A folder renamed: everything in it moves (its contents are read, nothing else).
    read.clear()
    drive = emulator.channel(setup.channel_id).drive
    renamed_id = next(item.id for item in drive.items.values() if item.name == "Case files 05")
    drive.move(renamed_id, new_name="Case files five")
    moved = await directory.sync_files(inspection_id, setup.channel)
    assert sorted(kinds(moved)) == [
        ("moved", f"Case files five/Document {index}.docx") for index in range(10)
    ]
    assert sum(read) < 30, f"rows read: {read}"
    monkeypatch.setattr(SqlFileStore, "items", everything)
    assert len(await directory.files(inspection_id)) == 200
