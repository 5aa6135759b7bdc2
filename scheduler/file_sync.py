"""Polling the inspection channels' Files: the fallback for Graph change notifications.

Every few minutes, for each open inspection whose channel Files are set up, run one delta sync
(`graph.sync_job.sync_inspection_files`) and hand it to the listeners (the checklist). An
inspection is skipped while change notifications are on for it (a live subscription) and a
sync ran recently, on any instance (the stored delta link's time); notifications can be lost,
so a sync still runs once that goes stale: polling slows to a safety net (every 30 minutes).

At start-up, after a sync whose recording failed, and hourly, the checklist is reconciled with
the files the last sync knows of (`ChecklistBoard.catch_up`), so nothing a crash interrupted, or
a sync run by another process (the `sync-files` command), is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from graph.sync_job import SyncListener, sync_inspection_files
from inspection.errors import InspectionError
from inspection.intake import IntakeResult
from inspection.model import Inspection, InspectionStatus
from inspection.workspace import SyncResult

log = logging.getLogger("scheduler.file_sync")

# Does this inspection have a live change subscription? (store.files.SqlFileStore answers it.)
HasSubscription = Callable[[int], Awaitable[bool]]
# When any instance last synced the inspection's files (SqlFileStore.last_synced).
LastSynced = Callable[[int], Awaitable[datetime | None]]


@dataclass(frozen=True)
class FilesMode:
    """How an inspection's channel Files reach the checklist, for `status`."""

    mode: Literal["live", "polling"]
    text: str


@dataclass
class PollReport:
    synced: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class FileSyncPoller:
    def __init__(
        self,
        services: Any,
        board: Any,
        *,
        interval_seconds: float = 300.0,
        fresh_for: timedelta = timedelta(minutes=30),
        reconcile_every: timedelta = timedelta(hours=1),
        has_subscription: HasSubscription | None = None,
        last_synced: LastSynced | None = None,
        listeners: Sequence[SyncListener] = (),
    ) -> None:
        """`board`: the checklist board (bot/features/checklist/board.py): on_sync, catch_up."""
        self._services = services
        self._board = board
        self._interval = interval_seconds
        self._fresh_for = fresh_for
        self._reconcile_every = reconcile_every
        self._has_subscription = has_subscription
        self._last_synced = last_synced
        self._listeners = tuple(listeners)
        self._last_sync: dict[int, datetime] = {}
        self._caught_up: dict[int, datetime] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self.last_report: PollReport | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def note_sync(self, inspection: Inspection, result: SyncResult) -> None:
        """A listener: any sync (notification, poll, command) counts as fresh."""
        if inspection.id is not None:
            self._last_sync[inspection.id] = self._services.clock.now()

    def listeners(self) -> list[SyncListener]:
        return [self.note_sync, self._board.on_sync, *self._listeners]

    async def sync_now(self, inspection_id: int) -> IntakeResult | None:
        """One sync of one inspection's Files, recorded in its checklist; None when it has no
        channel Files (or no directory is configured)."""
        directory = self._services.directory
        if directory is None:
            return None
        inspection = await self._services.repository.get(inspection_id)
        now = self._services.clock.now()
        last = self._caught_up.get(inspection_id)
        if (
            inspection_id in self._board.behind
            or last is None
            or now - last >= self._reconcile_every
        ):
            # Also catches syncs run without the checklist listening (the `sync-files` CLI).
            await self._board.catch_up(inspection)
            self._caught_up[inspection_id] = now
        outcomes: list[IntakeResult] = []

        async def capture(inspection: Inspection, result: SyncResult) -> None:
            outcomes.append(await self._board.on_sync(inspection, result))

        listeners = [self.note_sync, capture, *self._listeners]
        result = await sync_inspection_files(
            directory, self._services.repository, inspection_id, listeners
        )
        if result is None:
            return None
        return outcomes[0] if outcomes else IntakeResult(inspection_id)

    async def _fresh(self, inspection_id: int) -> bool:
        if self._has_subscription is None or not await self._has_subscription(inspection_id):
            return False
        last = self._last_sync.get(inspection_id)
        if self._last_synced is not None:
            # A sync on another instance (a notification it received) counts too.
            stored = await self._last_synced(inspection_id)
            if stored is not None and (last is None or stored > last):
                last = stored
        return last is not None and self._services.clock.now() - last < self._fresh_for

    async def files_mode(self, inspection_id: int) -> FilesMode:
        """"live" while a change subscription is on for the inspection, else "polling"; with
        the sentence `status` shows inspectors."""
        safety = _minutes(self._fresh_for.total_seconds() / 60)
        every = _minutes(self._interval / 60)
        if self._has_subscription is not None and await self._has_subscription(inspection_id):
            return FilesMode(
                "live",
                "Files: live (Microsoft Graph tells me of each change to the channel's Files; "
                f"I also check them every {safety} in case a notification is lost).",
            )
        return FilesMode(
            "polling",
            f"Files: checked every {every} (no change notifications for this channel; "
            "`sync files` checks now).",
        )

    async def poll(self) -> PollReport | None:
        """Sync every open inspection with channel Files; None if a poll is still running."""
        if self._lock.locked():
            log.info("previous file poll still running; skipping this one")
            return None
        async with self._lock:
            report = PollReport()
            try:
                inspections = await self._services.repository.list_all()
            except InspectionError as exc:
                log.warning("file poll: %s", exc)
                report.failed[0] = str(exc)
                self.last_report = report
                return report
            for inspection in inspections:
                channel = inspection.channel
                if (
                    inspection.id is None
                    or inspection.status == InspectionStatus.CLOSED
                    or channel is None
                    or not channel.drive_id
                    or not channel.folder_id
                ):
                    continue
                if await self._fresh(inspection.id) and inspection.id not in self._board.behind:
                    report.skipped.append(inspection.id)
                    continue
                try:
                    await self.sync_now(inspection.id)
                except InspectionError as exc:  # e.g. Graph unavailable: the next poll retries
                    report.failed[inspection.id] = str(exc)
                    log.warning("file sync of inspection %s failed: %s", inspection.id, exc)
                except Exception as exc:
                    report.failed[inspection.id] = type(exc).__name__
                    log.exception("file sync of inspection %s failed", inspection.id)
                else:
                    report.synced.append(inspection.id)
            self.last_report = report
            return report

    def start(self) -> None:
        if self.running:
            return
        scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        scheduler.add_job(self.poll, IntervalTrigger(seconds=self._interval), id="file sync")
        scheduler.add_job(self.poll, id="file sync at start-up")  # runs once, now
        scheduler.start()
        self._scheduler = scheduler

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        async with self._lock:  # let a poll in progress finish recording
            pass


def _minutes(value: float) -> str:
    if value < 1:
        seconds = round(value * 60)
        return f"{seconds} seconds" if seconds != 1 else "second"
    whole = round(value)
    return f"{whole} minutes" if whole != 1 else "minute"


def attach(app: web.Application, poller: FileSyncPoller) -> None:
    """Poll while the aiohttp app runs."""

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        poller.start()
        yield
        await poller.shutdown()

    app.cleanup_ctx.append(lifecycle)
