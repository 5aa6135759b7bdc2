"""A newcomer's first run prints every line once: APScheduler's own INFO chatter (one
"Scheduler started" per scheduler, two lines per job run) stays out of the log; the project's
scheduler modules say what started, once."""

from __future__ import annotations

import asyncio
import io

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from logsetup import configure_logging


async def test_apscheduler_lines_are_not_repeated_into_the_log() -> None:
    out = io.StringIO()
    configure_logging("INFO", fmt="text", stream=out)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    schedulers = [AsyncIOScheduler(event_loop=asyncio.get_running_loop()) for _ in range(2)]
    for scheduler in schedulers:
        scheduler.add_job(job)
        scheduler.start()
    await asyncio.wait_for(ran.wait(), 5)
    for scheduler in schedulers:
        scheduler.shutdown(wait=False)
    assert "apscheduler" not in out.getvalue()
