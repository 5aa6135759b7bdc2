"""Counting and listing requests without loading their children (issue 7's load target)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from inspection.clock import FixedClock
from inspection.errors import Forbidden
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.requests import (
    Answer,
    HistoryEntry,
    NewRequest,
    Person,
    Priority,
    RequestLog,
    RequestQuery,
    RequestStatus,
)
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

LEAD = Person("aad-lead", "Lead Inspector A")
LINK = Person("aad-link", "Link Officer C")
NOW = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
TODAY = date(2024, 3, 7)


async def _seed(database: Database) -> tuple[Inspection, SqlRequestRepository]:
    inspection = await SqlInspectionRepository(database).add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Children's Social Work Service",
            onsite_start=date(2024, 3, 4),
            onsite_end=date(2024, 3, 8),
            members=(
                Member(LEAD.aad_object_id, Role.LEAD_INSPECTOR, LEAD.display_name),
                Member(LINK.aad_object_id, Role.LINK_OFFICER, LINK.display_name),
            ),
        )
    )
    assert inspection.id is not None
    repository = SqlRequestRepository(database)
    # due 5th (overdue on the 7th), 6th (overdue), 7th (not yet), 9th; statuses vary.
    plan = [
        (date(2024, 3, 5), RequestStatus.OPEN),
        (date(2024, 3, 6), RequestStatus.FOLLOW_UP),
        (date(2024, 3, 7), RequestStatus.OPEN),
        (date(2024, 3, 9), RequestStatus.OPEN),
        (date(2024, 3, 1), RequestStatus.ANSWERED),  # late but not waiting: not overdue
        (date(2024, 3, 1), RequestStatus.ACCEPTED),
    ]
    for number, (due, status) in enumerate(plan, start=1):
        stored = await repository.add(
            NewRequest(
                inspection_id=inspection.id,
                text=f"Request {number} about CR-10{number}",
                asked_by=LEAD,
                asked_at=NOW,
                due_on=due,
                assignee=LINK,
                priority=Priority.NORMAL,
                child_refs=(f"CR-10{number}",),
                theme=None,
                source=None,
                history=(HistoryEntry(NOW, LEAD, "logged"),),
            )
        )
        answer = Answer("Here it is", LINK, NOW)
        await repository.update(replace(stored, status=status, answers=(answer,)))
    return inspection, repository


async def test_waiting_counts_are_counted_by_the_database(database: Database) -> None:
    inspection, repository = await _seed(database)
    assert inspection.id is not None
    assert await repository.count_waiting(inspection.id, TODAY) == (4, 2)
    assert await repository.count_waiting(inspection.id, date(2024, 3, 10)) == (4, 4)
    assert await repository.count_waiting(inspection.id + 1, TODAY) == (0, 0)


async def test_waiting_counts_agree_with_loading_the_requests(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection, repository = await _seed(database)
    assert inspection.id is not None
    log = RequestLog(repository, SqlInspectionRepository(database), frameworks, FixedClock(NOW))
    waiting = await log.open_requests(inspection.id)
    expected = (len(waiting), sum(1 for r in waiting if r.is_overdue(TODAY)))
    assert await log.waiting_counts(inspection.id, TODAY) == expected == (4, 2)


async def test_list_loads_a_requests_own_fields_only(database: Database) -> None:
    inspection, repository = await _seed(database)
    assert inspection.id is not None
    waiting = RequestQuery(statuses=frozenset({RequestStatus.OPEN, RequestStatus.FOLLOW_UP}))
    full = await repository.find(inspection.id, waiting)
    listed = await repository.find_summaries(inspection.id, waiting)
    assert [r.number for r in listed] == [r.number for r in full] == [1, 2, 3, 4]
    for short, whole in zip(listed, full, strict=True):
        assert whole.answers and whole.child_refs and whole.history
        assert (short.answers, short.child_refs, short.history, short.notes) == ((), (), (), ())
        assert replace(whole, answers=(), child_refs=(), history=(), notes=()) == short


async def test_list_for_checks_membership(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection, repository = await _seed(database)
    log = RequestLog(repository, SqlInspectionRepository(database), frameworks, FixedClock(NOW))
    listed = await log.list_for(inspection, LINK, RequestQuery())
    assert [r.number for r in listed] == [1, 2, 3, 4, 5, 6]
    try:
        await log.list_for(inspection, Person("aad-stranger", "Someone Else"), RequestQuery())
    except Forbidden as refused:
        assert "not part of this inspection" in str(refused)
    else:
        raise AssertionError("a stranger was given the list")
