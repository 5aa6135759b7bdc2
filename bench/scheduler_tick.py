"""One scheduler tick with 1,000 active inspections, each with 50 information requests.

Prints the time and peak memory (tracemalloc) of the tick that sends, and of a second tick a
minute later that finds everything already sent. Data is synthetic; requests are read through
the real request store, inspections and the outbox through theirs.

    .venv/bin/python bench/scheduler_tick.py [--inspections 1000] [--requests 50]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench]   (default: a temp SQLite)
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert

from inspection.clock import FixedClock
from inspection.frameworks import builtin_frameworks
from inspection.model import Inspection, Member, Role
from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage
from inspection.reminder_dispatch import ReminderDispatcher
from scheduler.sources import StoreRequestSource
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import ReminderOutboxRow, SqlImprovementRepository, SqlOutbox
from store.requests import RequestRow

JCC = "jcc-children-social-care"
# The tick runs at 09:05 BST on Tuesday 21 April 2026.
NOW = datetime(2026, 4, 21, 8, 5, tzinfo=UTC)


class CountingNotifier:
    def __init__(self) -> None:
        self.messages = 0

    async def send(self, message: OutgoingMessage) -> Delivery:
        self.messages += 1
        return Delivery(DeliveryStatus.SENT, activity_id=str(self.messages))


class FixedMissing:
    async def missing(self, inspection_id: int) -> list[str]:
        return ["Organisational structures"] if inspection_id % 3 == 0 else []


async def populate(database: Database, inspections: int, requests: int) -> None:
    repository = SqlInspectionRepository(database)
    # Mondays around the tick (Easter Monday and the May bank holiday avoided).
    week = [
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 4, 27),
        date(2026, 5, 11),
        date(2026, 5, 18),
    ]
    asked_at = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    for number in range(inspections):
        start = week[number % len(week)]
        stored = await repository.add(
            Inspection(
                framework=JCC,
                inspection_type="full",
                service_name=f"Synthetic service {number}",
                onsite_start=start,
                onsite_end=start + timedelta(days=4),
                members=(
                    Member(f"lead-{number}", Role.LEAD_INSPECTOR),
                    Member(f"insp-{number}", Role.INSPECTOR),
                    Member(f"lo-{number}", Role.LINK_OFFICER),
                    Member(f"dir-{number}", Role.DIRECTOR),
                ),
                actuals={"notice": start - timedelta(weeks=5)},
            )
        )
        rows = [
            {
                "inspection_id": stored.id,
                "number": n,
                "text": f"Please provide document {n} for case CR-{100000 + n}",
                "asked_by_id": f"lead-{number}",
                "asked_by_name": "",
                "asked_at": asked_at + timedelta(hours=n),
                # Spread over the fortnight around the tick: some due today, some overdue.
                "due_on": date(2026, 4, 14) + timedelta(days=n % 14),
                "assignee_id": f"lo-{number}",
                "assignee_name": "",
                "status": "open" if n % 4 else "answered",
                "priority": "normal",
                "updated_at": asked_at,
                "version": 1,
            }
            for n in range(1, requests + 1)
        ]
        async with database.session() as session:
            await session.execute(insert(RequestRow), rows)


# CPU seconds of the last tick (this process; the database server's own work not included).
LAST_CPU = [0.0]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def tick(
    dispatcher: ReminderDispatcher, *, trace: bool = False
) -> tuple[float, float, object]:
    """Time of one tick, and its peak Python allocations (tracemalloc, slow) when `trace`."""
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    report = await dispatcher.tick()
    elapsed = time.perf_counter() - started
    LAST_CPU[0] = time.process_time() - cpu
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return elapsed, peak, report


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        database = Database(url)
        await database.migrate()
        started = time.perf_counter()
        await populate(database, args.inspections, args.requests)
        print(
            f"setup: {args.inspections} inspections x {args.requests} requests "
            f"({database.backend}) in {time.perf_counter() - started:.1f}s"
        )
        frameworks = builtin_frameworks()
        clock = FixedClock(NOW)
        notifier = CountingNotifier()
        dispatcher = ReminderDispatcher(
            inspections=SqlInspectionRepository(database),
            frameworks=frameworks,
            outbox=SqlOutbox(database),
            notifier=notifier,
            clock=clock,
            checklist=FixedMissing(),
            requests=StoreRequestSource(database),
            improvements=SqlImprovementRepository(database),
        )
        rss_before = rss_mb()
        elapsed, _, report = await tick(dispatcher)
        print(
            f"tick 1 (sends): {elapsed:.2f}s wall, {LAST_CPU[0]:.2f}s CPU; "
            f"peak RSS {rss_mb():.0f} MB (+{rss_mb() - rss_before:.0f} MB); {report}"
        )
        clock.advance(timedelta(minutes=1))
        elapsed, _, report = await tick(dispatcher)
        print(
            f"tick 2 (everything already sent): {elapsed:.2f}s wall, {LAST_CPU[0]:.2f}s CPU; "
            f"{report}"
        )
        # The sending tick again, from an empty outbox, under tracemalloc (slower) for memory.
        async with database.session() as session:
            await session.execute(delete(ReminderOutboxRow))
        _, peak, _ = await tick(dispatcher, trace=True)
        print(f"tick 1 again under tracemalloc: peak Python allocations {peak:.1f} MB")
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
