"""`sync_inspection_files`, the coroutine the scheduler polls with (the notification fallback)."""

from __future__ import annotations

import asyncio

from graph.emulator import EmulatedTeam, GraphEmulator
from graph.sync_job import sync_inspection_files
from graph.workspace import GraphWorkspace
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection
from inspection.workspace import SyncResult
from store.database import Database
from store.inspections import SqlInspectionRepository
from tests.graph.conftest import DirectoryFactory, setup_request, stored_inspection


async def test_polling_syncs_and_tells_listeners(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory = make_directory(sqlite_database)
    setup = await directory.setup_channel(setup_request(team, frameworks))
    inspection_id = await stored_inspection(sqlite_database, setup)
    repository = SqlInspectionRepository(sqlite_database)
    (emulator.channel_folder(setup.channel_id) / "Optional documents" / "Plan.pdf").write_bytes(
        b"%PDF"
    )
    heard: list[tuple[int | None, SyncResult]] = []

    async def listener(inspection: Inspection, result: SyncResult) -> None:
        heard.append((inspection.id, result))

    result = await sync_inspection_files(directory, repository, inspection_id, [listener])

    assert result is not None and [c.path for c in result.changes] == [
        "Optional documents/Plan.pdf"
    ]
    assert heard == [(inspection_id, result)]


async def test_an_inspection_without_a_channel_is_skipped(
    directory: GraphWorkspace, sqlite_database: Database, emulator: GraphEmulator
) -> None:
    inspection_id = await stored_inspection(sqlite_database)
    repository = SqlInspectionRepository(sqlite_database)
    assert await sync_inspection_files(directory, repository, inspection_id) is None
    assert emulator.requests == []


async def test_overlapping_syncs_report_each_change_once(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
) -> None:
    directory = make_directory(sqlite_database)
    setup = await directory.setup_channel(setup_request(team, frameworks))
    inspection_id = await stored_inspection(sqlite_database, setup)
    await directory.sync_files(inspection_id, setup.channel)
    (emulator.channel_folder(setup.channel_id) / "05 Case audits" / "Audit.xlsx").write_bytes(b"a")

    results = await asyncio.gather(
        *(directory.sync_files(inspection_id, setup.channel) for _ in range(3))
    )

    assert sum(len(r.changes) for r in results) == 1
