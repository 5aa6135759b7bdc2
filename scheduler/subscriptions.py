"""Keeping the channels' change subscriptions alive: the scheduler's upkeep job.

Every minute or so (GRAPH_SUBSCRIPTION_CHECK_SECONDS), and once at start-up, one pass of
`graph.notifications.SubscriptionManager.reconcile`: a channel whose files folder now exists
gets its subscription, one with less than a third of its life left is renewed, one Graph has
forgotten is made again, and a closed inspection's is deleted. A pass that finds nothing to do
costs two small queries and no Graph call, and every instance can run it: the work itself is
done under a lease in the database, so it happens once.

Kept free of msgraph: the pass is handed in as a function.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from inspection.errors import InspectionError

log = logging.getLogger("scheduler.subscriptions")

Reconcile = Callable[[], Awaitable[Any]]


class SubscriptionUpkeep:
    def __init__(self, reconcile: Reconcile, *, interval_seconds: float = 60.0) -> None:
        self._reconcile = reconcile
        self._interval = interval_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self.passes = 0
        self.last_report: Any = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    async def run_once(self) -> Any:
        """One pass; None if the previous one is still running (or failed)."""
        if self._lock.locked():
            return None
        async with self._lock:
            try:
                report = await self._reconcile()
            except InspectionError as exc:  # Graph or the database away: the next pass retries
                log.warning("subscription upkeep: %s", exc)
                return None
            except Exception:
                log.exception("subscription upkeep failed")
                return None
            self.passes += 1
            self.last_report = report
            return report

    def start(self) -> None:
        if self.running:
            return
        scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        scheduler.add_job(
            self.run_once, IntervalTrigger(seconds=self._interval), id="subscription upkeep"
        )
        scheduler.add_job(self.run_once, id="subscription upkeep at start-up")  # once, now
        scheduler.start()
        self._scheduler = scheduler

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        async with self._lock:  # let a pass in progress finish recording
            pass
