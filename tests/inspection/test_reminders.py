"""The reminder planner: ladders, escalation, KIT agenda, snoozes, DST and bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.frameworks import FrameworkRegistry
from inspection.inspections import timeline_for
from inspection.model import Inspection, Member, Role
from inspection.reminders import (
    ReminderItem,
    ReminderState,
    RequestSnapshot,
    Snooze,
    due_now,
    items_on,
)

JCC = "jcc-children-social-care"
# Notice Mon 16 March 2026: documents due Mon 30 March, the day after the clocks go forward
# (Sun 29 March); the chase then runs over Good Friday (3 April) and Easter Monday (6 April).
NOTICE = date(2026, 3, 16)
ONSITE = (date(2026, 4, 20), date(2026, 4, 24))
MEMBERS = (
    Member("lead-1", Role.LEAD_INSPECTOR, "Lead Inspector"),
    Member("insp-2", Role.INSPECTOR, "Inspector Two"),
    Member("lo-1", Role.LINK_OFFICER, "Link Officer"),
    Member("dir-1", Role.DIRECTOR, "Director"),
)


def jcc_inspection(**actuals: date) -> Inspection:
    return Inspection(
        framework=JCC,
        inspection_type="full",
        service_name="Children's Social Care (synthetic)",
        onsite_start=ONSITE[0],
        onsite_end=ONSITE[1],
        members=MEMBERS,
        actuals={"notice": NOTICE, **actuals},
        id=7,
    )


def state_for(
    frameworks: FrameworkRegistry,
    inspection: Inspection | None = None,
    *,
    missing: tuple[str, ...] | None = ("Organisational structures", "Self-Evaluation Report"),
    requests: tuple[RequestSnapshot, ...] = (),
    snoozes: tuple[Snooze, ...] = (),
    improvements: tuple[object, ...] = (),
) -> ReminderState:
    inspection = inspection or jcc_inspection()
    framework = frameworks.get(inspection.framework)
    return ReminderState(
        inspection=inspection,
        framework=framework,
        timeline=timeline_for(inspection, frameworks),
        calendar=framework.calendar_for(),
        missing_items=missing,
        requests=requests,
        improvements=improvements,  # type: ignore[arg-type]
        snoozes=snoozes,
    )


def who(item: ReminderItem) -> str:
    if item.recipient.kind == "channel":
        return "channel"
    return f"{item.recipient.aad_object_id}{'(told)' if item.role == 'told' else ''}"


def days_with(state: ReminderState, rule: str, start: date, end: date) -> dict[date, list[str]]:
    found: dict[date, list[str]] = {}
    day = start
    while day <= end:
        items = [i for i in items_on(state, day) if i.rule == rule]
        if items:
            found[day] = sorted(who(i) for i in items)
        day += timedelta(days=1)
    return found


def test_documents_ladder_escalates_and_skips_easter(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    assert state.timeline.get("documents_due").date == date(2026, 3, 30)
    base = ["channel", "lo-1"]
    escalated = ["channel", "dir-1", "lead-1(told)", "lo-1"]
    found = days_with(state, "documents_due", NOTICE, date(2026, 4, 8))
    assert found == {
        date(2026, 3, 23): base,  # 5 working days before
        date(2026, 3, 26): base,  # 2
        date(2026, 3, 27): base,  # 1
        date(2026, 3, 30): base,  # on the day
        date(2026, 3, 31): base,  # 1 working day overdue
        date(2026, 4, 1): base,  # 2 overdue
        date(2026, 4, 2): escalated,  # more than 2 overdue: the director, lead inspector told
        # Good Friday 3 April, the weekend and Easter Monday 6 April: nothing.
        date(2026, 4, 7): escalated,
        date(2026, 4, 8): escalated,
    }


def test_channel_post_mentions_the_people_chased(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    on_time = [i for i in items_on(state, date(2026, 3, 30)) if i.recipient.kind == "channel"]
    assert [i.mentions for i in on_time] == [("lo-1",)]
    late = [i for i in items_on(state, date(2026, 4, 2)) if i.recipient.kind == "channel"]
    assert [i.mentions for i in late] == [("lo-1", "dir-1")]
    told = [i for i in items_on(state, date(2026, 4, 2)) if i.role == "told"]
    assert "Now escalated to the director" in told[0].line
    assert "Missing: Self-Evaluation Report" in told[0].details


def test_reminder_time_is_local_across_the_clock_change(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    before = items_on(state, date(2026, 3, 27))[0]
    after = items_on(state, date(2026, 3, 30))[0]
    # 09:00 in Jersey: GMT before Sunday 29 March, BST (UTC+1) from then on.
    assert before.due_at == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    assert after.due_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_nothing_is_chased_when_nothing_is_missing(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks, missing=())
    assert days_with(state, "documents_due", NOTICE, date(2026, 4, 30)) == {}


def test_unknown_checklist_points_to_the_card(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks, missing=None)
    item = items_on(state, date(2026, 3, 30))[0]
    assert "Check the checklist card" in item.line


def test_notice_card_only_once_notice_is_recorded(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    notice = [i for i in items_on(state, NOTICE) if i.rule == "notice_given"]
    assert [who(i) for i in notice] == ["channel"]
    assert notice[0].attach == "timeline"
    assert any("Draft report" in line for line in notice[0].details)
    planned_only = jcc_inspection()
    planned_only = Inspection(**{**planned_only.__dict__, "actuals": {}})
    state = state_for(frameworks, planned_only)
    latest = state.timeline.get("notice").date
    assert [i for i in items_on(state, latest) if i.rule == "notice_given"] == []


def test_draft_report_reminds_inspectors_until_sent(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    due = state.timeline.get("draft_report_due").date
    assert due == date(2026, 5, 22)
    found = days_with(state, "draft_report_due", date(2026, 5, 1), date(2026, 5, 27))
    inspectors = ["insp-2", "lead-1"]
    assert found == {
        date(2026, 5, 15): inspectors,
        date(2026, 5, 20): inspectors,
        date(2026, 5, 21): inspectors,
        date(2026, 5, 22): inspectors,
        # 25 May is the Spring bank holiday in Jersey.
        date(2026, 5, 26): inspectors,
        date(2026, 5, 27): inspectors,
    }
    sent = state_for(frameworks, jcc_inspection(draft_sent=date(2026, 5, 20)))
    assert days_with(sent, "draft_report_due", date(2026, 5, 1), date(2026, 5, 27)) == {}


def test_factual_accuracy_window_reminds_the_provider(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    end = state.timeline.get("factual_accuracy_due").date
    found = days_with(state, "factual_accuracy_due", date(2026, 5, 23), end + timedelta(days=5))
    provider = ["channel", "dir-1", "lo-1"]
    calendar = state.calendar
    expected = {calendar.add_working_days(end, -n): provider for n in (10, 5, 2, 1)}
    expected[end] = provider
    assert found == expected


def test_kit_agenda_half_an_hour_before_each_meeting(frameworks: FrameworkRegistry) -> None:
    opened_day1 = datetime(2026, 4, 20, 11, 0, tzinfo=UTC)
    requests = (
        RequestSnapshot("IR-001", "Staff rota", date(2026, 4, 21), opened_day1),
        RequestSnapshot(
            "IR-002",
            "Case file CR-104233",
            date(2026, 4, 21),
            opened_day1,
            answered_at=datetime(2026, 4, 20, 15, 0, tzinfo=UTC),
            is_open=False,
            case_ref="CR-104233",
        ),
        RequestSnapshot("IR-003", "Supervision notes", date(2026, 4, 20), opened_day1),
    )
    state = state_for(frameworks, requests=requests)
    agenda = [i for i in items_on(state, date(2026, 4, 21)) if i.rule == "kit_agenda"]
    assert len(agenda) == 1
    # 09:00 BST meeting, agenda at 08:30 BST = 07:30 UTC.
    assert agenda[0].due_at == datetime(2026, 4, 21, 7, 30, tzinfo=UTC)
    lines = agenda[0].details
    assert "Requests opened since the last Keep in Touch meeting: 3" in lines
    assert "Requests answered since the last Keep in Touch meeting: 1" in lines
    assert "  IR-002 (CR-104233): Case file CR-104233" in lines
    assert "Requests overdue: 1" in lines
    assert "  IR-003: Supervision notes" in lines
    assert "Requests due today: 1" in lines
    assert "Checklist items still open: 2" in lines
    day_three = next(i for i in items_on(state, date(2026, 4, 22)) if i.rule == "kit_agenda")
    assert "Requests opened since the last Keep in Touch meeting: 0" in day_three.details
    assert [i for i in items_on(state, date(2026, 4, 27)) if i.rule == "kit_agenda"] == []


def test_each_request_is_reminded_and_chased(frameworks: FrameworkRegistry) -> None:
    opened = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
    requests = (
        RequestSnapshot("IR-004", "Audit tracker", date(2026, 4, 22), opened),
        RequestSnapshot("IR-005", "Answered already", date(2026, 4, 22), opened, is_open=False),
        RequestSnapshot("IR-006", "No due date", None, opened),
    )
    state = state_for(frameworks, requests=requests, missing=())
    found = {
        day: sorted(
            f"{i.subject}:{who(i)}"
            for i in items_on(state, day)
            if i.rule == "information_request_due"
        )
        for day in (date(2026, 4, 21), date(2026, 4, 22), date(2026, 4, 24), date(2026, 4, 27))
    }
    assert found == {
        date(2026, 4, 21): [],
        date(2026, 4, 22): ["IR-004:channel", "IR-004:lo-1"],
        date(2026, 4, 24): ["IR-004:channel", "IR-004:lo-1"],  # 2 overdue
        date(2026, 4, 27): [
            "IR-004:channel",
            "IR-004:dir-1",
            "IR-004:lead-1(told)",
            "IR-004:lo-1",
        ],
    }


def test_snooze_quiets_one_series_for_one_day(frameworks: FrameworkRegistry) -> None:
    series = "documents_due|documents_due|person:lo-1|reminder"
    state = state_for(frameworks, snoozes=(Snooze(7, series, date(2026, 3, 31)),))
    assert days_with(state, "documents_due", date(2026, 3, 30), date(2026, 4, 1)) == {
        date(2026, 3, 30): ["channel"],
        date(2026, 3, 31): ["channel"],
        date(2026, 4, 1): ["channel", "lo-1"],
    }


def test_keys_are_unique_and_stable(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    keys = []
    day = NOTICE
    while day <= date(2026, 7, 1):
        keys += [i.key for i in items_on(state, day)]
        day += timedelta(days=1)
    assert len(keys) == len(set(keys))
    again = [i.key for i in items_on(state_for(frameworks), date(2026, 4, 2))]
    assert again == [i.key for i in items_on(state, date(2026, 4, 2))]
    assert "7:documents_due:documents_due:2026-04-02:person:dir-1" in again


def test_due_now_keeps_only_the_latest_of_each_series(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks)
    # 10:00 BST on the deadline: the day's reminder is due; yesterday's is superseded.
    now = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    due = due_now(state, now)
    assert {i.due_on for i in due} == {date(2026, 3, 30)}
    assert sorted(who(i) for i in due) == ["channel", "lo-1"]
    # 07:00 BST: today's is not due yet, Friday's is stale (its day is over).
    early = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert due_now(state, early) == []


def test_missed_notice_card_is_still_useful_days_later(frameworks: FrameworkRegistry) -> None:
    state = state_for(frameworks, missing=())
    later = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
    due = due_now(state, later)
    assert [(i.rule, i.due_on) for i in due] == [("notice_given", NOTICE)]
    much_later = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
    assert [i.rule for i in due_now(state, much_later)] == []


def test_improvement_reminders_before_each_deadline(frameworks: FrameworkRegistry) -> None:
    from inspection.improvements import AreaForImprovement

    published = date(2026, 6, 26)
    inspection = jcc_inspection(published=published)
    areas = (
        AreaForImprovement(7, 1, "Care plans reviewed on time", 3, id=1),
        AreaForImprovement(7, 2, "Supervision recorded", 6, id=2),
        AreaForImprovement(7, 3, "Done early", 9, completed_on=date(2026, 8, 1), id=3),
    )
    state = state_for(frameworks, inspection, missing=(), improvements=areas)
    found = days_with(state, "area_for_improvement_update", published, date(2027, 1, 31))
    calendar = state.calendar
    # 26 September 2026 is a Saturday: brought forward to Friday 25th.
    three = date(2026, 9, 25)
    six = date(2026, 12, 24)
    provider, told = ["dir-1", "lo-1"], ["dir-1", "lead-1(told)", "lo-1"]
    expected: dict[date, list[str]] = {}
    for deadline in (three, six):
        for n in (10, 5, 1):
            expected[calendar.add_working_days(deadline, -n)] = provider
        expected[deadline] = provider
        # Chased for five working days; the lead inspector told after two.
        for n in range(1, 6):
            expected[calendar.add_working_days(deadline, n)] = provider if n <= 2 else told
    assert found == expected
    assert calendar.add_working_days(six, 1) == date(2026, 12, 29)  # Christmas, Boxing Day


def test_guernsey_cycle_day_1_day_21_day_5(frameworks: FrameworkRegistry) -> None:
    inspection = Inspection(
        framework="guernsey-audit-cycle",
        inspection_type="monthly",
        service_name="Tier 2 audits (synthetic)",
        onsite_start=date(2026, 3, 1),
        onsite_end=date(2026, 3, 31),
        members=MEMBERS,
        id=9,
    )
    state = state_for(frameworks, inspection, missing=None)
    found: dict[date, list[str]] = {}
    day = date(2026, 3, 1)
    while day <= date(2026, 4, 15):
        for item in items_on(state, day):
            found.setdefault(day, []).append(item.rule)
        day += timedelta(days=1)
    assert found[date(2026, 3, 2)] == ["cases_sent"]  # Day 1: first working day of March
    audits_due = state.timeline.get("audits_due").date
    assert audits_due == date(2026, 3, 20)  # Day 21: 7 working days before the month ends
    for n in (5, 2, 1):
        assert "audits_due" in found[state.calendar.add_working_days(audits_due, -n)]
    findings = state.timeline.get("findings_reported").date
    assert "findings_reported" in found[findings]


def test_care_inspectorate_rules_plan_reminders(frameworks: FrameworkRegistry) -> None:
    inspection = Inspection(
        framework="care-inspectorate-joint-2012",
        inspection_type=next(iter(frameworks.get("care-inspectorate-joint-2012").types)),
        service_name="Partnership (synthetic)",
        onsite_start=date(2026, 9, 7),
        onsite_end=date(2026, 9, 23),
        members=MEMBERS,
        actuals={"notice": date(2026, 6, 12)},
        id=11,
    )
    state = state_for(frameworks, inspection, missing=None)
    rules: set[str] = set()
    day = date(2026, 6, 12)
    while day <= date(2026, 12, 31):
        rules.update(i.rule for i in items_on(state, day))
        day += timedelta(days=1)
    assert {
        "notice_given",
        "briefings",
        "onsite_start",
        "report_for_comment_due",
        "publication_due",
        "joint_action_plan_due",
    } <= rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"milestone": "nope"}, "'nope' is not a milestone of the timeline"),
        ({"subject": "requests"}, "takes its dates from its items"),
        (
            {"escalation": [{"after_overdue_working_days": 1, "tell": ["director"]}]},
            "needs ladder.chase_overdue",
        ),
        ({"to": []}, "at least 1 item"),
        ({"to": ["everybody"]}, "Input should be"),
    ],
)
def test_bad_reminder_rules_are_refused_with_a_reason(
    change: dict[str, object], message: str
) -> None:
    import yaml

    from inspection.errors import ConfigurationError
    from inspection.frameworks import BUILTIN_RULES_DIR, parse_framework

    data = yaml.safe_load((BUILTIN_RULES_DIR / f"{JCC}.yaml").read_text(encoding="utf-8"))
    rule = next(r for r in data["reminders"] if r["key"] == "draft_report_due")
    rule.update(change)
    if change.get("escalation"):
        rule["ladder"] = {"working_days_before": [1]}
    with pytest.raises(ConfigurationError) as caught:
        parse_framework(data, "jcc.yaml")
    assert message in str(caught.value)
    assert "reminders" in str(caught.value)
