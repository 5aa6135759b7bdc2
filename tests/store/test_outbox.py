"""The reminder outbox, snoozes and areas for improvement on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.clock import FixedClock
from inspection.errors import Forbidden, NotFound, PlanningError
from inspection.frameworks import FrameworkRegistry
from inspection.improvements import AreaForImprovement, ImprovementService
from inspection.model import Inspection, Member, Role
from inspection.notifier import Recipient
from inspection.reminder_dispatch import ReminderDispatcher
from inspection.reminders import ReminderItem, Snooze, item_key
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import SqlImprovementRepository, SqlOutbox
from tests.fakes.reminders import FakeNotifier

NOW = datetime(2026, 3, 23, 9, 5, tzinfo=UTC)
LEASE = timedelta(minutes=10)


async def _inspection(database: Database) -> Inspection:
    stored = await SqlInspectionRepository(database).add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Synthetic service",
            onsite_start=date(2026, 4, 20),
            onsite_end=date(2026, 4, 24),
            members=(
                Member("lead-1", Role.LEAD_INSPECTOR),
                Member("lo-1", Role.LINK_OFFICER),
                Member("dir-1", Role.DIRECTOR),
            ),
            actuals={"notice": date(2026, 3, 16)},
        )
    )
    assert stored.id is not None
    return stored


def _item(inspection_id: int, subject: str, recipient: Recipient | None = None) -> ReminderItem:
    recipient = recipient or Recipient.channel(inspection_id)
    day = date(2026, 3, 23)
    return ReminderItem(
        key=item_key(inspection_id, "information_request_due", subject, day, recipient),
        inspection_id=inspection_id,
        rule="information_request_due",
        subject=subject,
        title="Information request due",
        source="7.3",
        deadline=day,
        due_on=day,
        due_at=NOW,
        useful_until=NOW + timedelta(hours=12),
        recipient=recipient,
        role="reminder",
        line=f"{subject} today: a document",
        step="today",
    )


async def test_a_key_is_claimed_once(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    items = [_item(inspection.id, f"IR-{n:03d}") for n in range(1, 4)]
    first = await outbox.claim(inspection.id, items, now=NOW, token="a:1", lease=LEASE)
    assert first == {item.key for item in items}
    second = await outbox.claim(inspection.id, items, now=NOW, token="b:1", lease=LEASE)
    assert second == set()
    await outbox.mark_sent(sorted(first), token="a:1", now=NOW, activity_id="x")
    entries = await outbox.entries(inspection.id)
    assert {e.status for e in entries} == {"sent"}
    later = NOW + timedelta(days=1)
    assert await outbox.claim(inspection.id, items, now=later, token="c:1", lease=LEASE) == set()


async def test_concurrent_claims_split_nothing(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    items = [_item(inspection.id, f"IR-{n:03d}") for n in range(1, 31)]
    results = await asyncio.gather(
        *(outbox.claim(inspection.id, items, now=NOW, token=f"t{n}", lease=LEASE) for n in range(6))
    )
    winners = [claimed for claimed in results if claimed]
    # All or nothing per inspection: one claimer gets every key, the others none.
    assert len(winners) == 1 and winners[0] == {item.key for item in items}


async def test_an_abandoned_claim_is_taken_over_after_the_lease(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    items = [_item(inspection.id, "IR-001")]
    await outbox.claim(inspection.id, items, now=NOW, token="dead:1", lease=LEASE)
    soon = NOW + timedelta(minutes=5)
    assert await outbox.claim(inspection.id, items, now=soon, token="b:1", lease=LEASE) == set()
    late = NOW + timedelta(minutes=11)
    taken = await outbox.claim(inspection.id, items, now=late, token="b:2", lease=LEASE)
    assert taken == {items[0].key}
    assert (await outbox.entries(inspection.id))[0].attempts == 2


async def test_failed_reminders_wait_for_their_retry_time(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    items = [_item(inspection.id, "IR-001")]
    await outbox.claim(inspection.id, items, now=NOW, token="a:1", lease=LEASE)
    retry_at = NOW + timedelta(minutes=15)
    await outbox.mark_failed(
        [items[0].key], token="a:1", now=NOW, detail="Teams answered 502", retry_at=retry_at
    )
    failures = await outbox.failures(inspection.id)
    assert [(f.subject, f.last_error, f.next_attempt_at) for f in failures] == [
        ("IR-001", "Teams answered 502", retry_at)
    ]
    early = NOW + timedelta(minutes=14)
    assert await outbox.claim(inspection.id, items, now=early, token="a:2", lease=LEASE) == set()
    assert await outbox.claim(inspection.id, items, now=retry_at, token="a:3", lease=LEASE) == {
        items[0].key
    }
    # A stale token cannot mark someone else's claim.
    await outbox.mark_sent([items[0].key], token="a:1", now=retry_at, activity_id=None)
    assert (await outbox.entries(inspection.id))[0].status == "claimed"


async def test_snoozes_upsert_and_expire(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    series = "documents_due|documents_due|person:lo-1|reminder"
    await outbox.snooze(Snooze(inspection.id, series, date(2026, 3, 24)), by="lo-1", now=NOW)
    await outbox.snooze(Snooze(inspection.id, series, date(2026, 3, 25)), by="lo-1", now=NOW)
    assert await outbox.snoozes([inspection.id], date(2026, 3, 25)) == [
        Snooze(inspection.id, series, date(2026, 3, 25))
    ]
    assert await outbox.snoozes([inspection.id], date(2026, 3, 26)) == []


async def test_snooze_button_rules(database: Database, frameworks: FrameworkRegistry) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    outbox = SqlOutbox(database)
    dispatcher = ReminderDispatcher(
        inspections=SqlInspectionRepository(database),
        frameworks=frameworks,
        outbox=outbox,
        notifier=FakeNotifier(),
        clock=FixedClock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC)),  # a Friday
    )
    own = "documents_due|documents_due|person:lo-1|reminder"
    until = await dispatcher.snooze(inspection.id, [own], by="lo-1")
    assert until == date(2026, 3, 30)  # the next working day, Monday
    director = "documents_due|documents_due|person:dir-1|reminder"
    with pytest.raises(Forbidden, match="not others'"):
        await dispatcher.snooze(inspection.id, [director], by="lo-1")
    with pytest.raises(Forbidden, match="only people in this inspection"):
        await dispatcher.snooze(inspection.id, [own], by="stranger")
    with pytest.raises(NotFound, match="out of date"):
        await dispatcher.snooze(inspection.id, ["garbage"], by="lo-1")


async def test_areas_for_improvement_are_numbered_and_updated(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    repository = SqlImprovementRepository(database)
    service = ImprovementService(
        repository,
        SqlInspectionRepository(database),
        frameworks,
        FixedClock(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
    )
    first = await service.add(inspection.id, "Care plans  reviewed on time", 3, "Standard 2")
    second = await service.add(inspection.id, "Supervision recorded", 12)
    assert (first.reference, first.text, second.reference) == (
        "AFI-1",
        "Care plans reviewed on time",
        "AFI-2",
    )
    with pytest.raises(PlanningError, match="choose one of: 3, 6, 9, 12 months"):
        await service.add(inspection.id, "Something", 4)
    with pytest.raises(PlanningError, match="say what needs to improve"):
        await service.add(inspection.id, "   ", 3)
    done = await service.record_progress(inspection.id, "afi-1", "Audited monthly", completed=True)
    assert done.completed_on == date(2026, 7, 1) and not done.open
    with pytest.raises(NotFound, match="no AFI-9"):
        await service.record_progress(inspection.id, "AFI-9", "x")
    stored = await repository.for_inspections([inspection.id])
    assert [(a.reference, a.open) for a in stored[inspection.id]] == [
        ("AFI-1", False),
        ("AFI-2", True),
    ]
    # No deadline until publication is recorded; then 10.5's months from publication.
    assert [deadline for _, deadline in await service.deadlines(inspection.id)] == [None, None]
    inspections = SqlInspectionRepository(database)
    current = await inspections.get(inspection.id)
    await inspections.update(current.with_actual("published", date(2026, 6, 26)))
    deadlines = [deadline for _, deadline in await service.deadlines(inspection.id)]
    assert deadlines == [date(2026, 9, 25), date(2027, 6, 25)]


async def test_concurrent_areas_get_distinct_numbers(database: Database) -> None:
    inspection = await _inspection(database)
    assert inspection.id is not None
    repository = SqlImprovementRepository(database)
    added = await asyncio.gather(
        *(repository.add(AreaForImprovement(inspection.id, 0, f"Area {n}", 3)) for n in range(8))
    )
    assert sorted(a.number for a in added) == list(range(1, 9))


def test_area_reference_format() -> None:
    assert AreaForImprovement(1, 4, "x", 6).reference == "AFI-4"
