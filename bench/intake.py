"""Files from a sync reaching the checklist, and the checklist card they produce.

    .venv/bin/python bench/intake.py [files] [--store memory|sqlite]

A first sync of a channel holding `files` files (default 10,000) in 200 folders, recorded into
the checklist through `ChecklistIntake` (in-memory store by default, or the SQLite store, whose
change token lets a sync update the kept state; contents "downloaded" from memory, so the
figures are the bot's own work, not Graph's), then an incremental sync of 10 changed files,
then the checklist card built from the result. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Run from anywhere: the repository root, not bench/ (its scripts shadow packages).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bot.features.checklist.cards import checklist_card  # noqa: E402
from inspection.checklist import InMemoryChecklistStore  # noqa: E402
from inspection.clock import FixedClock  # noqa: E402
from inspection.frameworks import builtin_frameworks  # noqa: E402
from inspection.intake import ChecklistIntake  # noqa: E402
from inspection.model import Channel, Inspection  # noqa: E402
from inspection.workspace import ChangeKind, DriveFile, FileChange, SyncResult  # noqa: E402

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNEL = Channel("team", "channel", drive_id="drive", folder_id="folder")
NAMES = [
    "Staffing return {n}.xlsx",
    "Org chart {n}.pdf",
    "Case audit tracker {n}.xlsx",
    "Minutes {n}.docx",
    "Photo {n}.jpg",
    "Data {n}.xlsx",
    "SER draft {n}.docx",
    "Plan {n}.pdf",
]


class MemoryWorkspace:
    def __init__(self) -> None:
        self.downloads = 0

    async def download(self, channel: Channel, item_id: str, *, max_bytes: int = 0) -> bytes:
        self.downloads += 1
        return b"not a real document"  # "received, content not checked": no parsing cost

    async def files(self, inspection_id: int) -> tuple[DriveFile, ...]:
        return ()


def changes(count: int) -> list[FileChange]:
    found = []
    for n in range(count):
        folder = f"Folder {n % 200:03d}"
        name = NAMES[n % len(NAMES)].format(n=n)
        found.append(
            FileChange(
                item_id=f"item-{n}",
                name=name,
                folder=folder,
                path=f"{folder}/{name}",
                size=1000 + n,
                last_modified=T0,
                kind=ChangeKind.ADDED,
            )
        )
    return found


async def main(count: int, store_kind: str) -> None:
    frameworks = builtin_frameworks()
    directory = MemoryWorkspace()
    database = None
    store: Any = InMemoryChecklistStore()
    inspection_id = 1
    if store_kind == "sqlite":
        # The real store (its change token lets a sync update the kept state).
        from store.checklist import SqlChecklistStore
        from store.database import Database
        from store.inspections import SqlInspectionRepository

        database = Database(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/intake.db")
        await database.migrate()
        stored = await SqlInspectionRepository(database).add(
            Inspection(
                "jcc-children-social-care",
                "full",
                "Children's Social Care",
                date(2026, 4, 20),
                date(2026, 4, 24),
            )
        )
        inspection_id = stored.stored_id
        store = SqlChecklistStore(database)
    intake = ChecklistIntake(
        store,
        frameworks,
        FixedClock(T0 + timedelta(days=7)),
        directory=directory,  # type: ignore[arg-type]
    )
    inspection = Inspection(
        id=inspection_id,
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Care",
        onsite_start=date(2026, 4, 20),
        onsite_end=date(2026, 4, 24),
        channel=CHANNEL,
    )
    all_changes = changes(count)
    tracemalloc.start()
    started = time.perf_counter()
    first = await intake.record_sync(
        inspection, SyncResult(inspection_id, tuple(all_changes), full_sync=True, synced_at=T0)
    )
    first_s = time.perf_counter() - started
    _, first_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()

    changed = tuple(
        replace(change, last_modified=T0 + timedelta(hours=1), size=99)
        for change in all_changes[:: max(1, count // 10)][:10]
    )
    started, cpu = time.perf_counter(), time.process_time()
    later = await intake.record_sync(inspection, SyncResult(inspection_id, changed, synced_at=T0))
    later_s, later_cpu = time.perf_counter() - started, time.process_time() - cpu
    _, later_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert first.state is not None and later.state is not None
    started = time.perf_counter()
    card = checklist_card(inspection, later.state, updated_at=T0)
    card_ms = (time.perf_counter() - started) * 1000
    size = len(json.dumps(card).encode())
    print(f"files: {count:,} in 200 folders; downloads for content: {directory.downloads:,}")
    print(
        f"first sync recorded: {first_s:.2f} s ({first_s / count * 1e6:.0f} us/file), "
        f"peak memory {first_peak / 1_048_576:.1f} MB"
    )
    print(
        f"incremental ({len(changed)} changed files): {later_s * 1000:.1f} ms "
        f"({later_cpu * 1000:.1f} ms CPU), peak memory {later_peak / 1_048_576:.1f} MB"
    )
    print(
        f"checklist card: {size / 1024:.1f} KB JSON built in {card_ms:.1f} ms "
        f"({len(later.state.unmatched):,} unmatched, {len(later.state.questions):,} questions)"
    )
    if database is not None:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="?", type=int, default=10_000)
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.files, arguments.store))
