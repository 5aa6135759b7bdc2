"""Restarts: no duplicates, no losses; downtime over a deadline gives one delayed reminder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from inspection.notifier import DeliveryStatus
from inspection.reminder_messages import undelivered_lines
from store.database import Database
from tests.scheduler.conftest import World, jcc_inspection, summary


async def _stored(world: World) -> int:
    stored = await world.inspections.add(jcc_inspection())
    assert stored.id is not None
    world.checklist.missing_by_inspection[stored.id] = ["Organisational structures"]
    return stored.id


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_a_restart_mid_day_repeats_nothing(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    await _stored(world)
    world.clock.set(at(2026, 3, 23, 9, 5))  # 5 working days before the upload deadline
    first = await world.dispatcher().tick()
    assert first.messages_sent == 2
    # The bot is stopped and started again the same day: a new dispatcher, same store.
    for moment in (at(2026, 3, 23, 9, 6), at(2026, 3, 23, 11, 0), at(2026, 3, 23, 16, 0)):
        world.clock.set(moment)
        again = await world.dispatcher().tick()
        assert again.messages_sent == 0
    assert sorted(summary(m) for m in world.notifier.sent) == [
        "channel: documents_due",
        "lo-1: documents_due",
    ]


async def test_a_failed_send_is_kept_shown_and_retried_once(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    inspection_id = await _stored(world)
    world.notifier.fail_next = 1  # the first digest (the channel's) cannot be delivered
    world.clock.set(at(2026, 3, 23, 9, 5))
    report = await world.dispatcher(retry_after=timedelta(minutes=15)).tick()
    assert (report.messages_sent, report.messages_failed) == (1, 1)
    failures = await world.outbox.failures(inspection_id)
    assert [(f.recipient, f.status) for f in failures] == [("channel", "failed")]
    assert "502" in (failures[0].last_error or "")
    assert "Required documents due" in failures[0].summary
    [line] = undelivered_lines(failures)
    assert line.startswith("Not delivered to the channel (Mon 23 Mar, 1 attempt): Required")
    assert "502" in line and "tried again" in line
    # Before its retry time nothing is sent; after it, the same reminder goes once.
    world.clock.set(at(2026, 3, 23, 9, 10))
    assert (await world.dispatcher().tick()).messages_sent == 0
    world.clock.set(at(2026, 3, 23, 9, 25))
    retried = await world.dispatcher().tick()
    assert retried.messages_sent == 1
    assert await world.outbox.failures(inspection_id) == []
    world.clock.set(at(2026, 3, 23, 10, 0))
    assert (await world.dispatcher().tick()).messages_sent == 0
    assert sorted(summary(m) for m in world.notifier.sent) == [
        "channel: documents_due",
        "lo-1: documents_due",
    ]


async def test_no_conversation_is_kept_as_failed_with_what_to_do(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    inspection_id = await _stored(world)
    world.notifier.fail_next = 2
    world.notifier.fail_status = DeliveryStatus.NO_CONVERSATION
    world.clock.set(at(2026, 3, 23, 9, 5))
    await world.dispatcher().tick()
    failures = await world.outbox.failures(inspection_id)
    assert len(failures) == 2
    assert all(f.last_error for f in failures)


async def test_downtime_over_the_deadline_gives_one_delayed_reminder(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    await _stored(world)
    world.clock.set(at(2026, 3, 27, 9, 5))  # 1 working day before: sent on time
    await world.dispatcher().tick()
    # Down from Friday afternoon until Monday 15:00 BST (14:00 UTC): the deadline's 09:00
    # reminder was missed.
    world.clock.set(at(2026, 3, 30, 14, 0))
    before = len(world.notifier.sent)
    await world.dispatcher().tick()
    delayed = world.notifier.sent[before:]
    assert sorted(summary(m) for m in delayed) == [
        "channel: documents_due",
        "lo-1: documents_due",
    ]
    assert all(m.text.startswith("(delayed) ") for m in delayed)
    assert all("today" in m.text for m in delayed)
    # Later ticks that day send nothing more; Tuesday's chase is on time, not delayed.
    world.clock.set(at(2026, 3, 30, 16, 0))
    assert (await world.dispatcher().tick()).messages_sent == 0
    world.clock.set(at(2026, 3, 31, 8, 5))
    await world.dispatcher().tick()
    tuesday = world.notifier.sent[before + 2 :]
    assert len(tuesday) == 2
    assert not any(m.text.startswith("(delayed)") for m in tuesday)
    assert all("1 working day overdue" in m.text for m in tuesday)


async def test_stale_reminders_are_dropped_after_a_long_outage(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    await _stored(world)
    # Down from Thursday 26 March until Wednesday 1 April 07:00 UTC (08:00 BST): Friday's,
    # Monday's and Tuesday's reminders are stale; Wednesday's is still to come.
    world.clock.set(at(2026, 4, 1, 7, 0))
    assert (await world.dispatcher().tick()).messages_sent == 0
    world.clock.set(at(2026, 4, 1, 8, 5))
    await world.dispatcher().tick()
    assert len(world.notifier.sent) == 2
    assert all("2 working days overdue" in m.text for m in world.notifier.sent)
    assert not any("(delayed)" in m.text for m in world.notifier.sent)


async def test_a_missed_notice_card_is_sent_late_once(
    database: Database, world_factory: Callable[[Database], World]
) -> None:
    world = world_factory(database)
    await _stored(world)
    world.checklist.missing_by_inspection.clear()
    world.clock.set(at(2026, 3, 18, 10, 0))  # down on the day notice was given
    await world.dispatcher().tick()
    world.clock.set(at(2026, 3, 18, 11, 0))
    await world.dispatcher().tick()
    assert [summary(m) for m in world.notifier.sent] == ["channel: notice_given"]
    assert world.notifier.sent[0].text.startswith("(delayed) ")
    assert "Draft report" in world.notifier.sent[0].text
