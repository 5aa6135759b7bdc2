"""The scheduler is a clock: APScheduler (3.x, asyncio) calls `ReminderDispatcher.tick`.

Jobs:
- at each framework's reminder time and Keep in Touch agenda time, Monday to Friday, in the
  framework's own time zone (APScheduler's cron follows daylight-saving changes; bank holidays
  produce nothing because the planner counts working days);
- every few minutes, to send what a missed tick left (marked "(delayed)" if still useful) and to
  retry failed sends;
- once at start-up, so reminders missed while the bot was down go out straight away.

What is due is computed from stored state and recorded in the outbox, so nothing here holds
state that a restart could lose. A tick plans only the inspections the reminder schedule
(store/reminder_schedule.py) says are due or changed; the first tick after a start plans all.

Wiring (in the composition root, `app/__init__.py`):

    reminders = ReminderScheduler(dispatcher, frameworks, interval_minutes=...)
    attach(app, reminders)                 # starts and stops with the aiohttp app
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from inspection.errors import InspectionError
from inspection.frameworks import FrameworkRegistry
from inspection.reminder_dispatch import ReminderDispatcher, TickReport

log = logging.getLogger("scheduler")


def tick_times(frameworks: FrameworkRegistry) -> list[tuple[str, int, int]]:
    """(time zone, hour, minute) of every reminder time any framework uses."""
    found: set[tuple[str, int, int]] = set()
    for framework in frameworks:
        zone = framework.calendar.timezone
        times = {framework.reminder_time}
        for rule in framework.reminders:
            if rule.time:
                times.add(rule.time)
            if rule.minutes_before_kit is not None:
                hours, minutes = (int(p) for p in framework.kit_meeting_time.split(":"))
                before = (hours * 60 + minutes - rule.minutes_before_kit) % (24 * 60)
                times.add(f"{before // 60:02d}:{before % 60:02d}")
        for clock_time in times:
            hours, minutes = (int(p) for p in clock_time.split(":"))
            found.add((zone, hours, minutes))
    return sorted(found)


def cron_triggers(frameworks: FrameworkRegistry) -> dict[str, CronTrigger]:
    """One trigger per reminder time, Monday to Friday, in its framework's time zone."""
    return {
        f"reminders {zone} {hour:02d}:{minute:02d}": CronTrigger(
            day_of_week="mon-fri", hour=hour, minute=minute, timezone=ZoneInfo(zone)
        )
        for zone, hour, minute in tick_times(frameworks)
    }


class ReminderScheduler:
    def __init__(
        self,
        dispatcher: ReminderDispatcher,
        frameworks: FrameworkRegistry,
        *,
        interval_minutes: int = 5,
        run_at_start: bool = True,
    ) -> None:
        self.dispatcher = dispatcher
        self._frameworks = frameworks
        self._interval = interval_minutes
        self._run_at_start = run_at_start
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self.last_report: TickReport | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def tick(self) -> TickReport | None:
        """One tick; skipped (None) if the previous one is still running."""
        if self._lock.locked():
            log.info("previous reminder tick still running; skipping this one")
            return None
        async with self._lock:
            try:
                report = await self.dispatcher.tick()
            except InspectionError as exc:  # e.g. the database is unavailable: next tick
                self.last_error = str(exc)
                log.warning("reminder tick failed: %s", exc)
                return None
            except Exception:
                self.last_error = "unexpected error (see the log)"
                log.exception("reminder tick failed")
                return None
            self.last_report, self.last_error = report, None
            count_reminders(report)  # /metrics
            if report.messages_sent or report.messages_failed or report.errors:
                log.info(
                    "reminders: %d message(s) sent (%d item(s)), %d failed, %d already claimed",
                    report.messages_sent,
                    report.items_sent,
                    report.messages_failed,
                    report.already_claimed,
                )
            return report

    def start(self) -> None:
        if self.running:
            return
        scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        for name, trigger in cron_triggers(self._frameworks).items():
            scheduler.add_job(self.tick, trigger, id=name)
        scheduler.add_job(
            self.tick, IntervalTrigger(minutes=self._interval), id="reminders catch-up"
        )
        if self._run_at_start:
            scheduler.add_job(self.tick, id="reminders at start-up")  # runs once, now
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started: %d job(s)", len(scheduler.get_jobs()))

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        # Let a tick in progress finish: its claims are then marked sent or failed.
        async with self._lock:
            pass

    def jobs(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()] if self._scheduler else []


def attach(app: web.Application, reminders: ReminderScheduler) -> None:
    """Start the scheduler when the aiohttp app starts; stop it when the app stops."""

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        reminders.start()
        yield
        await reminders.shutdown()

    app.cleanup_ctx.append(lifecycle)


def count_reminders(report: TickReport) -> None:
    """Reminders sent and failed, for /metrics (metrics.py)."""
    import metrics

    if report.messages_sent:
        metrics.REMINDERS.labels(outcome="sent").inc(report.messages_sent)
    if report.messages_failed:
        metrics.REMINDERS.labels(outcome="failed").inc(report.messages_failed)
