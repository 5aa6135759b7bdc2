"""Benchmark: the request log at 500, 5,000 and 50,000 requests: a page, lists, filters,
exports (time, peak memory).

    .venv/bin/python bench/request_log.py [--count 500,5000,50000] [--database URL]

Uses a fresh SQLite file per size by default (or the given database, which must be empty of
this benchmark's inspection). Prints one line per operation: wall time, this process's CPU
time (the figure to compare: wall time moves with the machine's load) and tracemalloc peak;
then a table of the three sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

# The repository root replaces this script's folder on the path: otherwise this file, named
# requests.py, would stand in for the HTTP library of that name for anything importing it.
sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.clock import FixedClock
from inspection.frameworks import builtin_frameworks
from inspection.model import Inspection, Member, Role
from inspection.request_export import export_xlsx, to_csv, to_xlsx
from inspection.requests import (
    WAITING_STATUSES,
    Person,
    RequestLog,
    RequestQuery,
)
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import (
    RequestChildRefRow,
    RequestCounterRow,
    RequestEntryRow,
    RequestFileRow,
    RequestHistoryRow,
    RequestRow,
    SqlRequestRepository,
)

LEAD = Person("aad-lead", "Lead Inspector A")
LINK = Person("aad-link", "Link Officer C")
START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


async def measure(name: str, work: Callable[[], Awaitable[Any]]) -> Any:
    """Time without tracing (tracemalloc slows allocation), then peak memory in a second run."""
    began, cpu = time.perf_counter(), time.process_time()
    result = await work()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    tracemalloc.start()
    await work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = len(result) if hasattr(result, "__len__") else ""
    print(
        f"{name:<38} {elapsed * 1000:9.1f} ms  CPU {cpu * 1000:8.1f} ms   "
        f"peak {peak / 1_048_576:7.1f} MiB   {size}"
    )
    LAST[0], LAST[1] = cpu * 1000, peak / 1_048_576
    return result


# The last `measure`: CPU milliseconds (wall time moves with whatever else the machine runs),
# peak MiB.
LAST = [0.0, 0.0]


async def populate(database: Database, count: int) -> int:
    inspections = SqlInspectionRepository(database)
    inspection = await inspections.add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Benchmark Children's Service",
            onsite_start=date(2024, 3, 4),
            onsite_end=date(2024, 3, 8),
            members=(Member(LEAD.aad_object_id, Role.LEAD_INSPECTOR, LEAD.display_name),
                     Member(LINK.aad_object_id, Role.LINK_OFFICER, LINK.display_name)),
        )
    )  # fmt: skip
    assert inspection.id is not None
    themes = ["Neglect", "Exploitation", "Early Help", None]
    began = time.perf_counter()
    # Bulk insert (the set-up is not what is measured): rows as the repository writes them.
    requests, refs, entries, history = [], [], [], []
    for i in range(count):
        at = START + timedelta(minutes=i)
        answered = bool(i % 2)
        requests.append({
            "inspection_id": inspection.id, "number": i + 1,
            "text": f"Request {i}: supervision records and chronology for CR-{100000 + i % 700}",
            "asked_by_id": LEAD.aad_object_id, "asked_by_name": LEAD.display_name,
            "asked_at": at, "due_on": date(2024, 3, 4) + timedelta(days=i % 20),
            "assignee_id": LINK.aad_object_id, "assignee_name": LINK.display_name,
            "status": "answered" if answered else "open", "priority": "normal",
            "theme": themes[i % 4], "updated_at": at, "version": 2 if answered else 1,
        })  # fmt: skip
    async with database.session() as session:
        await session.execute(insert(RequestRow), requests)
        await session.execute(
            insert(RequestCounterRow), [{"inspection_id": inspection.id, "last_number": count}]
        )
        ids = dict(
            (await session.execute(
                select(RequestRow.number, RequestRow.id).where(
                    RequestRow.inspection_id == inspection.id)
            )).all()
        )  # fmt: skip
        for i in range(count):
            request_id = ids[i + 1]
            at = START + timedelta(minutes=i)
            refs.append({"request_id": request_id, "position": 0,
                         "case_ref": f"CR-{100000 + i % 700}"})  # fmt: skip
            history.append({"request_id": request_id, "at": at, "actor_id": LEAD.aad_object_id,
                            "actor_name": LEAD.display_name, "action": "logged",
                            "internal": False})  # fmt: skip
            if i % 2:
                later = at + timedelta(hours=3)
                entries.append({"request_id": request_id, "kind": "answer",
                                "text": f"Answer to {i}", "person_id": LINK.aad_object_id,
                                "person_name": LINK.display_name, "at": later,
                                "complete": True})  # fmt: skip
                history.append({"request_id": request_id, "at": later,
                                "actor_id": LINK.aad_object_id, "actor_name": LINK.display_name,
                                "action": "answered", "internal": False})  # fmt: skip
        await session.execute(insert(RequestChildRefRow), refs)
        await session.execute(insert(RequestHistoryRow), history)
        await session.execute(insert(RequestEntryRow), entries)
        entry_ids = (await session.scalars(
            select(RequestEntryRow.id).join(RequestRow, RequestRow.id == RequestEntryRow.request_id)
            .where(RequestRow.inspection_id == inspection.id)
        )).all()  # fmt: skip
        await session.execute(
            insert(RequestFileRow),
            [
                {"entry_id": e, "name": f"file-{e}.pdf", "web_url": f"https://f/{e}"}
                for e in entry_ids
            ],
        )
    print(f"{'populate ' + str(count) + ' requests':<34} {(time.perf_counter() - began):9.1f} s")
    return inspection.id


async def one_size(url: str, count: int) -> dict[str, float]:
    database = Database(url)
    await database.migrate()
    print(f"backend: {database.backend}, requests: {count}")
    inspection_id = await populate(database, count)
    clock = FixedClock(datetime(2024, 3, 12, 10, 0, tzinfo=UTC))
    log = RequestLog(SqlRequestRepository(database), SqlInspectionRepository(database),
                     builtin_frameworks(), clock)  # fmt: skip
    inspection = await SqlInspectionRepository(database).get(inspection_id)
    zone = log.framework_of(inspection).zone
    today = log.today(inspection)
    waiting = RequestQuery(statuses=WAITING_STATUSES)
    figures: dict[str, float] = {}

    async def timed(key: str, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        result = await measure(name, work)
        figures[key], figures[key + " peak"] = LAST
        return result

    await timed("page", "first page of open (card)",
                lambda: log.list_page(inspection, LEAD, waiting))  # fmt: skip
    # What `requests open` read before pages: every open request's own columns.
    await timed("every open", "every open request (list_for)",
                lambda: log.list_for(inspection, LEAD, waiting))  # fmt: skip
    everything = await timed(
        "all", "list all", lambda: log.all_requests(inspection_id, "inspectors")
    )
    await measure("filter open", lambda: log.open_requests(inspection_id))
    await measure("filter overdue", lambda: log.overdue(inspection_id, today))
    await measure("filter due today", lambda: log.due_on(inspection_id, today))
    await measure("filter by child CR-100007", lambda: log.matching(
        inspection_id, RequestQuery(child_ref="CR-100007")))  # fmt: skip
    await measure("filter by theme + waiting", lambda: log.matching(
        inspection_id, RequestQuery(theme="neglect", statuses=WAITING_STATUSES)))  # fmt: skip
    await measure("text search 'request 4999'", lambda: log.matching(
        inspection_id, RequestQuery(text="request 4999")))  # fmt: skip

    async def xlsx() -> bytes:
        return to_xlsx(inspection, everything, audience="provider", zone=zone, today=today)

    async def csv_() -> bytes:
        return to_csv(everything, audience="provider", zone=zone, today=today)

    async def list_and_export() -> bytes:
        found = await log.all_requests(inspection_id, "provider")
        return to_xlsx(inspection, found, audience="provider", zone=zone, today=today)

    async def streamed() -> bytes:
        return await export_xlsx(log, inspection, audience="provider")

    await measure("export xlsx (bytes)", xlsx)
    await measure("export csv (bytes)", csv_)
    await timed("whole", "list + export xlsx (bytes)", list_and_export)
    await timed("streamed", "export xlsx in batches (read + write)", streamed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MiB")
    await database.dispose()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", default="500,5000,50000", help="comma-separated sizes")
    parser.add_argument("--database", help="one size only (default: a SQLite file per size)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-requests-")
    results: dict[int, dict[str, float]] = {}
    for count in (int(size) for size in args.count.split(",")):
        url = args.database or f"sqlite+aiosqlite:///{folder}/bench-{count}.db"
        results[count] = await one_size(url, count)
        print()
    print(
        "| requests | first page of open, CPU ms | every open request, CPU ms | list all, CPU ms "
        "| list + export xlsx, CPU ms (peak MiB) | export in batches, CPU ms (peak MiB) |"
    )
    print("|---|---|---|---|---|---|")
    for count, found in results.items():
        print(
            f"| {count:,} | {found['page']:.1f} | {found['every open']:.0f} | {found['all']:.0f} | "
            f"{found['whole']:.0f} ({found['whole peak']:.1f}) | "
            f"{found['streamed']:.0f} ({found['streamed peak']:.1f}) |"
        )


if __name__ == "__main__":
    asyncio.run(main())
