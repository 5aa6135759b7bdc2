"""The SQL request log: round trips, filters, versions, and concurrency on both backends."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.clock import FixedClock
from inspection.errors import Conflict, InspectionError, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.requests import (
    Answer,
    FollowUp,
    HistoryEntry,
    LinkedFile,
    MessageSource,
    NewRequest,
    Note,
    Person,
    Priority,
    RequestLog,
    RequestQuery,
    RequestRefused,
    RequestStatus,
    StaleRequest,
    matches,
)
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

LEAD = Person("aad-lead", "Lead Inspector A")
INSPECTOR = Person("aad-insp", "Inspector B")
LINK = Person("aad-link", "Link Officer C")
DIRECTOR = Person("aad-dir", "Director D")
NOW = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)


def _inspection() -> Inspection:
    return Inspection(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Work Service",
        onsite_start=date(2024, 3, 4),
        onsite_end=date(2024, 3, 8),
        members=(
            Member(LEAD.aad_object_id, Role.LEAD_INSPECTOR, LEAD.display_name),
            Member(INSPECTOR.aad_object_id, Role.INSPECTOR, INSPECTOR.display_name),
            Member(LINK.aad_object_id, Role.LINK_OFFICER, LINK.display_name),
            Member(DIRECTOR.aad_object_id, Role.DIRECTOR, DIRECTOR.display_name),
        ),
    )


def _new(inspection_id: int, text: str = "Chronology for CR-1001", **changes: object) -> NewRequest:
    base = NewRequest(
        inspection_id=inspection_id,
        text=text,
        asked_by=LEAD,
        asked_at=NOW,
        due_on=date(2024, 3, 6),
        assignee=LINK,
        priority=Priority.NORMAL,
        child_refs=("CR-1001",),
        theme=None,
        source=None,
        history=(HistoryEntry(NOW, LEAD, "logged", new="due 2024-03-06"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def _stored_inspection(database: Database) -> int:
    stored = await SqlInspectionRepository(database).add(_inspection())
    assert stored.id is not None
    return stored.id


async def test_round_trip_keeps_every_field(database: Database) -> None:
    repo = SqlRequestRepository(database)
    inspection_id = await _stored_inspection(database)
    text = "  Verbatim:\n\tthe whole chronology for CR-1001 & CR-2002 — 100% ✅  "
    source = MessageSource("msg-1", "https://teams.example/m/1", LINK)
    added = await repo.add(
        _new(inspection_id, text, child_refs=("CR-1001", "CR-2002"), theme="Neglect",
             priority=Priority.URGENT, source=source)
    )  # fmt: skip
    assert (added.number, added.version, added.status) == (1, 1, RequestStatus.OPEN)
    later = NOW + timedelta(hours=2)
    changed = replace(
        added,
        status=RequestStatus.FOLLOW_UP,
        due_on=date(2024, 3, 8),
        assignee=None,
        answers=(
            Answer("Part one", LINK, NOW + timedelta(hours=1),
                   (LinkedFile("a.pdf", "https://f/a", "i1", "d1"),), False),
            Answer("", DIRECTOR, later, (LinkedFile("b.xlsx"), LinkedFile("c.docx")), True),
        ),
        follow_ups=(FollowUp("And the rest?", INSPECTOR, later, date(2024, 3, 8)),),
        notes=(Note("internal only", LEAD, later),),
        history=(*added.history, HistoryEntry(later, LEAD, "internal note added", internal=True),
                 HistoryEntry(later, LEAD, "due date changed", "2024-03-06", "2024-03-08", "why")),
        closed_at=None,
        updated_at=later,
    )  # fmt: skip
    updated = await repo.update(changed)
    assert updated.version == 2
    loaded = await repo.get(inspection_id, 1)
    assert loaded == updated
    assert loaded.text == text
    assert loaded.child_refs == ("CR-1001", "CR-2002")
    assert loaded.source == source
    assert loaded.assignee is None and loaded.theme == "Neglect"
    assert [a.text for a in loaded.answers] == ["Part one", ""]
    assert [[f.name for f in a.files] for a in loaded.answers] == [["a.pdf"], ["b.xlsx", "c.docx"]]
    assert loaded.answers[0].files[0] == LinkedFile(
        "a.pdf", "https://f/a", "i1", "d1", loaded.answers[0].files[0].id
    )
    assert loaded.follow_ups[0].due_on == date(2024, 3, 8)
    assert loaded.notes[0].text == "internal only"
    assert [(e.action, e.internal) for e in loaded.history] == [
        ("logged", False), ("internal note added", True), ("due date changed", False),
    ]  # fmt: skip
    assert loaded.history[-1].reason == "why"
    assert loaded.asked_at == NOW and loaded.asked_at.tzinfo is not None


async def test_stale_update_is_refused_and_unknown_is_not_found(database: Database) -> None:
    repo = SqlRequestRepository(database)
    inspection_id = await _stored_inspection(database)
    added = await repo.add(_new(inspection_id))
    await repo.update(replace(added, status=RequestStatus.WITHDRAWN))
    with pytest.raises(Conflict, match="someone else changed IR-001"):
        await repo.update(replace(added, status=RequestStatus.ANSWERED))
    assert (await repo.get(inspection_id, 1)).status is RequestStatus.WITHDRAWN
    with pytest.raises(NotFound, match="no IR-002 in this inspection"):
        await repo.get(inspection_id, 2)
    with pytest.raises(NotFound, match="no inspection 999"):
        await repo.add(_new(999))


async def test_numbers_are_per_inspection(database: Database) -> None:
    repo = SqlRequestRepository(database)
    first = await _stored_inspection(database)
    second = await _stored_inspection(database)
    numbers = [
        (await repo.add(_new(inspection_id))).ref for inspection_id in (first, second, first)
    ]
    assert numbers == ["IR-001", "IR-001", "IR-002"]


async def test_every_filter_means_what_the_domain_says(database: Database) -> None:
    repo = SqlRequestRepository(database)
    inspection_id = await _stored_inspection(database)
    specs = [
        ("Chronology 50%_done for CR-1001", LEAD, ("CR-1001",), "Neglect", date(2024, 3, 5), 0),
        ("Supervision for CR-2002", INSPECTOR, ("CR-2002",), "neglect", date(2024, 3, 6), 1),
        ("Staffing return", LEAD, (), None, date(2024, 3, 7), 2),
        ("Audit of CR-1001 and CR-3003", INSPECTOR, ("CR-1001", "CR-3003"), "Exploitation",
         date(2024, 3, 8), 3),
    ]  # fmt: skip
    for text, asker, refs, theme, due, hours in specs:
        added = await repo.add(
            _new(inspection_id, text, asked_by=asker, child_refs=refs, theme=theme, due_on=due,
                 asked_at=NOW + timedelta(hours=hours), assignee=LINK if hours % 2 else DIRECTOR)
        )  # fmt: skip
        if hours in (1, 3):
            answered = replace(
                added,
                status=RequestStatus.ANSWERED,
                answers=(Answer("done", LINK, NOW + timedelta(hours=10 + hours)),),
            )
            await repo.update(answered)
    everything = await repo.find(inspection_id, RequestQuery())
    assert [r.number for r in everything] == [1, 2, 3, 4]
    queries = [
        RequestQuery(statuses=frozenset({RequestStatus.OPEN})),
        RequestQuery(statuses=frozenset({RequestStatus.ANSWERED, RequestStatus.ACCEPTED})),
        RequestQuery(due_from=date(2024, 3, 6)),
        RequestQuery(due_to=date(2024, 3, 6)),
        RequestQuery(due_from=date(2024, 3, 6), due_to=date(2024, 3, 7)),
        RequestQuery(child_ref="cr-1001"),
        RequestQuery(child_ref="CR-3003"),
        RequestQuery(asked_by=INSPECTOR.aad_object_id),
        RequestQuery(assignee=DIRECTOR.aad_object_id),
        RequestQuery(theme="NEGLECT"),
        RequestQuery(opened_from=NOW + timedelta(hours=1), opened_to=NOW + timedelta(hours=3)),
        RequestQuery(answered_from=NOW + timedelta(hours=12)),
        RequestQuery(answered_to=NOW + timedelta(hours=12)),
        RequestQuery(text="50%_"),
        RequestQuery(text="cr-1001"),
        RequestQuery(numbers=frozenset({2, 4, 9})),
        RequestQuery(statuses=frozenset({RequestStatus.OPEN}), child_ref="CR-1001"),
    ]
    for query in queries:
        expected = [r.number for r in everything if matches(r, query)]
        found = [r.number for r in await repo.find(inspection_id, query)]
        assert found == expected, query
    assert [r.number for r in await repo.find(inspection_id, RequestQuery(limit=2))] == [1, 2]
    assert any(matches(r, queries[5]) for r in everything)  # the filters are not vacuous


async def test_fifty_concurrent_loggings_get_ir_001_to_050(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection_id = await _stored_inspection(database)
    log = RequestLog(
        SqlRequestRepository(database), SqlInspectionRepository(database), frameworks,
        FixedClock(NOW),
    )  # fmt: skip
    results = await asyncio.gather(
        *(
            log.log(
                inspection_id,
                LEAD,
                f"Distinct request number {i} about CR-{1000 + i}",
                confirm=True,
            )
            for i in range(50)
        )
    )
    assert sorted(r.ref for r in results) == [f"IR-{n:03d}" for n in range(1, 51)]
    stored = await log.all_requests(inspection_id)
    assert [r.number for r in stored] == list(range(1, 51))
    assert len({r.text for r in stored}) == 50
    later = await log.log(inspection_id, LEAD, "One more afterwards", confirm=True)
    assert later.ref == "IR-051"


async def test_concurrent_answers_and_close_lose_nothing(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection_id = await _stored_inspection(database)
    log = RequestLog(
        SqlRequestRepository(database), SqlInspectionRepository(database), frameworks,
        FixedClock(NOW),
    )  # fmt: skip
    request = await log.log(inspection_id, LEAD, "Supervision records for CR-1001", confirm=True)
    people = [LINK, DIRECTOR] * 5
    answers = [
        log.answer(inspection_id, request.ref, person, f"Part {i}", complete=False)
        for i, person in enumerate(people)
    ]
    outcomes = await asyncio.gather(*answers, return_exceptions=True)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    stored = await log.get(inspection_id, request.ref, LEAD)
    assert sorted(a.text for a in stored.answers) == sorted(f"Part {i}" for i in range(10))
    assert stored.version == 11  # one version per change, none overwritten

    # An answer and a close at the same time: either the answer lands and the close accepts
    # it, or the close wins and the late answer is refused with a reason. Nothing vanishes.
    final = log.answer(inspection_id, request.ref, LINK, "The final part")
    close = log.accept(inspection_id, request.ref, LEAD)
    answer_outcome, close_outcome = await asyncio.gather(final, close, return_exceptions=True)
    assert not isinstance(close_outcome, BaseException)
    stored = await log.get(inspection_id, request.ref, LEAD)
    assert stored.status is RequestStatus.ACCEPTED
    if isinstance(answer_outcome, BaseException):
        assert isinstance(answer_outcome, RequestRefused)
        assert "already accepted" in str(answer_outcome)
        assert len(stored.answers) == 10
    else:
        assert "The final part" in [a.text for a in stored.answers]
    actions = [e.action for e in stored.history]
    assert actions.count("partly answered") == 10 and actions.count("accepted") == 1


async def test_two_buttons_on_the_same_card_one_wins(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspection_id = await _stored_inspection(database)
    log = RequestLog(
        SqlRequestRepository(database), SqlInspectionRepository(database), frameworks,
        FixedClock(NOW),
    )  # fmt: skip
    request = await log.log(inspection_id, LEAD, "Fostering panel minutes", confirm=True)
    seen = await log.answer(inspection_id, request.ref, LINK, "Attached")
    outcomes = await asyncio.gather(
        log.accept(inspection_id, request.ref, LEAD, expected_version=seen.version),
        log.withdraw(inspection_id, request.ref, INSPECTOR, expected_version=seen.version),
        return_exceptions=True,
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], (StaleRequest, InspectionError))
    stored = await log.get(inspection_id, request.ref, LEAD)
    assert stored.status in (RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN)
    if isinstance(failures[0], StaleRequest):
        assert failures[0].current.status == stored.status
