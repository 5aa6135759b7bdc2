"""The subscription upkeep job, and the file poller slowing to a safety net while an
inspection's files are live (a sync on any instance counts)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from inspection.clock import FixedClock
from inspection.errors import Unavailable
from inspection.intake import IntakeResult
from inspection.model import Channel, Inspection
from inspection.workspace import SyncResult
from scheduler.file_sync import FileSyncPoller
from scheduler.subscriptions import SubscriptionUpkeep
from tests.scheduler.conftest import jcc_inspection

NOW = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)


async def test_a_pass_runs_at_start_up_and_reports() -> None:
    passes: list[int] = []

    async def reconcile() -> str:
        passes.append(1)
        return "report"

    upkeep = SubscriptionUpkeep(reconcile, interval_seconds=3600)
    upkeep.start()
    try:
        for _ in range(200):
            if upkeep.passes:
                break
            await asyncio.sleep(0.01)
        assert upkeep.passes == 1 and upkeep.last_report == "report"
    finally:
        await upkeep.shutdown()
    assert not upkeep.running


async def test_passes_do_not_overlap_and_a_failure_waits_for_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    outcomes: list[str] = ["slow", "down"]

    async def reconcile() -> str:
        outcome = outcomes.pop(0)
        if outcome == "slow":
            await release.wait()
        if outcome == "down":
            raise Unavailable("Microsoft Graph is unavailable; I'll retry at 09:15.")
        return outcome

    upkeep = SubscriptionUpkeep(reconcile)
    first = asyncio.create_task(upkeep.run_once())
    await asyncio.sleep(0)
    assert await upkeep.run_once() is None  # the first is still running
    release.set()
    assert await first == "slow"
    assert await upkeep.run_once() is None
    assert "Microsoft Graph is unavailable" in caplog.text
    assert upkeep.passes == 1


@dataclass
class World:
    inspection: Inspection
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    synced: list[int] = field(default_factory=list)
    live: bool = True
    stored_sync: datetime | None = None  # what the database says (any instance)

    # services ------------------------------------------------------------------------
    @property
    def repository(self) -> World:
        return self

    @property
    def directory(self) -> World:
        return self

    async def list_all(self) -> list[Inspection]:
        return [self.inspection]

    async def get(self, inspection_id: int) -> Inspection:
        return self.inspection

    async def sync_files(self, inspection_id: int, channel: Channel) -> SyncResult:
        self.synced.append(inspection_id)
        self.stored_sync = self.clock.now()
        return SyncResult(inspection_id)

    # the checklist board ---------------------------------------------------------------
    behind: set[int] = field(default_factory=set)

    async def on_sync(self, inspection: Inspection, result: SyncResult) -> IntakeResult:
        return IntakeResult(result.inspection_id)

    async def catch_up(self, inspection: Inspection) -> None:
        return None

    # the store -------------------------------------------------------------------------
    async def has_subscription(self, inspection_id: int) -> bool:
        return self.live

    async def last_synced(self, inspection_id: int) -> datetime | None:
        return self.stored_sync


@pytest.fixture
def world() -> World:
    channel = Channel("team", "channel", drive_id="b!drive", folder_id="folder")
    return World(replace(jcc_inspection(), id=7, channel=channel))


def _poller(world: World) -> FileSyncPoller:
    return FileSyncPoller(
        world,
        world,
        interval_seconds=300,
        has_subscription=world.has_subscription,
        last_synced=world.last_synced,
    )


async def test_live_files_are_polled_every_30_minutes_counting_other_instances(
    world: World,
) -> None:
    poller = _poller(world)
    assert (await poller.poll()).synced == [7]  # type: ignore[union-attr]
    world.clock.advance(timedelta(minutes=25))
    # Another instance synced (a notification reached it) 5 minutes ago.
    world.stored_sync = world.clock.now() - timedelta(minutes=5)
    world.clock.advance(timedelta(minutes=20))
    assert (await poller.poll()).skipped == [7]  # type: ignore[union-attr]
    world.clock.advance(timedelta(minutes=11))
    assert (await poller.poll()).synced == [7]  # type: ignore[union-attr]
    assert world.synced == [7, 7]


async def test_without_a_live_subscription_every_poll_syncs(world: World) -> None:
    world.live = False
    poller = _poller(world)
    for _ in range(3):
        assert (await poller.poll()).synced == [7]  # type: ignore[union-attr]
    assert world.synced == [7, 7, 7]


async def test_files_mode_says_live_or_polled(world: World) -> None:
    poller = _poller(world)
    live = await poller.files_mode(7)
    assert live.mode == "live"
    assert live.text == (
        "Files: live (Microsoft Graph tells me of each change to the channel's Files; "
        "I also check them every 30 minutes in case a notification is lost)."
    )
    world.live = False
    polled = await poller.files_mode(7)
    assert polled.mode == "polling"
    assert polled.text == (
        "Files: checked every 5 minutes (no change notifications for this channel; "
        "`sync files` checks now)."
    )
