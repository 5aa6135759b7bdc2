"""The demo's channel as the in-process Graph emulator serves it in `inspection-bot local`:
the same team, channel, people and file ids the demo inspection and the checklist use, and the
files survive a restart (a new emulator on the same folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from cli.demo import (
    DEMO_CHANNEL_ID,
    DEMO_DRIVE_ID,
    DEMO_PEOPLE,
    TEAM_AAD_ID,
    add_demo_channel,
    channel_folder,
    seed_demo,
)
from graph.emulator import GraphEmulator, seed_local
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from store.checklist import SqlChecklistStore
from store.database import Database
from store.inspections import SqlInspectionRepository
from tests.demo.test_demo_seed import WEDNESDAY

AUTH = {"Authorization": "Bearer local"}


async def _get(session: ClientSession, url: str) -> Any:
    async with session.get(url, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _served(files_root: Path) -> tuple[dict[str, str], set[str], str]:
    emulator = GraphEmulator(files_root)
    seed_local(emulator)
    folder = add_demo_channel(emulator)
    assert folder == channel_folder(files_root)
    base = await emulator.start()
    try:
        async with ClientSession() as session:
            channel = f"{base}/teams/{TEAM_AAD_ID}/channels/{DEMO_CHANNEL_ID}"
            root = await _get(session, channel + "/filesFolder")
            members = await _get(session, channel + "/members")
            delta = await _get(session, f"{base}/drives/{DEMO_DRIVE_ID}/items/{root['id']}/delta")
    finally:
        await emulator.stop()
    files = {item["id"]: item["name"] for item in delta["value"] if "file" in item}
    people = {m["userId"] for m in members["value"]}
    return files, people, root["id"]


async def test_the_emulator_serves_the_demo_channel(
    sqlite_database: Database, frameworks: FrameworkRegistry, tmp_path: Path
) -> None:
    await seed_demo(sqlite_database, frameworks, tmp_path, clock=FixedClock(WEDNESDAY))
    inspection = (await SqlInspectionRepository(sqlite_database).list_all())[0]
    assert inspection.id is not None and inspection.channel is not None
    records = await SqlChecklistStore(sqlite_database).load(inspection.id)

    files, people, root_id = await _served(tmp_path)
    # The checklist knows each file by the id Graph reports for it.
    assert set(files) == set(records.files)
    assert "Data Nov.xlsx" in files.values()
    assert inspection.channel.folder_id == root_id
    # Everyone with a role is a member of the (private) channel, by the same Entra ids.
    assert people == {p.aad_object_id for p in DEMO_PEOPLE if p.role is not None}

    # A restart (a new emulator on the same folder) serves the same ids, and a dropped file.
    (channel_folder(tmp_path) / "05 Case audits" / "Case audits 2026.xlsx").write_bytes(b"x")
    again, _, root_again = await _served(tmp_path)
    assert root_again == root_id
    assert set(records.files) < set(again)
    assert "Case audits 2026.xlsx" in again.values()
