"""The request log's operations, role rules and state transitions (issue 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.clock import FixedClock
from inspection.errors import Conflict, Forbidden, InspectionError, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.requests import (
    SIMILARITY_THRESHOLD,
    InformationRequest,
    LinkedFile,
    MessageSource,
    NeedsConfirmation,
    Person,
    Priority,
    RequestLog,
    RequestQuery,
    RequestRefused,
    RequestStatus,
    StaleRequest,
    format_ref,
    normalise_case_ref,
    parse_ref,
    similarity,
)
from tests.fakes.request_log import FakeInspectionRepository, FakeRequestRepository

LEAD = Person("aad-lead", "Lead Inspector A")
INSPECTOR = Person("aad-insp", "Inspector B")
LINK = Person("aad-link", "Link Officer C")
DIRECTOR = Person("aad-dir", "Director D")
OBSERVER = Person("aad-obs", "Observer E")
OUTSIDER = Person("aad-out", "Someone Else")

INSPECTION = Inspection(
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
        Member(OBSERVER.aad_object_id, Role.OBSERVER, OBSERVER.display_name),
    ),
    id=1,
)


class World:
    def __init__(
        self, frameworks: FrameworkRegistry, now: datetime, inspection: Inspection
    ) -> None:
        self.clock = FixedClock(now)
        self.repo = FakeRequestRepository()
        self.changes: list[str] = []
        self.log = RequestLog(
            self.repo, FakeInspectionRepository(inspection), frameworks, self.clock
        )

        async def listen(_inspection: Inspection, request: InformationRequest) -> None:
            self.changes.append(f"{request.ref}:{request.status.value}")

        self.log.add_listener(listen)


def world(
    frameworks: FrameworkRegistry,
    now: datetime = datetime(2024, 3, 5, 10, 0, tzinfo=UTC),
    inspection: Inspection = INSPECTION,
) -> World:
    return World(frameworks, now, inspection)


async def _logged(
    w: World, text: str = "Supervision notes for the allocated worker of CR-104233"
) -> InformationRequest:
    return await w.log.log(1, LEAD, text)


# --- logging ------------------------------------------------------------------------------


async def test_log_gives_ids_in_order_and_keeps_the_words_verbatim(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    text = "  Please share the  chronology\nfor CR-104233 (all entries since 01/04/2023) ✅ "
    first = await w.log.log(1, LEAD, text)
    second = await w.log.log(1, INSPECTOR, "Staffing return for the duty team, March 2024")
    assert (first.ref, second.ref) == ("IR-001", "IR-002")
    assert first.text == text
    assert first.asked_by == LEAD and first.asked_at == w.clock.now()
    assert first.child_refs == ("CR-104233",)
    assert first.assignee == LINK  # the link officer by default (6.2)
    assert first.status is RequestStatus.OPEN and first.priority is Priority.NORMAL
    assert [entry.action for entry in first.history] == ["logged"]
    assert w.changes == ["IR-001:open", "IR-002:open"]


async def test_default_due_on_site_is_the_next_working_day(frameworks: FrameworkRegistry) -> None:
    # 7.3 (rule file): end of the next working day while on site.
    w = world(frameworks, datetime(2024, 3, 5, 10, 0, tzinfo=UTC))  # Tuesday, on site
    assert (await _logged(w)).due_on == date(2024, 3, 6)
    w.clock.set(datetime(2024, 3, 8, 15, 0, tzinfo=UTC))  # Friday, last on-site day
    request = await w.log.log(1, LEAD, "Minutes of the last strategy discussion for CR-2002")
    assert request.due_on == date(2024, 3, 11)  # Monday


async def test_default_due_off_site_is_five_working_days(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks, datetime(2024, 2, 20, 10, 0, tzinfo=UTC))  # Tuesday, before on site
    assert (await _logged(w)).due_on == date(2024, 2, 27)


async def test_default_due_skips_a_bank_holiday(frameworks: FrameworkRegistry) -> None:
    # Jersey's Liberation Day, 9 May 2024, is not a working day.
    w = world(frameworks, datetime(2024, 5, 8, 10, 0, tzinfo=UTC))
    assert (await _logged(w)).due_on == date(2024, 5, 16)


async def test_today_is_the_local_date_of_the_inspection(frameworks: FrameworkRegistry) -> None:
    inspection = replace(INSPECTION, onsite_start=date(2024, 6, 3), onsite_end=date(2024, 6, 7))
    # 23:30 UTC on Sunday 2 June is 00:30 on Monday 3 June in Jersey (BST): on site already.
    w = world(frameworks, datetime(2024, 6, 2, 23, 30, tzinfo=UTC), inspection)
    assert (await _logged(w)).due_on == date(2024, 6, 4)


async def test_log_with_given_due_date_theme_priority_and_assignee(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await w.log.log(
        1,
        INSPECTOR,
        "Return home interview records",
        child_refs=["cr-2002", "CR 3003"],
        theme="  Exploitation ",
        due_on=date(2024, 3, 7),
        priority="high",
        assignee=DIRECTOR.aad_object_id,
    )
    assert request.child_refs == ("CR-2002", "CR-3003")
    assert request.theme == "Exploitation"
    assert request.due_on == date(2024, 3, 7)
    assert request.priority is Priority.HIGH
    assert request.assignee == DIRECTOR


async def test_log_from_a_message_keeps_the_source(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    source = MessageSource("1700000000000", "https://teams.example/msg/1", LINK)
    request = await w.log.log(1, LEAD, "Can we see the CIN plan for CR-5005?", source=source)
    assert request.source == source
    assert [entry.action for entry in request.history] == ["logged", "logged from a message"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "the request is empty"),
        ({"text": "x" * 4001}, "4001 characters; keep it under 4000"),
        ({"child_refs": ["Jack"]}, "not a case reference"),
        ({"due_on": date(2024, 3, 1)}, "in the past"),
        ({"due_on": date(2024, 3, 9)}, "not a working day \\(Saturday\\); use Mon 11 Mar 2024"),
        ({"priority": "asap"}, "unknown priority 'asap'"),
        ({"assignee": "aad-nobody"}, "not part of this inspection"),
    ],
)
async def test_bad_input_is_refused_with_a_clear_message(
    frameworks: FrameworkRegistry, kwargs: dict[str, object], message: str
) -> None:
    w = world(frameworks)
    arguments: dict[str, object] = {"text": "Staffing return for March"} | kwargs
    text = str(arguments.pop("text"))
    with pytest.raises(InspectionError, match=message):
        await w.log.log(1, LEAD, text, **arguments)  # type: ignore[arg-type]
    assert w.repo.rows == {}


async def test_due_date_on_a_bank_holiday_names_it(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks, datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    with pytest.raises(InspectionError, match=r"Liberation Day.*use Fri 10 May 2024"):
        await w.log.log(1, LEAD, "Staffing return", due_on=date(2024, 5, 9))


@pytest.mark.parametrize(
    ("person", "message"),
    [
        (LINK, "only the lead inspector or an inspector can log .* you are the link officer"),
        (DIRECTOR, "only the lead inspector or an inspector can log .* you are the director"),
        (OBSERVER, "only the lead inspector or an inspector can log"),
        (OUTSIDER, "you are not part of this inspection"),
    ],
)
async def test_only_inspectors_log(
    frameworks: FrameworkRegistry, person: Person, message: str
) -> None:
    w = world(frameworks)
    with pytest.raises(Forbidden, match=message):
        await w.log.log(1, person, "Staffing return for March")
    assert w.repo.rows == {}


async def test_a_name_in_the_text_needs_confirmation_and_nothing_is_logged(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    with pytest.raises(NeedsConfirmation) as caught:
        await w.log.log(1, LEAD, "Please send the care plan for the boy called Jack")
    assert "9.7" in str(caught.value) and "case reference" in str(caught.value)
    assert "Jack" not in str(caught.value)  # the warning does not repeat the name
    assert [f.kind for f in caught.value.check.findings] == ["name"]
    assert w.repo.rows == {}
    confirmed = await w.log.log(
        1, LEAD, "Please send the care plan for the boy called Jack", confirm=True
    )
    assert confirmed.ref == "IR-001"


async def test_a_request_like_a_live_one_is_flagged(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    await w.log.log(
        1, LEAD, "Please provide supervision records for the team manager, last 6 months"
    )
    with pytest.raises(NeedsConfirmation, match=r"This looks like IR-001.*Log anyway\?") as caught:
        await w.log.log(
            1, INSPECTOR, "Supervision records for the team manager for the last 6 months"
        )
    assert [r.ref for r in caught.value.check.similar] == ["IR-001"]
    assert len(w.repo.rows) == 1
    again = await w.log.log(
        1, INSPECTOR, "Supervision records for the team manager for the last 6 months", confirm=True
    )
    assert again.ref == "IR-002"


async def test_alike_requests_about_different_children_are_not_duplicates(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    await w.log.log(1, LEAD, "Latest child protection plan for CR-1001")
    second = await w.log.log(1, LEAD, "Latest child protection plan for CR-2002")
    assert second.ref == "IR-002"


async def test_closed_requests_are_not_duplicates(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    first = await w.log.log(1, LEAD, "Latest staffing return")
    await w.log.withdraw(1, first.ref, LEAD)
    assert (await w.log.log(1, LEAD, "Latest staffing return")).ref == "IR-002"


# --- answering ----------------------------------------------------------------------------


async def test_partial_answers_then_a_full_answer(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    w.clock.advance(timedelta(hours=1))
    first_file = LinkedFile("Supervision Jan.pdf", "https://f/1", "item-1")
    partial = await w.log.answer(
        1, request.ref, LINK, "First half attached", complete=False, files=[first_file]
    )
    assert partial.status is RequestStatus.OPEN and len(partial.answers) == 1
    w.clock.advance(timedelta(hours=1))
    full = await w.log.answer(1, "ir-1", DIRECTOR, "", files=[LinkedFile("Supervision Feb.pdf")])
    assert full.status is RequestStatus.ANSWERED
    assert [a.complete for a in full.answers] == [False, True]
    assert [f.name for f in full.files] == ["Supervision Jan.pdf", "Supervision Feb.pdf"]
    assert full.response_text == "First half attached"
    assert full.answered_at == w.clock.now()
    assert [e.action for e in full.history] == ["logged", "partly answered", "answered"]


async def test_answer_rules(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    with pytest.raises(InspectionError, match="needs some text or at least one file"):
        await w.log.answer(1, request.ref, LINK, "  ")
    with pytest.raises(Forbidden, match="you are the observer"):
        await w.log.answer(1, request.ref, OBSERVER, "Here it is")
    with pytest.raises(Forbidden, match="not part of this inspection"):
        await w.log.answer(1, request.ref, OUTSIDER, "Here it is")
    with pytest.raises(NeedsConfirmation):
        await w.log.answer(1, request.ref, LINK, "Attached for Oliver, DOB 12/03/2015")
    with pytest.raises(NotFound, match="no IR-009"):
        await w.log.answer(1, "IR-009", LINK, "Here it is")
    # An inspector may record an answer given in person at the Keep in Touch meeting.
    recorded = await w.log.answer(1, request.ref, INSPECTOR, "Shown at the KIT meeting")
    assert recorded.answers[0].answered_by == INSPECTOR


# --- accepting, closing, withdrawing ------------------------------------------------------


async def test_accept_closes_an_answered_request(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    await w.log.answer(1, request.ref, LINK, "Attached")
    accepted = await w.log.accept(1, request.ref, LEAD)
    assert accepted.status is RequestStatus.ACCEPTED and accepted.closed_at == w.clock.now()
    assert accepted.history[-1].action == "accepted"
    assert (accepted.history[-1].old, accepted.history[-1].new) == ("answered", "accepted")


async def test_link_officer_cannot_accept_or_withdraw(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    await w.log.answer(1, request.ref, LINK, "Attached")
    for operation in (w.log.accept, w.log.withdraw):
        with pytest.raises(Forbidden, match="only the lead inspector or an inspector can"):
            await operation(1, request.ref, LINK)
    assert (await w.repo.get(1, 1)).status is RequestStatus.ANSWERED


async def test_closing_an_accepted_request_is_refused_with_a_reason(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await _logged(w)
    await w.log.answer(1, request.ref, LINK, "Attached")
    await w.log.accept(1, request.ref, INSPECTOR)
    with pytest.raises(
        RequestRefused, match="already closed: accepted by Inspector B on 05 Mar 2024"
    ):
        await w.log.accept(1, request.ref, LEAD)
    with pytest.raises(RequestRefused, match=r"already closed .* cannot be withdrawn"):
        await w.log.withdraw(1, request.ref, LEAD)
    with pytest.raises(RequestRefused, match="already accepted and is closed"):
        await w.log.answer(1, request.ref, LINK, "One more thing")


async def test_accepting_needs_an_answer(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    with pytest.raises(RequestRefused, match=r"no answer yet.*withdraw it"):
        await w.log.accept(1, request.ref, LEAD)
    # A partial answer is enough for an inspector who has what they need.
    await w.log.answer(1, request.ref, LINK, "Part one", complete=False)
    assert (await w.log.accept(1, request.ref, LEAD)).status is RequestStatus.ACCEPTED


async def test_withdraw_keeps_the_reason_and_ends_the_request(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await _logged(w)
    withdrawn = await w.log.withdraw(1, request.ref, INSPECTOR, reason="seen on site instead")
    assert withdrawn.status is RequestStatus.WITHDRAWN and withdrawn.closed_at is not None
    assert withdrawn.history[-1].reason == "seen on site instead"
    with pytest.raises(RequestRefused, match="already withdrawn"):
        await w.log.withdraw(1, request.ref, LEAD)
    with pytest.raises(RequestRefused, match="withdrawn; it needs no answer"):
        await w.log.answer(1, request.ref, LINK, "Here")
    with pytest.raises(RequestRefused, match="withdrawn; there is no answer to accept"):
        await w.log.accept(1, request.ref, LEAD)
    with pytest.raises(RequestRefused, match="withdrawn; log a new request"):
        await w.log.follow_up(1, request.ref, LEAD, "And the rest?")


# --- follow-up, reassign, due date, notes -------------------------------------------------


async def test_follow_up_reopens_with_a_new_due_date(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    with pytest.raises(RequestRefused, match="not been answered yet"):
        await w.log.follow_up(1, request.ref, LEAD, "And January?")
    await w.log.answer(1, request.ref, LINK, "Attached")
    await w.log.accept(1, request.ref, LEAD)
    w.clock.set(datetime(2024, 3, 6, 9, 0, tzinfo=UTC))
    followed = await w.log.follow_up(1, request.ref, INSPECTOR, "Please add the January session")
    assert followed.status is RequestStatus.FOLLOW_UP and followed.waiting
    assert followed.closed_at is None
    assert followed.due_on == date(2024, 3, 7)  # on site: next working day
    assert followed.follow_ups[0].text == "Please add the January session"
    assert followed.follow_ups[0].asked_by == INSPECTOR
    assert followed.history[-1].action == "follow-up asked"
    answered = await w.log.answer(1, request.ref, LINK, "January added")
    assert answered.status is RequestStatus.ANSWERED
    with pytest.raises(
        Forbidden, match="only the lead inspector or an inspector can ask a follow-up"
    ):
        await w.log.follow_up(1, request.ref, LINK, "more")


async def test_follow_up_with_its_own_due_date(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    await w.log.answer(1, request.ref, LINK, "Attached")
    followed = await w.log.follow_up(1, request.ref, LEAD, "And February", due_on=date(2024, 3, 8))
    assert followed.due_on == date(2024, 3, 8)


async def test_reassign_to_another_member(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    moved = await w.log.reassign(1, request.ref, LEAD, DIRECTOR.aad_object_id)
    assert moved.assignee == DIRECTOR
    assert (moved.history[-1].old, moved.history[-1].new) == ("Link Officer C", "Director D")
    with pytest.raises(RequestRefused, match="already for Director D"):
        await w.log.reassign(1, request.ref, LEAD, DIRECTOR.aad_object_id)
    with pytest.raises(InspectionError, match="not part of this inspection"):
        await w.log.reassign(1, request.ref, LEAD, "aad-nobody")
    with pytest.raises(Forbidden):
        await w.log.reassign(1, request.ref, LINK, LINK.aad_object_id)


async def test_change_due_keeps_the_reason(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    with pytest.raises(InspectionError, match="say why the due date changes"):
        await w.log.change_due(1, request.ref, LEAD, date(2024, 3, 8), " ")
    moved = await w.log.change_due(1, request.ref, LEAD, date(2024, 3, 8), "records are archived")
    assert moved.due_on == date(2024, 3, 8)
    entry = moved.history[-1]
    assert (entry.action, entry.old, entry.new, entry.reason) == (
        "due date changed", "2024-03-06", "2024-03-08", "records are archived",
    )  # fmt: skip
    with pytest.raises(RequestRefused, match="already due on Fri 08 Mar 2024"):
        await w.log.change_due(1, request.ref, LEAD, date(2024, 3, 8), "again")
    with pytest.raises(Forbidden):
        await w.log.change_due(1, request.ref, LINK, date(2024, 3, 8), "please")
    await w.log.withdraw(1, request.ref, LEAD)
    with pytest.raises(RequestRefused, match="withdrawn, so it cannot be given a new due date"):
        await w.log.change_due(1, request.ref, LEAD, date(2024, 3, 7), "x")


async def test_internal_notes_are_never_shown_to_provider_staff(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await _logged(w)
    await w.log.add_note(1, request.ref, LEAD, "Chase gently: the team is short-staffed")
    with pytest.raises(Forbidden):
        await w.log.add_note(1, request.ref, LINK, "a note")
    inspector_view = await w.log.get(1, request.ref, INSPECTOR)
    assert [n.text for n in inspector_view.notes] == ["Chase gently: the team is short-staffed"]
    assert any(e.internal for e in inspector_view.history)
    for person in (LINK, DIRECTOR, OBSERVER):
        view = await w.log.get(1, request.ref, person)
        assert view.notes == ()
        assert not any(e.internal for e in view.history)
        assert "short-staffed" not in repr(view)
        listed = await w.log.find(1, person, RequestQuery(text="short-staffed"))
        assert listed == []  # search never looks into notes
        assert "short-staffed" not in repr(await w.log.find(1, person))
    for scheduled in (await w.log.open_requests(1), await w.log.all_requests(1)):
        assert "short-staffed" not in repr(scheduled)
    assert "short-staffed" in repr(await w.log.all_requests(1, "inspectors"))
    with pytest.raises(Forbidden, match="not part of this inspection"):
        await w.log.get(1, request.ref, OUTSIDER)


# --- listing ------------------------------------------------------------------------------


async def test_listing_and_filtering(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks, datetime(2024, 3, 4, 9, 0, tzinfo=UTC))  # Monday, on site
    a = await w.log.log(1, LEAD, "Chronology for CR-1001", theme="Neglect")  # due Tue 5th
    b = await w.log.log(1, INSPECTOR, "Return interview for CR-2002", due_on=date(2024, 3, 8))
    w.clock.set(datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    c = await w.log.log(1, LEAD, "Audit of CR-1001 supervision", theme="neglect")  # due Wed 6th
    await w.log.answer(1, b.ref, LINK, "Attached")

    def refs(found: list[InformationRequest]) -> list[str]:
        return [r.ref for r in found]

    assert refs(await w.log.due_on(1, date(2024, 3, 5))) == [a.ref]
    assert refs(await w.log.overdue(1, date(2024, 3, 6))) == [a.ref]
    assert refs(await w.log.overdue(1, date(2024, 3, 7))) == [a.ref, c.ref]
    assert refs(await w.log.due_between(1, date(2024, 3, 4), date(2024, 3, 8))) == [a.ref, c.ref]
    assert refs(await w.log.open_requests(1)) == [a.ref, c.ref]
    assert refs(await w.log.find(1, LINK, RequestQuery(child_ref="cr-1001"))) == [a.ref, c.ref]
    assert refs(await w.log.find(1, LINK, RequestQuery(asked_by=INSPECTOR.aad_object_id))) == [
        b.ref
    ]
    assert refs(await w.log.find(1, LINK, RequestQuery(theme="NEGLECT"))) == [a.ref, c.ref]
    assert refs(await w.log.find(1, LINK, RequestQuery(text="interview"))) == [b.ref]
    day_one = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)
    day_two = datetime(2024, 3, 5, 0, 0, tzinfo=UTC)
    assert refs(await w.log.opened_between(1, day_one, day_two)) == [a.ref, b.ref]
    assert refs(await w.log.answered_between(1, day_two, day_two + timedelta(days=1))) == [b.ref]
    assert refs(await w.log.answered_between(1, day_one, day_two)) == []
    assert a.is_overdue(date(2024, 3, 6)) and not a.is_overdue(date(2024, 3, 5))


# --- concurrency --------------------------------------------------------------------------


async def test_a_typed_change_is_reapplied_when_someone_saved_first(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await _logged(w)
    w.repo.fail_next_updates = 2
    answered = await w.log.answer(1, request.ref, LINK, "Attached")
    assert answered.status is RequestStatus.ANSWERED


async def test_a_button_on_an_old_card_is_told_the_current_state(
    frameworks: FrameworkRegistry,
) -> None:
    w = world(frameworks)
    request = await _logged(w)
    seen = await w.log.answer(1, request.ref, LINK, "Attached")
    await w.log.withdraw(1, request.ref, INSPECTOR)
    with pytest.raises(
        StaleRequest, match="now withdrawn \\(withdrawn by Inspector B\\)"
    ) as caught:
        await w.log.accept(1, request.ref, LEAD, expected_version=seen.version)
    assert caught.value.current.status is RequestStatus.WITHDRAWN
    assert isinstance(caught.value, Conflict)


async def test_endless_conflicts_end_with_a_clear_message(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)
    request = await _logged(w)
    w.repo.fail_next_updates = 100
    with pytest.raises(Conflict, match="being changed by several people at once"):
        await w.log.answer(1, request.ref, LINK, "Attached")


async def test_a_failing_listener_never_undoes_the_change(frameworks: FrameworkRegistry) -> None:
    w = world(frameworks)

    async def broken(_inspection: Inspection, _request: InformationRequest) -> None:
        raise RuntimeError("upload failed")

    w.log.add_listener(broken)
    request = await _logged(w)
    assert (await w.repo.get(1, request.number)).text == request.text


# --- ids and helpers ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["IR-007", "ir-7", "IR 7", "IR007", "#7", "7", " ir_007 "])
def test_parse_ref_accepts_what_people_type(text: str) -> None:
    assert parse_ref(text) == 7


@pytest.mark.parametrize("text", ["", "IR-", "CR-104233", "seven", "IR-0"])
def test_parse_ref_refuses_anything_else(text: str) -> None:
    with pytest.raises(InspectionError):
        parse_ref(text)


def test_format_ref_never_wraps() -> None:
    assert [format_ref(n) for n in (1, 42, 999, 1000)] == ["IR-001", "IR-042", "IR-999", "IR-1000"]


def test_case_refs_are_normalised() -> None:
    assert normalise_case_ref(" cr104233 ") == "CR-104233"
    assert normalise_case_ref("CR/104233") == "CR-104233"
    with pytest.raises(InspectionError, match="not a case reference"):
        normalise_case_ref("IR-004")


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Supervision records for the team manager", "supervision records, team manager", True),
        ("Minutes of the fostering panel", "Fostering panel minutes", True),
        ("Supervison recods for team manager", "Supervision records for team manager", True),
        ("Return home interview records", "Return home interviews", True),
        ("Staffing return for March", "Staffing return for February", False),
        ("Audit of CIN plans this quarter", "Audit of CP plans this quarter", False),
        ("Training matrix for residential staff", "Training records for foster carers", False),
        ("Complaints log since the last inspection", "Compliments and complaints since", False),
    ],
)
def test_similarity_flags_what_a_person_would_call_the_same_request(
    a: str, b: str, alike: bool
) -> None:
    assert (similarity(a, b) >= SIMILARITY_THRESHOLD) is alike
    assert similarity(a, b) == similarity(b, a)


async def test_a_stale_refusal_never_names_an_internal_note(
    frameworks: FrameworkRegistry,
) -> None:
    """The refusal is shown where provider staff read it: the last change it names is the last
    one they may see, never an inspectors-only note or its author."""
    w = world(frameworks)
    request = await _logged(w)
    seen = await w.log.answer(1, request.ref, LINK, "Attached")
    await w.log.withdraw(1, request.ref, INSPECTOR)
    await w.log.add_note(1, request.ref, LEAD, "Provider slow to respond; chase at KIT")
    with pytest.raises(StaleRequest) as caught:
        await w.log.accept(1, request.ref, LEAD, expected_version=seen.version)
    message = str(caught.value)
    assert "(withdrawn by Inspector B)" in message
    assert "note" not in message.lower() and LEAD.name not in message
