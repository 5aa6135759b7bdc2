"""The reminder schedule: a tick that plans only the inspections due in it sends exactly what
planning every inspection would, and every kind of write brings its inspection forward."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from inspection.checklist import InspectionChecklist
from inspection.clock import FixedClock
from inspection.errors import InspectionError
from inspection.frameworks import FrameworkRegistry
from inspection.improvements import AreaForImprovement
from inspection.model import Inspection, InspectionStatus, Member, Role
from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage
from inspection.reminder_dispatch import PlannedMoment, ReminderDispatcher
from inspection.requests import Person, RequestLog
from scheduler.sources import ChecklistServiceSource, StoreRequestSource
from store.checklist import SqlChecklistStore
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.outbox import SqlImprovementRepository, SqlOutbox
from store.reminder_schedule import (
    AS_SOON_AS_POSSIBLE,
    ReminderScheduleRow,
    SqlReminderSchedule,
)
from store.request_log import SqlRequestRepository

JCC = "jcc-children-social-care"
LEAD = Person("lead-1", "Lead Inspector")
LINK = Person("lo-1", "Link Officer")
START = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday
MONDAYS = [date(2026, 4, 13) + timedelta(weeks=n) for n in range(6)]


def _members(number: int) -> tuple[Member, ...]:
    return (
        Member(LEAD.aad_object_id, Role.LEAD_INSPECTOR, LEAD.display_name),
        Member(f"insp-{number}", Role.INSPECTOR, "Inspector"),
        Member(LINK.aad_object_id, Role.LINK_OFFICER, LINK.display_name),
        Member(f"dir-{number}", Role.DIRECTOR, "Director"),
    )


@dataclass
class RecordingNotifier:
    """Records what each tick sends; messages to the people in `failing` fail."""

    failing: set[str] = field(default_factory=set)
    sent: list[tuple[str, ...]] = field(default_factory=list)

    async def send(self, message: OutgoingMessage) -> Delivery:
        who = message.recipient.aad_object_id or "channel"
        if who in self.failing:
            return Delivery(DeliveryStatus.FAILED, detail="Teams answered 502")
        card = json.dumps(message.card, sort_keys=True) if message.card else ""
        self.sent.append((who, str(message.key), message.text, card))
        return Delivery(DeliveryStatus.SENT, activity_id=str(len(self.sent)))

    def take(self) -> list[tuple[str, ...]]:
        found, self.sent = sorted(self.sent), []
        return found


@dataclass
class Side:
    """One bot's store and dispatcher; the scenario writes the same things to both sides."""

    database: Database
    inspections: SqlInspectionRepository
    log: RequestLog
    improvements: SqlImprovementRepository
    outbox: SqlOutbox
    notifier: RecordingNotifier
    dispatcher: ReminderDispatcher
    checklist: InspectionChecklist | None = None
    frameworks: FrameworkRegistry | None = None

    @classmethod
    def build(
        cls,
        path: Path,
        frameworks: FrameworkRegistry,
        clock: FixedClock,
        *,
        scheduled: bool,
    ) -> Side:
        database = Database(f"sqlite+aiosqlite:///{path}")
        inspections = SqlInspectionRepository(database)
        checklist = InspectionChecklist(SqlChecklistStore(database), frameworks, clock)
        improvements = SqlImprovementRepository(database)
        outbox = SqlOutbox(database)
        notifier = RecordingNotifier()
        dispatcher = ReminderDispatcher(
            inspections=inspections,
            frameworks=frameworks,
            outbox=outbox,
            notifier=notifier,
            clock=clock,
            checklist=ChecklistServiceSource(checklist, inspections),
            requests=StoreRequestSource(database),
            improvements=improvements,
            schedule=SqlReminderSchedule(database) if scheduled else None,
        )
        log = RequestLog(SqlRequestRepository(database), inspections, frameworks, clock)
        return cls(
            database,
            inspections,
            log,
            improvements,
            outbox,
            notifier,
            dispatcher,
            checklist,
            frameworks,
        )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every database a scenario needs (fast)."""
    path = tmp_path_factory.mktemp("schedule") / "template.db"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await database.migrate()
        await database.dispose()

    worker = threading.Thread(target=lambda: asyncio.run(migrate()))
    worker.start()
    worker.join()
    return path


# --- The writes a scenario makes (each to both sides) ---------------------------------------

Operation = tuple[Any, ...]

operations = st.one_of(
    st.tuples(st.just("tick"), st.integers(1, 60 * 24 * 4)),  # minutes later
    st.tuples(st.just("tick"), st.integers(1, 90)),
    st.tuples(st.just("tick"), st.integers(1, 90)),
    st.tuples(st.just("log"), st.integers(0, 2), st.integers(-3, 12)),  # due in n days
    st.tuples(st.just("log"), st.integers(0, 2), st.integers(0, 1)),
    # Request writes: to the n-th latest request of the inspection.
    st.tuples(st.just("answer"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("withdraw"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("follow_up"), st.integers(0, 2), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("move_due"), st.integers(0, 2), st.integers(0, 2), st.integers(-4, 8)),
    # Brought forward to today: due at once, long before the moment planned for it.
    st.tuples(st.just("move_due"), st.integers(0, 2), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("move_dates"), st.integers(0, 2), st.sampled_from([-7, 7, 14, 1])),
    st.tuples(st.just("actual"), st.integers(0, 2), st.sampled_from(["notice", "documents_due"])),
    st.tuples(st.just("publish"), st.integers(0, 2), st.integers(0, 95)),
    st.tuples(st.just("area"), st.integers(0, 2), st.sampled_from([3, 6])),
    st.tuples(st.just("complete_area"), st.integers(0, 2)),
    st.tuples(st.just("snooze"), st.integers(0, 2)),
    st.tuples(st.just("checklist"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("fail"), st.sampled_from(["lo-1", "channel", "lead-1"]), st.booleans()),
    st.tuples(st.just("add_inspection"), st.integers(0, 5)),
)


async def _apply(
    op: Operation,
    sides: tuple[Side, Side],
    ids: list[int],
    clock: FixedClock,
) -> None:
    kind = op[0]
    today = clock.now().date()
    if kind == "add_inspection":
        start = MONDAYS[op[1]]
        for side in sides:
            stored = await side.inspections.add(
                Inspection(
                    framework=JCC,
                    inspection_type="full",
                    service_name=f"Synthetic service {len(ids)}",
                    onsite_start=start,
                    onsite_end=start + timedelta(days=4),
                    members=_members(len(ids)),
                    actuals={"notice": start - timedelta(weeks=4)},
                )
            )
        assert stored.id is not None
        ids.append(stored.id)
        return
    if kind == "fail":
        for side in sides:
            (side.notifier.failing.add if op[2] else side.notifier.failing.discard)(op[1])
        return
    if not ids:
        return
    inspection_id = ids[op[1] % len(ids)]
    for side in sides:
        await _write(op, side, inspection_id, today)


async def _write(op: Operation, side: Side, inspection_id: int, today: date) -> None:
    kind = op[0]
    inspection = await side.inspections.get(inspection_id)
    logged = len(await side.log.all_requests(inspection_id, "inspectors"))
    if kind in ("answer", "withdraw", "follow_up", "move_due"):
        if not logged:
            return
        op = (*op[:2], logged - op[2] % logged, *op[3:])  # the request's number
    try:
        if kind == "log":
            await side.log.log(
                inspection_id,
                LEAD,
                f"Supervision records for case CR-{100000 + op[2] + 3}",
                due_on=today + timedelta(days=op[2]),
                confirm=True,
            )
        elif kind == "answer":
            await side.log.answer(inspection_id, op[2], LINK, "Uploaded to the channel")
        elif kind == "withdraw":
            await side.log.withdraw(inspection_id, op[2], LEAD, reason="no longer needed")
        elif kind == "follow_up":
            due = today + timedelta(days=op[3])
            await side.log.follow_up(
                inspection_id, op[2], LEAD, "And the minutes, please", due_on=due, confirm=True
            )
        elif kind == "move_due":
            due = today + timedelta(days=op[3])
            await side.log.change_due(inspection_id, op[2], LEAD, due, "asked for more time")
        elif kind == "move_dates":
            shift = timedelta(days=op[2])
            await side.inspections.update(
                replace(
                    inspection,
                    onsite_start=inspection.onsite_start + shift,
                    onsite_end=inspection.onsite_end + shift,
                )
            )
        elif kind == "actual":
            actuals = {**inspection.actuals, op[2]: today}
            await side.inspections.update(replace(inspection, actuals=actuals))  # type: ignore[arg-type]
        elif kind == "publish":
            published = today - timedelta(days=op[2])
            actuals = {**inspection.actuals, "published": published}
            await side.inspections.update(
                replace(inspection, status=InspectionStatus.CLOSED, actuals=actuals)  # type: ignore[arg-type]
            )
        elif kind == "area":
            await side.improvements.add(
                AreaForImprovement(inspection_id, 0, "Supervision is recorded", op[2])
            )
        elif kind == "complete_area":
            areas = [a for a in await side.improvements.for_inspection(inspection_id) if a.open]
            if areas:
                await side.improvements.update(replace(areas[0], completed_on=today))
        elif kind == "checklist":
            # Every required item waived (nothing missing), or the first one back (missing).
            assert side.checklist is not None and side.frameworks is not None
            items = side.frameworks.get(inspection.framework).checklist
            required = [item.key for item in items if item.required]
            for key in required if op[2] else required[:1]:
                if op[2]:
                    await side.checklist.waive(inspection, key, "not needed", by=LEAD.aad_object_id)
                else:
                    await side.checklist.unwaive(inspection, key, by=LEAD.aad_object_id)
        elif kind == "snooze":
            # The series of the latest reminder sent to the channel, as its card's button.
            entries = [
                e
                for e in await side.outbox.entries(inspection_id)
                if e.status == "sent" and e.recipient == "channel"
            ]
            if entries:
                entry = entries[-1]
                role = "told" if entry.key.endswith(":told") else "reminder"
                series = f"{entry.rule}|{entry.subject}|{entry.recipient}|{role}"
                await side.dispatcher.snooze(inspection_id, [series], LEAD.aad_object_id)
    except InspectionError:
        pass  # refused (already answered, a date in the past...): alike on both sides


async def _scenario(
    template: Path, folder: Path, frameworks: FrameworkRegistry, script: list[Operation]
) -> None:
    clock = FixedClock(START)
    paths = [folder / "full.db", folder / "scheduled.db"]
    for path in paths:
        shutil.copy(template, path)
    full, scheduled = sides = (
        Side.build(paths[0], frameworks, clock, scheduled=False),
        Side.build(paths[1], frameworks, clock, scheduled=True),
    )
    ids: list[int] = []
    try:
        for number in range(2):
            await _apply(("add_inspection", number), sides, ids, clock)
        for step, op in enumerate([*script, ("tick", 60 * 24 * 14)]):
            if op[0] != "tick":
                await _apply(op, sides, ids, clock)
                continue
            clock.advance(timedelta(minutes=op[1]))
            await full.dispatcher.tick()
            await scheduled.dispatcher.tick()
            assert scheduled.notifier.take() == full.notifier.take(), (
                f"step {step} at {clock.now().isoformat()}: the scheduled tick sent "
                "something else than planning everything"
            )
    finally:
        for side in sides:
            await side.database.dispose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(operations, min_size=1, max_size=25))
def test_a_scheduled_tick_sends_what_planning_everything_sends(
    template: Path, tmp_path: Path, frameworks: FrameworkRegistry, script: list[Operation]
) -> None:
    _run_scenario(template, tmp_path, frameworks, script)


def _run_scenario(
    template: Path, tmp_path: Path, frameworks: FrameworkRegistry, script: list[Operation]
) -> None:
    """The scenario in a thread of its own (its own event loop, as for each example)."""
    folder = tmp_path / f"run-{threading.get_ident()}-{id(script)}"
    folder.mkdir()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_scenario(template, folder, frameworks, script))
        except BaseException as exc:  # reported in the test's own thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    shutil.rmtree(folder, ignore_errors=True)
    if errors:
        raise errors[0]


# Each kind of write, made after the morning's reminders went out, that makes something due at
# once: without the write moving its inspection's moment, the scheduled tick would stay quiet.
# (Writes that only take reminders away cannot be seen in what is sent: below, the moment.)
AFTER_THE_MORNING = ("tick", 60 * 4)  # 10:00 UTC, the 09:00 Jersey reminders sent
SOON = ("tick", 5)
SCRIPTS: dict[str, list[Operation]] = {
    "a request logged due today": [AFTER_THE_MORNING, ("log", 0, 0), SOON],
    "a due date moved to today": [
        AFTER_THE_MORNING, ("log", 0, 8), SOON, ("move_due", 0, 0, 0), SOON,
    ],
    "a follow-up due today": [
        AFTER_THE_MORNING, ("log", 0, 8), SOON, ("answer", 0, 0), SOON,
        ("follow_up", 0, 0, 0), SOON, ("tick", 60 * 24), SOON,
    ],
    "inspection dates moved": [
        AFTER_THE_MORNING, ("move_dates", 1, -7), SOON, ("move_dates", 0, 7), SOON,
        ("tick", 60 * 24 * 3), SOON,
    ],
    "an actual date recorded": [AFTER_THE_MORNING, ("actual", 0, "documents_due"), SOON],
    "an area for improvement added": [
        AFTER_THE_MORNING, ("publish", 0, 77), SOON, ("area", 0, 3), SOON,
        ("tick", 60 * 24), ("complete_area", 0), ("tick", 60 * 24),
    ],
    "a snooze and its end": [
        ("tick", 60 * 24 * 7 + 60 * 4), ("snooze", 0), SOON, ("tick", 60 * 24), SOON,
        ("tick", 60 * 24), ("tick", 60 * 24),
    ],
    "a failed send and its retry": [
        ("fail", "channel", True), AFTER_THE_MORNING, ("fail", "channel", False), SOON,
        ("tick", 15), ("tick", 60 * 24),
    ],
    "the checklist completed and missing again": [
        AFTER_THE_MORNING, ("checklist", 0, True), ("tick", 60 * 24), ("checklist", 0, False),
        SOON, ("tick", 60 * 24),
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", list(SCRIPTS))
def test_a_tick_after_each_kind_of_write_sends_what_planning_everything_sends(
    template: Path, tmp_path: Path, frameworks: FrameworkRegistry, kind: str
) -> None:
    _run_scenario(template, tmp_path, frameworks, SCRIPTS[kind])


# --- Each kind of write brings its inspection's planning forward -----------------------------


async def _moment(database: Database, inspection_id: int) -> tuple[datetime | None, int]:
    async with database.session() as session:
        row = await session.scalar(
            select(ReminderScheduleRow).where(ReminderScheduleRow.inspection_id == inspection_id)
        )
    assert row is not None, "every stored inspection has a schedule row"
    return row.next_check_at, row.version


@dataclass
class Planned:
    side: Side
    inspection_id: int
    clock: FixedClock


@pytest.fixture
async def planned(database: Database, frameworks: FrameworkRegistry) -> AsyncIterator[Planned]:
    clock = FixedClock(datetime(2026, 4, 20, 6, 0, tzinfo=UTC))
    inspections = SqlInspectionRepository(database)
    outbox = SqlOutbox(database)
    improvements = SqlImprovementRepository(database)
    notifier = RecordingNotifier()
    dispatcher = ReminderDispatcher(
        inspections=inspections,
        frameworks=frameworks,
        outbox=outbox,
        notifier=notifier,
        clock=clock,
        requests=StoreRequestSource(database),
        improvements=improvements,
        schedule=SqlReminderSchedule(database),
    )
    log = RequestLog(SqlRequestRepository(database), inspections, frameworks, clock)
    side = Side(database, inspections, log, improvements, outbox, notifier, dispatcher)
    stored = await inspections.add(
        Inspection(
            framework=JCC,
            inspection_type="full",
            service_name="Synthetic service",
            onsite_start=date(2026, 5, 18),
            onsite_end=date(2026, 5, 22),
            members=_members(1),
            actuals={"notice": date(2026, 4, 20)},
        )
    )
    assert stored.id is not None
    assert (await _moment(database, stored.id))[0] == AS_SOON_AS_POSSIBLE
    await dispatcher.tick()
    moment, _version = await _moment(database, stored.id)
    assert moment is not None and moment > clock.now(), "planned: due again only later"
    yield Planned(side, stored.id, clock)


async def _brought_forward(planned: Planned, write: Callable[[], Awaitable[object]]) -> None:
    database = planned.side.database
    _before, version = await _moment(database, planned.inspection_id)
    await write()
    moment, after = await _moment(database, planned.inspection_id)
    assert moment is not None and moment <= planned.clock.now(), "due at the next tick"
    assert after == version + 1, "a new version: a tick planning meanwhile keeps it due"
    assert planned.inspection_id in await SqlReminderSchedule(database).due(planned.clock.now())


async def test_logging_a_request_brings_its_inspection_forward(planned: Planned) -> None:
    await _brought_forward(
        planned,
        lambda: planned.side.log.log(
            planned.inspection_id, LEAD, "Chronology for case CR-100001", confirm=True
        ),
    )


async def test_answering_moving_and_withdrawing_a_request_bring_it_forward(
    planned: Planned,
) -> None:
    log, inspection_id = planned.side.log, planned.inspection_id
    await log.log(inspection_id, LEAD, "Chronology for case CR-100001", confirm=True)
    await planned.side.dispatcher.tick()
    await _brought_forward(planned, lambda: log.answer(inspection_id, 1, LINK, "Uploaded"))
    await planned.side.dispatcher.tick()
    await log.log(inspection_id, LEAD, "Supervision notes for case CR-100002", confirm=True)
    await planned.side.dispatcher.tick()
    due = planned.clock.now().date() + timedelta(days=9)
    await _brought_forward(
        planned, lambda: log.change_due(inspection_id, 2, LEAD, due, "more time")
    )
    await planned.side.dispatcher.tick()
    await _brought_forward(
        planned, lambda: log.withdraw(inspection_id, 2, LEAD, reason="not needed")
    )


async def test_moving_the_inspection_dates_brings_it_forward(planned: Planned) -> None:
    inspections = planned.side.inspections
    inspection = await inspections.get(planned.inspection_id)
    await _brought_forward(
        planned,
        lambda: inspections.update(
            replace(
                inspection,
                onsite_start=inspection.onsite_start + timedelta(days=7),
                onsite_end=inspection.onsite_end + timedelta(days=7),
            )
        ),
    )


async def test_a_snooze_brings_it_forward(planned: Planned) -> None:
    await _brought_forward(
        planned,
        lambda: planned.side.dispatcher.snooze(
            planned.inspection_id, ["notice_given|notice|channel|reminder"], "lead-1"
        ),
    )


async def test_areas_for_improvement_bring_it_forward(planned: Planned) -> None:
    improvements = planned.side.improvements
    await _brought_forward(
        planned,
        lambda: improvements.add(
            AreaForImprovement(planned.inspection_id, 0, "Supervision is recorded", 3)
        ),
    )
    await planned.side.dispatcher.tick()
    area = (await improvements.for_inspection(planned.inspection_id))[0]
    await _brought_forward(
        planned,
        lambda: improvements.update(replace(area, completed_on=date(2026, 4, 20))),
    )


async def test_a_failed_send_is_planned_again_at_its_retry(planned: Planned) -> None:
    """The notice reminder (09:00 in Jersey) fails: the inspection is due again at the retry
    time, and the retry sends it."""
    side, clock = planned.side, planned.clock
    side.notifier.failing.add("channel")
    clock.advance(timedelta(hours=3))  # 09:00 UTC: after the 09:00 (BST = 08:00 UTC) reminder
    report = await side.dispatcher.tick()
    assert report.messages_failed == 1
    moment, _version = await _moment(side.database, planned.inspection_id)
    assert moment == clock.now() + side.dispatcher.retry_after
    side.notifier.failing.clear()
    clock.advance(side.dispatcher.retry_after)
    report = await side.dispatcher.tick()
    assert report.messages_sent == 1 and report.inspections == 1


async def test_a_tick_finding_nothing_due_plans_nothing(planned: Planned) -> None:
    planned.clock.advance(timedelta(minutes=1))
    report = await planned.side.dispatcher.tick()
    assert report.inspections == 0 and report.messages_sent == 0


async def test_a_write_while_a_tick_plans_is_not_lost(planned: Planned) -> None:
    """The tick read version v; a request logged before it records its moment keeps the
    inspection due (the version changed), so the next tick plans it with the request."""
    side = planned.side
    schedule = SqlReminderSchedule(side.database)
    due_before = await schedule.versions()
    await side.log.log(planned.inspection_id, LEAD, "Chronology for case CR-100001", confirm=True)
    await schedule.record(
        [
            PlannedMoment(
                planned.inspection_id,
                due_before[planned.inspection_id],
                planned.clock.now() + timedelta(days=3),
            )
        ]
    )
    assert planned.inspection_id in await schedule.due(planned.clock.now())


async def test_the_first_tick_of_a_process_plans_every_inspection(
    planned: Planned, frameworks: FrameworkRegistry
) -> None:
    """A restarted bot (new rules, new closures) plans everything once, then only what is due."""
    side = planned.side
    restarted = ReminderDispatcher(
        inspections=side.inspections,
        frameworks=frameworks,
        outbox=side.outbox,
        notifier=side.notifier,
        clock=planned.clock,
        requests=StoreRequestSource(side.database),
        improvements=side.improvements,
        schedule=SqlReminderSchedule(side.database),
    )
    first = await restarted.tick()
    second = await restarted.tick()
    assert (first.inspections, second.inspections) == (1, 0)
