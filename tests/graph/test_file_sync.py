"""Tracking the channel's files with delta: first sync, changes, moves, deletes, 410 resync,
restart, paging, and nothing half-recorded when Graph fails part-way (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.emulator import EmulatedTeam, GraphEmulator
from graph.errors import GraphUnavailable
from graph.workspace import GraphWorkspace
from inspection.errors import ConfigurationError, InspectionError, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.model import Channel
from inspection.workspace import ChangeKind, ChannelSetupResult, SyncResult
from store.database import Database
from store.files import SqlFileStore
from tests.graph.conftest import DirectoryFactory, setup_request, stored_inspection


def kinds(result: SyncResult) -> list[tuple[str, str]]:
    return [(change.kind.value, change.path) for change in result.changes]


async def _channel(
    make_directory: DirectoryFactory,
    database: Database,
    team: EmulatedTeam,
    frameworks: FrameworkRegistry,
) -> tuple[GraphWorkspace, ChannelSetupResult, int]:
    directory = make_directory(database)
    result = await directory.setup_channel(setup_request(team, frameworks))
    return directory, result, await stored_inspection(database, result)


async def test_the_delta_sequence_initial_change_move_delete_and_resync(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(make_directory, database, team, frameworks)
    folder = emulator.channel_folder(setup.channel_id)
    (folder / "08 Staffing data" / "Staffing return.xlsx").write_bytes(b"v1")
    (folder / "02 Self-Evaluation Report" / "SER 2024.docx").write_bytes(b"ser")

    first = await directory.sync_files(inspection_id, setup.channel)
    assert first.full_sync and not first.resynced
    assert kinds(first) == [
        ("added", "02 Self-Evaluation Report/SER 2024.docx"),
        ("added", "08 Staffing data/Staffing return.xlsx"),
    ]
    staffing = next(c for c in first.changes if c.name == "Staffing return.xlsx")
    assert staffing.folder == "08 Staffing data"
    assert staffing.size == 2
    assert staffing.mime_type is not None and "spreadsheet" in staffing.mime_type
    assert staffing.modified_by == "Files dropped locally"
    assert staffing.web_url and staffing.last_modified is not None
    assert first.files_tracked == 2

    # Nothing changed: one request, nothing reported.
    before = emulator.count()
    quiet = await directory.sync_files(inspection_id, setup.channel)
    assert quiet.changes == () and emulator.count() - before == 1

    # New content.
    (folder / "08 Staffing data" / "Staffing return.xlsx").write_bytes(b"version 2")
    changed = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(changed) == [("modified", "08 Staffing data/Staffing return.xlsx")]
    assert changed.changes[0].size == 9

    # Moved through Graph (keeps its id) into another item's folder.
    drive = emulator.channel(setup.channel_id).drive
    target = next(f for f in setup.folders if f.name == "Optional documents")
    drive.move(staffing.item_id, target.item_id)
    moved = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(moved) == [("moved", "Optional documents/Staffing return.xlsx")]
    assert moved.changes[0].previous_path == "08 Staffing data/Staffing return.xlsx"
    assert moved.changes[0].item_id == staffing.item_id

    # Renaming a folder moves every file in it.
    ser_folder = next(f for f in setup.folders if f.name == "02 Self-Evaluation Report")
    drive.move(ser_folder.item_id, new_name="02 SER")
    renamed = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(renamed) == [("moved", "02 SER/SER 2024.docx")]

    # Deleted.
    (folder / "Optional documents" / "Staffing return.xlsx").unlink()
    deleted = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(deleted) == [("deleted", "Optional documents/Staffing return.xlsx")]
    assert deleted.changes[0].deleted

    # The token expires (410): re-read everything, report only what really changed.
    (folder / "01 Organisational structures" / "Org chart.pdf").write_bytes(b"%PDF")
    emulator.expire_delta_tokens()
    resynced = await directory.sync_files(inspection_id, setup.channel)
    assert resynced.resynced and resynced.full_sync
    assert kinds(resynced) == [("added", "01 Organisational structures/Org chart.pdf")]
    assert emulator.count(path="delta", method="GET") > 0
    assert [f.path for f in await directory.files(inspection_id)] == [
        "01 Organisational structures/Org chart.pdf",
        "02 SER/SER 2024.docx",
    ]


async def test_a_restart_continues_from_the_stored_delta_link(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(make_directory, database, team, frameworks)
    folder = emulator.channel_folder(setup.channel_id)
    (folder / "05 Case audits" / "Audits CR-104233.xlsx").write_bytes(b"a")
    await directory.sync_files(inspection_id, setup.channel)
    (folder / "05 Case audits" / "Audit summary.docx").write_bytes(b"b")

    restarted = make_directory(database)  # a new process: only the database carries over
    result = await restarted.sync_files(inspection_id, setup.channel)

    assert not result.full_sync
    assert kinds(result) == [("added", "05 Case audits/Audit summary.docx")]
    assert len(await restarted.files(inspection_id)) == 2


async def test_delta_pages_are_followed_and_counted(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(
        make_directory, sqlite_database, team, frameworks
    )
    emulator.page_size = 7
    folder = emulator.channel_folder(setup.channel_id) / "03 Child-level data"
    for number in range(30):
        (folder / f"Extract {number:02d}.csv").write_text("CR-1")
    before = emulator.count("GET", "delta")

    result = await directory.sync_files(inspection_id, setup.channel)

    # Drive root + channel folder + 10 folders + 30 files = 42 items: 6 pages of 7.
    assert result.pages == 6
    assert emulator.count("GET", "delta") - before == 6
    assert len(result.changes) == 30


async def test_files_in_other_channels_of_a_shared_library_are_ignored(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory = make_directory(sqlite_database)
    ours = await directory.setup_channel(
        setup_request(team, frameworks, membership_type="standard")
    )
    other = await directory.setup_channel(
        setup_request(team, frameworks, membership_type="standard", service_name="Adoption")
    )
    assert ours.drive_id == other.drive_id  # standard channels share the team's library
    inspection_id = await stored_inspection(sqlite_database, ours)
    (emulator.channel_folder(other.channel_id) / "Not ours.docx").write_bytes(b"x")
    (emulator.channel_folder(ours.channel_id) / "Ours.docx").write_bytes(b"y")

    result = await directory.sync_files(inspection_id, ours.channel)

    assert kinds(result) == [("added", "Ours.docx")]


async def test_a_persistent_503_says_when_it_retries_and_records_nothing(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(make_directory, database, team, frameworks)
    emulator.page_size = 5
    await directory.sync_files(inspection_id, setup.channel)
    store = SqlFileStore(database)
    link_before = (await store.delta_state(inspection_id)).delta_link  # type: ignore[union-attr]
    folder = emulator.channel_folder(setup.channel_id)
    for number in range(12):
        (folder / "Optional documents" / f"Plan {number}.pdf").write_bytes(b"%PDF")
    # The first page answers, then Graph stays down (the SDK retries 3 times, then gives up).
    emulator.fail(503, method="GET", path="delta", times=None, retry_after=1)
    original = emulator._take_fault
    served = {"pages": 0}

    def after_first_page(method: str, path: str):  # type: ignore[no-untyped-def]
        if "delta" in path and served["pages"] == 0:
            served["pages"] += 1
            return None
        return original(method, path)

    emulator._take_fault = after_first_page  # type: ignore[method-assign]
    slow_directory = make_directory(database, max_retries=1)

    with pytest.raises(GraphUnavailable) as caught:
        await slow_directory.sync_files(inspection_id, setup.channel)

    assert str(caught.value).startswith("Microsoft Graph is unavailable; I'll retry at 10:15.")
    assert caught.value.retry_at.isoformat() == "2024-02-05T10:15:00+00:00"
    after = await store.delta_state(inspection_id)
    assert after is not None and after.delta_link == link_before
    assert len(await slow_directory.files(inspection_id)) == 0

    emulator._take_fault = original  # type: ignore[method-assign]
    emulator.clear_faults()
    recovered = await slow_directory.sync_files(inspection_id, setup.channel)
    assert len(recovered.changes) == 12 and all(
        c.kind == ChangeKind.ADDED for c in recovered.changes
    )


async def test_429_with_retry_after_is_retried_by_the_sdk(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(
        make_directory, sqlite_database, team, frameworks
    )
    emulator.fail(429, method="GET", path="delta", times=1, retry_after=1)

    result = await directory.sync_files(inspection_id, setup.channel)

    assert result.full_sync
    statuses = [r.status for r in emulator.requests if "delta" in r.path]
    assert statuses == [429, 200]


async def test_sync_before_setup_is_refused_with_what_to_do(
    directory: GraphWorkspace, sqlite_database: Database
) -> None:
    with pytest.raises(ConfigurationError, match="run the channel setup first"):
        await directory.sync_files(1, Channel("team", "19:x@thread.tacv2"))


async def test_download_and_upload(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
    tmp_path: Path,
) -> None:
    directory, setup, inspection_id = await _channel(
        make_directory, sqlite_database, team, frameworks
    )
    saved = await directory.upload(
        setup.channel, "Information requests", "Information requests.xlsx", b"PK\x03\x04 log"
    )
    assert saved.path == "Information requests/Information requests.xlsx"
    assert saved.folder == "Information requests"
    on_disk = emulator.channel_folder(setup.channel_id) / saved.path
    assert on_disk.read_bytes() == b"PK\x03\x04 log"

    # Saving again replaces the file (same item), and a sync sees it as one file.
    again = await directory.upload(
        setup.channel, "Information requests", "Information requests.xlsx", b"PK\x03\x04 v2"
    )
    assert again.item_id == saved.item_id
    result = await directory.sync_files(inspection_id, setup.channel)
    assert kinds(result) == [("added", "Information requests/Information requests.xlsx")]
    assert result.changes[0].modified_by == "Inspection bot"

    assert await directory.download(setup.channel, saved.item_id) == b"PK\x03\x04 v2"
    with pytest.raises(InspectionError, match="I can only read files up to"):
        await directory.download(setup.channel, saved.item_id, max_bytes=3)
    folder_item = setup.folders[0].item_id
    with pytest.raises(InspectionError, match="is a folder"):
        await directory.download(setup.channel, folder_item)
    on_disk.unlink()
    with pytest.raises(NotFound, match="no longer in the channel's Files"):
        await directory.download(setup.channel, saved.item_id)


async def test_a_folder_moved_into_the_channel_brings_its_files(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory, setup, inspection_id = await _channel(
        make_directory, sqlite_database, team, frameworks
    )
    drive = emulator.channel(setup.channel_id).drive
    outside = drive.create_folder("root", "Drafts elsewhere")
    inner = drive.create_folder(outside.id, "Sub")
    drive.write_file(outside.id, "Plan.docx", b"p")
    drive.write_file(inner.id, "Annex.docx", b"a")
    first = await directory.sync_files(inspection_id, setup.channel)
    assert first.changes == ()  # outside the channel folder

    optional = next(f for f in setup.folders if f.name == "Optional documents")
    drive.move(outside.id, optional.item_id)
    moved_in = await directory.sync_files(inspection_id, setup.channel)

    assert kinds(moved_in) == [
        ("added", "Optional documents/Drafts elsewhere/Plan.docx"),
        ("added", "Optional documents/Drafts elsewhere/Sub/Annex.docx"),
    ]
    assert {c.folder for c in moved_in.changes} == {"Optional documents"}

    drive.move(outside.id, drive.root_id)
    moved_out = await directory.sync_files(inspection_id, setup.channel)
    assert [k for k, _ in kinds(moved_out)] == ["deleted", "deleted"]
