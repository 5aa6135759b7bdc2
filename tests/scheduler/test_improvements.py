"""Areas for improvement are followed up after publication, when the inspection is closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from inspection.improvements import AreaForImprovement
from inspection.model import InspectionStatus
from store.database import Database
from store.outbox import SqlImprovementRepository
from tests.scheduler.conftest import World, jcc_inspection, summary


async def test_a_closed_inspection_still_gets_its_progress_reminders(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    stored = await world.inspections.add(jcc_inspection())
    assert stored.id is not None
    # Published and closed; the upload checklist was never completed (not chased any more).
    world.checklist.missing_by_inspection[stored.id] = ["Organisational structures"]
    published = stored.with_actual("published", date(2026, 6, 26))
    await world.inspections.update(replace(published, status=InspectionStatus.CLOSED))
    areas = SqlImprovementRepository(database)
    await areas.add(AreaForImprovement(stored.id, 0, "Care plans reviewed on time", 3))
    done = await areas.add(AreaForImprovement(stored.id, 0, "Supervision recorded", 3))
    await areas.update(replace(done, completed_on=date(2026, 8, 3), progress="Done"))
    # 10 working days before the 3-month deadline (Friday 25 September 2026), 09:05 BST.
    world.clock.set(datetime(2026, 9, 11, 8, 5, tzinfo=UTC))
    await world.dispatcher().tick()
    assert sorted(summary(m) for m in world.notifier.sent) == [
        "dir-1: area_for_improvement_update",
        "lo-1: area_for_improvement_update",
    ]
    text = world.notifier.sent[0].text
    assert "AFI-1" in text and "in 10 working days (Fri 25 Sep 2026)" in text
    assert "AFI-2" not in text
    # Once every area is completed, the closed inspection is left alone.
    first = (await areas.for_inspection(stored.id))[0]
    await areas.update(replace(first, completed_on=date(2026, 9, 11)))
    world.clock.set(datetime(2026, 9, 18, 8, 5, tzinfo=UTC))
    report = await world.dispatcher().tick()
    assert report.inspections == 0 and len(world.notifier.sent) == 2
