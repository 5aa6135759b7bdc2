"""Every milestone rule, with expected dates counted by hand in the comments.

Jersey bank holidays used below (2024): Good Friday 29 March, Easter Monday 1 April,
May Bank Holiday 6 May, Liberation Day 9 May.
"""

from __future__ import annotations

from datetime import date

import pytest

from inspection.errors import PlanningError
from inspection.frameworks import FrameworkRegistry
from inspection.timeline import Timeline, plan

JCC = "jcc-children-social-care"


def _jcc(frameworks: FrameworkRegistry, kind: str = "full", **kwargs: object) -> Timeline:
    kwargs.setdefault("onsite_start", date(2024, 3, 4))
    kwargs.setdefault("onsite_end", date(2024, 3, 8))
    return plan(frameworks.get(JCC), kind, **kwargs)  # type: ignore[arg-type]


def _dates(timeline: Timeline) -> dict[str, date]:
    return {m.key: m.date for m in timeline.milestones if m.key != "kit_meeting"}


class TestJccFull:
    def test_every_milestone_without_a_notice_date(self, frameworks: FrameworkRegistry) -> None:
        assert _dates(_jcc(frameworks)) == {
            # 20 working days before Mon 4 March: 1 Mar, 29..26 Feb, 23..19, 16..12, 9..5 Feb.
            "notice_latest": date(2024, 2, 5),
            # No actual notice yet: the plan assumes the latest day.
            "notice": date(2024, 2, 5),
            # 10 working days after Mon 5 Feb: 6, 7, 8, 9, 12, 13, 14, 15, 16, 19 Feb.
            "documents_due": date(2024, 2, 19),
            "onsite_start": date(2024, 3, 4),
            "onsite_end": date(2024, 3, 8),
            "final_feedback": date(2024, 3, 8),
            # 7.4: 20 working days after Fri 8 Mar skips Easter -> Tue 9 Apr;
            # 10.7: 28 days -> Fri 5 Apr. The earlier wins.
            "draft_report_due": date(2024, 4, 5),
            # From 5 Apr: 20 working days -> Fri 3 May; 28 days -> Fri 3 May.
            "factual_accuracy_due": date(2024, 5, 3),
            # From 3 May: 5 working days skip 6 and 9 May -> Tue 14 May; 7 days -> Fri 10 May.
            "publication_due": date(2024, 5, 10),
        }

    def test_both_sources_of_the_draft_deadline_are_named(
        self, frameworks: FrameworkRegistry
    ) -> None:
        draft = _jcc(frameworks).get("draft_report_due")
        assert [(c.date, c.source) for c in draft.candidates] == [
            (date(2024, 4, 9), "7.4"),
            (date(2024, 4, 5), "10.7"),
        ]
        assert draft.source == "7.4; 10.7"
        publication = _jcc(frameworks).get("publication_due")
        assert [(c.date, c.source) for c in publication.candidates] == [
            (date(2024, 5, 14), "7.4"),
            (date(2024, 5, 10), "10.7"),
        ]

    def test_one_keep_in_touch_meeting_per_onsite_working_day(
        self, frameworks: FrameworkRegistry
    ) -> None:
        meetings = _jcc(frameworks).all("kit_meeting")
        assert [m.date for m in meetings] == [date(2024, 3, d) for d in (4, 5, 6, 7, 8)]
        assert meetings[0].title == "Keep in Touch meeting (day 1 of 5)"
        assert all(m.source == "7.3" for m in meetings)

    def test_actual_notice_moves_the_upload_deadline(self, frameworks: FrameworkRegistry) -> None:
        timeline = _jcc(frameworks, actuals={"notice": date(2024, 2, 1)})
        notice = timeline.get("notice")
        assert notice.date == date(2024, 2, 1) and notice.actual
        # 10 working days after Thu 1 Feb: 2, 5, 6, 7, 8, 9, 12, 13, 14, 15 Feb.
        assert timeline.get("documents_due").date == date(2024, 2, 15)
        assert timeline.get("notice_latest").date == date(2024, 2, 5)

    def test_late_notice_is_refused(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match="later than the latest date 2024-02-05"):
            _jcc(frameworks, actuals={"notice": date(2024, 2, 6)})

    def test_late_notice_is_planned_with_a_warning_when_allowed(
        self, frameworks: FrameworkRegistry
    ) -> None:
        timeline = _jcc(frameworks, actuals={"notice": date(2024, 2, 6)}, allow_late_notice=True)
        assert len(timeline.warnings) == 1 and "2024-02-05" in timeline.warnings[0]
        # 10 working days after Tue 6 Feb: 7, 8, 9, 12, 13, 14, 15, 16, 19, 20 Feb.
        assert timeline.get("documents_due").date == date(2024, 2, 20)

    def test_draft_sent_early_replans_what_follows(self, frameworks: FrameworkRegistry) -> None:
        timeline = _jcc(frameworks, actuals={"draft_sent": date(2024, 3, 20)})
        assert timeline.get("draft_report_due").actual
        # From Wed 20 Mar: 28 days -> Wed 17 Apr; 20 working days (Easter skipped) -> Fri 19 Apr.
        assert timeline.get("factual_accuracy_due").date == date(2024, 4, 17)
        # From 17 Apr: 5 working days -> Wed 24 Apr; 7 days -> Wed 24 Apr.
        assert timeline.get("publication_due").date == date(2024, 4, 24)

    def test_comments_received_replans_publication(self, frameworks: FrameworkRegistry) -> None:
        timeline = _jcc(frameworks, actuals={"comments_received": date(2024, 4, 22)})
        # From Mon 22 Apr: 5 working days -> Mon 29 Apr; 7 days -> Mon 29 Apr.
        assert timeline.get("publication_due").date == date(2024, 4, 29)

    def test_moving_onsite_moves_everything_downstream(self, frameworks: FrameworkRegistry) -> None:
        timeline = _jcc(frameworks, onsite_start=date(2024, 3, 11), onsite_end=date(2024, 3, 15))
        # 20 working days before Mon 11 Mar: 8..4 Mar, 1 Mar..26 Feb, 23..19, 16..12 Feb.
        assert timeline.get("notice_latest").date == date(2024, 2, 12)
        # 28 days after Fri 15 Mar -> Fri 12 Apr (20 working days -> Tue 16 Apr).
        assert timeline.get("draft_report_due").date == date(2024, 4, 12)

    def test_calendar_deadline_on_a_day_off_is_brought_forward(
        self, frameworks: FrameworkRegistry
    ) -> None:
        # On site Mon 29 Apr to Thu 2 May 2024: 28 days later is Thu 30 May, a working day;
        # 20 working days (skipping 6, 9 and 27 May) is Tue 4 Jun. The earlier stands.
        timeline = _jcc(frameworks, onsite_start=date(2024, 4, 29), onsite_end=date(2024, 5, 2))
        assert timeline.get("draft_report_due").date == date(2024, 5, 30)
        # A 28-day deadline from Mon 29 Apr falls on Mon 27 May (Spring Bank Holiday): brought
        # forward to Fri 24 May, before the 20-working-day date (Thu 30 May).
        early = _jcc(frameworks, actuals={"draft_sent": date(2024, 4, 29)})
        assert early.get("factual_accuracy_due").date == date(2024, 5, 24)


class TestJccFocused:
    def test_three_onsite_days_around_liberation_day_are_allowed(
        self, frameworks: FrameworkRegistry
    ) -> None:
        # Tue 7 to Fri 10 May 2024 holds 3 working days: 7, 8 and 10 (9 May is Liberation Day).
        timeline = _jcc(
            frameworks, "focused", onsite_start=date(2024, 5, 7), onsite_end=date(2024, 5, 10)
        )
        assert [m.date for m in timeline.all("kit_meeting")] == [
            date(2024, 5, 7),
            date(2024, 5, 8),
            date(2024, 5, 10),
        ]
        # 20 working days before Tue 7 May (6 May is a bank holiday): 3, 2, 1 May, 30..22 Apr,
        # 19..15 Apr, 12..8 Apr.
        assert timeline.get("notice_latest").date == date(2024, 4, 8)
        # 10 working days after Mon 8 Apr: 9..12, 15..19, 22 Apr.
        assert timeline.get("documents_due").date == date(2024, 4, 22)

    def test_more_than_three_onsite_days_is_refused(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match=r"up to 3 working days on site \(section 5\)"):
            _jcc(
                frameworks, "focused", onsite_start=date(2024, 5, 13), onsite_end=date(2024, 5, 16)
            )

    def test_full_inspection_allows_ten_onsite_days_not_eleven(
        self, frameworks: FrameworkRegistry
    ) -> None:
        ten = _jcc(frameworks, onsite_start=date(2024, 3, 4), onsite_end=date(2024, 3, 15))
        assert len(ten.all("kit_meeting")) == 10
        with pytest.raises(PlanningError, match="is 11 working days"):
            _jcc(frameworks, onsite_start=date(2024, 3, 4), onsite_end=date(2024, 3, 18))


class TestBadDates:
    def test_end_before_start(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match="end 2024-03-01 is before its start 2024-03-04"):
            _jcc(frameworks, onsite_end=date(2024, 3, 1))

    def test_onsite_on_a_bank_holiday(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(
            PlanningError, match=r"2024-04-01 is not a working day \(Easter Monday\)"
        ):
            _jcc(frameworks, onsite_start=date(2024, 4, 1), onsite_end=date(2024, 4, 5))

    def test_onsite_on_a_weekend(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match=r"\(Saturday\)"):
            _jcc(frameworks, onsite_end=date(2024, 3, 9))

    def test_unknown_type(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(Exception, match="no inspection type 'thematic'; choose one of: full"):
            _jcc(frameworks, "thematic")


class TestCareInspectorate:
    def test_joint_inspection_milestones(self, frameworks: FrameworkRegistry) -> None:
        # 13 working days on site: 4-8, 11-15, 18-20 March 2024 (no Scottish holiday).
        timeline = plan(
            frameworks.get("care-inspectorate-joint-2012"),
            "joint",
            onsite_start=date(2024, 3, 4),
            onsite_end=date(2024, 3, 20),
        )
        dates = {m.key: (m.date, m.end) for m in timeline.milestones}
        assert dates == {
            "notice_latest": (date(2023, 12, 11), None),  # 12 weeks before
            "notice": (date(2023, 12, 11), None),
            "briefings": (date(2024, 1, 22), None),  # 6 weeks after notice
            "care_service_inspections_complete": (date(2024, 3, 1), None),
            "onsite_start": (date(2024, 3, 4), None),
            "scoping_phase_two": (date(2024, 3, 4), date(2024, 3, 6)),  # 3 days
            "scoping_phase_three": (date(2024, 3, 7), date(2024, 3, 13)),  # 5 days
            "core_phase": (date(2024, 3, 14), date(2024, 3, 20)),  # 5 days
            "onsite_end": (date(2024, 3, 20), None),
            "report_for_comment_due": (date(2024, 4, 3), None),  # 2 weeks
            "publication_due": (date(2024, 4, 17), None),  # 2 weeks later
            "joint_action_plan_due": (date(2024, 5, 15), None),  # 6 weeks from findings
        }

    def test_more_than_thirteen_days_refused(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match="up to 13 working days"):
            plan(
                frameworks.get("care-inspectorate-joint-2012"),
                "joint",
                onsite_start=date(2024, 3, 4),
                onsite_end=date(2024, 3, 21),
            )


class TestGuernseyCycle:
    def test_march_2024_cycle(self, frameworks: FrameworkRegistry) -> None:
        timeline = plan(frameworks.get("guernsey-audit-cycle"), "monthly", month=date(2024, 3, 1))
        assert _dates(timeline) == {
            "cases_sent": date(2024, 3, 1),  # Day 1: Friday 1 March
            # 7 working days before 31 March (Good Friday 29th off): 28, 27, 26, 25, 22, 21, 20.
            "audits_due": date(2024, 3, 20),
            # Day 5 of April: 1 April is Easter Monday; 2, 3, 4, 5, 8.
            "findings_reported": date(2024, 4, 8),
            "slt_governance": date(2024, 4, 8),  # week 2 starts Mon 8 April
        }

    def test_a_month_is_required(self, frameworks: FrameworkRegistry) -> None:
        with pytest.raises(PlanningError, match="monthly cycle: give the month"):
            plan(frameworks.get("guernsey-audit-cycle"), "monthly")


def test_phases_relative_to_today(frameworks: FrameworkRegistry) -> None:
    timeline = _jcc(frameworks)
    assert timeline.phase_of(timeline.get("documents_due"), date(2024, 3, 1)) == "past"
    assert timeline.phase_of(timeline.get("onsite_start"), date(2024, 3, 1)) == "next"
    assert timeline.phase_of(timeline.get("onsite_end"), date(2024, 3, 8)) == "today"
    assert timeline.phase_of(timeline.get("publication_due"), date(2024, 3, 1)) == "later"
    assert [m.key for m in timeline.upcoming(date(2024, 3, 8), 3)] == [
        "kit_meeting",
        "onsite_end",
        "final_feedback",
    ]
