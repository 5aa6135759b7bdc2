"""The APScheduler wiring: jobs at local reminder times, start and stop with the aiohttp app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from inspection.errors import Unavailable
from inspection.frameworks import FrameworkRegistry
from inspection.reminder_dispatch import TickReport
from inspection.requests import NewRequest, Person, Priority
from scheduler.runtime import ReminderScheduler, attach, cron_triggers, tick_times
from settings import load_settings
from store.database import Database
from store.request_log import SqlRequestRepository
from tests.scheduler.conftest import World, jcc_inspection, summary


def test_jobs_at_each_frameworks_local_times(frameworks: FrameworkRegistry) -> None:
    times = tick_times(frameworks)
    assert ("Europe/Jersey", 9, 0) in times
    assert ("Europe/Jersey", 8, 30) in times  # KIT agenda: 30 minutes before 09:00
    assert ("Europe/London", 9, 0) in times
    assert ("Europe/Guernsey", 9, 0) in times


def test_cron_follows_the_clock_change(frameworks: FrameworkRegistry) -> None:
    trigger = cron_triggers(frameworks)["reminders Europe/Jersey 09:00"]
    friday = trigger.get_next_fire_time(None, datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    monday = trigger.get_next_fire_time(None, datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    assert friday.astimezone(UTC) == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    # Saturday and Sunday skipped; 09:00 BST on Monday is 08:00 UTC.
    assert monday.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    autumn = trigger.get_next_fire_time(None, datetime(2026, 10, 23, 10, 0, tzinfo=UTC))
    assert autumn.astimezone(ZoneInfo("Europe/Jersey")).hour == 9
    assert autumn.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


class Signalling:
    """Wraps a dispatcher so a test can wait for a tick instead of sleeping."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.ticked = asyncio.Event()
        self.reports: list[TickReport] = []

    async def tick(self) -> TickReport:
        report: TickReport = await self.inner.tick()  # type: ignore[attr-defined]
        self.reports.append(report)
        self.ticked.set()
        return report


async def test_starts_and_stops_with_the_app_and_catches_up_at_start(
    sqlite_database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(sqlite_database)
    stored = await world.inspections.add(jcc_inspection())
    assert stored.id is not None
    world.checklist.missing_by_inspection[stored.id] = ["Organisational structures"]
    # Started at 11:00 on the upload deadline: the 09:00 reminder goes out at start-up.
    world.clock.set(datetime(2026, 3, 30, 10, 0, tzinfo=UTC))
    signalling = Signalling(world.dispatcher())
    reminders = ReminderScheduler(signalling, world.frameworks)  # type: ignore[arg-type]
    app = web.Application()
    attach(app, reminders)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        assert reminders.running
        assert "reminders at start-up" in reminders.jobs()
        assert "reminders catch-up" in reminders.jobs()
        assert "reminders Europe/Jersey 09:00" in reminders.jobs()
        await asyncio.wait_for(signalling.ticked.wait(), timeout=30)
        assert sorted(summary(m) for m in world.notifier.sent) == [
            "channel: documents_due",
            "lo-1: documents_due",
        ]
        assert all(m.text.startswith("(delayed)") for m in world.notifier.sent)
    finally:
        await runner.cleanup()
    assert not reminders.running


async def test_an_outage_is_logged_and_the_next_tick_tries_again(
    frameworks: FrameworkRegistry,
) -> None:
    @dataclass
    class Failing:
        calls: int = 0

        async def tick(self) -> TickReport:
            self.calls += 1
            if self.calls == 1:
                raise Unavailable("I can't reach my records right now, try again in a minute.")
            return TickReport(inspections=1)

    failing = Failing()
    reminders = ReminderScheduler(failing, frameworks)  # type: ignore[arg-type]
    assert await reminders.tick() is None
    assert reminders.last_error and "can't reach my records" in reminders.last_error
    report = await reminders.tick()
    assert report is not None and report.inspections == 1 and reminders.last_error is None


async def test_overlapping_ticks_are_skipped(frameworks: FrameworkRegistry) -> None:
    release = asyncio.Event()

    class Slow:
        calls = 0

        async def tick(self) -> TickReport:
            Slow.calls += 1
            await release.wait()
            return TickReport()

    reminders = ReminderScheduler(Slow(), frameworks)  # type: ignore[arg-type]
    first = asyncio.create_task(reminders.tick())
    await asyncio.sleep(0)
    assert await reminders.tick() is None
    release.set()
    assert await first is not None
    assert Slow.calls == 1


async def test_built_from_the_real_request_log_and_checklist(
    sqlite_database: Database, world_factory: Callable[[Database], World]
) -> None:
    from app import build_services

    world = world_factory(sqlite_database)
    stored = await world.inspections.add(jcc_inspection())
    assert stored.id is not None
    settings = load_settings(DATABASE_URL=sqlite_database.url, MicrosoftAppId="")
    services = build_services(settings, clock=world.clock, notifier=world.notifier)
    lead = Person("lead-1", "Lead Inspector")
    await SqlRequestRepository(sqlite_database).add(
        NewRequest(
            inspection_id=stored.id,
            text="Supervision records for CR-104233",
            asked_by=lead,
            asked_at=datetime(2026, 4, 20, 10, 0, tzinfo=UTC),
            due_on=date(2026, 4, 21),
            assignee=Person("lo-1", "Link Officer"),
            priority=Priority.NORMAL,
            child_refs=("CR-104233",),
            theme=None,
            source=None,
            history=(),
        )
    )
    reminders = ReminderScheduler(services.dispatcher, services.frameworks)
    world.clock.set(datetime(2026, 4, 21, 8, 5, tzinfo=UTC))  # 09:05 BST, IR-001's due day
    await reminders.tick()
    await services.database.dispose()
    texts = "\n".join(m.text for m in world.notifier.sent)
    assert "IR-001 (CR-104233) today: Supervision records for CR-104233" in texts
    # No checklist files at all: every required item is listed as missing.
    assert "8 required items missing" in texts
