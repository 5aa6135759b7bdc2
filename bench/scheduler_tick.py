"""Scheduler ticks at 100, 1,000 and 5,000 inspections, each with 50 information requests.

For each size: the first tick of the process (it plans every inspection), the tick at 09:05
that sends the day's reminders (CPU per message sent), and a tick a minute later that finds
nothing due. CPU is this process's (the database server's own work not included). Data is
synthetic; everything is read through the real stores and the reminder schedule.

    .venv/bin/python bench/scheduler_tick.py [--inspections 100,1000,5000] [--requests 50]
        [--without-schedule] [--database-url URL]   (default: a temp SQLite per size)
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

from sqlalchemy import insert

from inspection.clock import FixedClock
from inspection.frameworks import builtin_frameworks
from inspection.model import Inspection, Member, Role
from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage
from inspection.reminder_dispatch import ReminderDispatcher
from scheduler.sources import StoreRequestSource
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import SqlImprovementRepository, SqlOutbox
from store.reminder_schedule import SqlReminderSchedule
from store.request_log import RequestRow

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


async def one_size(args: argparse.Namespace, inspections: int, folder: Path) -> dict[str, float]:
    url = args.database_url or f"sqlite+aiosqlite:///{folder / f'bench-{inspections}.db'}"
    database = Database(url)
    await database.migrate()
    started = time.perf_counter()
    await populate(database, inspections, args.requests)
    print(
        f"setup: {inspections} inspections x {args.requests} requests "
        f"({database.backend}) in {time.perf_counter() - started:.1f}s"
    )
    clock = FixedClock(NOW - timedelta(hours=13))  # Monday 20:05 BST: the process starts
    notifier = CountingNotifier()
    dispatcher = ReminderDispatcher(
        inspections=SqlInspectionRepository(database),
        frameworks=builtin_frameworks(),
        outbox=SqlOutbox(database),
        notifier=notifier,
        clock=clock,
        checklist=FixedMissing(),
        requests=StoreRequestSource(database),
        improvements=SqlImprovementRepository(database),
        schedule=None if args.without_schedule else SqlReminderSchedule(database),
    )
    figures: dict[str, float] = {}
    # The first tick of a process plans every inspection (and sends Monday's reminders that
    # are still worth sending, marked delayed).
    _, _, report = await tick(dispatcher)
    figures["first"] = LAST_CPU[0]
    print(f"  first tick of the process: {LAST_CPU[0]:.2f}s CPU; {report}")
    clock.advance(timedelta(hours=13))  # Tuesday 09:05 BST
    rss_before = rss_mb()
    sent_before = notifier.messages
    elapsed, _, report = await tick(dispatcher)
    sent = notifier.messages - sent_before
    figures["sending"] = LAST_CPU[0]
    figures["per_message_ms"] = LAST_CPU[0] * 1000 / max(sent, 1)
    print(
        f"  sending tick (09:05): {elapsed:.2f}s wall, {LAST_CPU[0]:.2f}s CPU, "
        f"{figures['per_message_ms']:.2f} ms CPU per message; peak RSS {rss_mb():.0f} MB "
        f"(+{rss_mb() - rss_before:.0f} MB); {report}"
    )
    clock.advance(timedelta(minutes=1))
    elapsed, _, report = await tick(dispatcher)
    figures["nothing"] = LAST_CPU[0]
    print(
        f"  tick finding nothing due (09:06): {elapsed * 1000:.1f} ms wall, "
        f"{LAST_CPU[0] * 1000:.1f} ms CPU; {report}"
    )
    await database.dispose()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inspections",
        default="100,1000,5000",
        help="comma-separated sizes (default: 100,1000,5000)",
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="one size only (default: SQLite)")
    parser.add_argument(
        "--without-schedule",
        action="store_true",
        help="plan every inspection on every tick (as before the reminder schedule)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.inspections.split(",")]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            results[size] = await one_size(args, size, Path(folder))
    print()
    print("| inspections | first tick CPU s | sending tick CPU s | ms CPU / message | "
          "nothing due CPU ms |")  # fmt: skip
    print("|---|---|---|---|---|")
    for size, found in results.items():
        print(
            f"| {size:,} | {found['first']:.2f} | {found['sending']:.2f} | "
            f"{found['per_message_ms']:.2f} | {found['nothing'] * 1000:.1f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
