"""The timeline planner: from a framework's rules and an inspection's dates, dated milestones.

Nothing here is specific to one inspectorate: the rules come from the framework's rule file.
Re-planning is planning again: every milestone is computed from its anchors, so moving a date
moves everything downstream of it.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from inspection.calendar import WorkingCalendar
from inspection.errors import PlanningError
from inspection.frameworks import Framework, MilestoneRule, Offset

Phase = Literal["past", "today", "next", "later"]
Day = date  # an alias: dataclass fields below are called `date`


@dataclass(frozen=True)
class Candidate:
    """One way of computing a deadline, with its source (e.g. 7.4 and 10.7 disagree)."""

    date: Day
    source: str
    rule: str


@dataclass(frozen=True)
class Milestone:
    key: str
    title: str
    date: Day
    source: str
    audience: str = "everyone"
    end: Day | None = None
    actual: bool = False
    candidates: tuple[Candidate, ...] = ()
    note: str | None = None
    sequence: int | None = None  # e.g. the day number of a Keep in Touch meeting

    @property
    def last_day(self) -> Day:
        return self.end or self.date

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "date": self.date.isoformat(),
            "title": self.title,
            "source": self.source,
            "audience": self.audience,
            "actual": self.actual,
        }
        if self.end is not None:
            data["end"] = self.end.isoformat()
        if self.sequence is not None:
            data["sequence"] = self.sequence
        if len(self.candidates) > 1:
            data["candidates"] = [
                {"date": c.date.isoformat(), "source": c.source, "rule": c.rule}
                for c in self.candidates
            ]
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class Timeline:
    framework: str
    inspection_type: str
    milestones: tuple[Milestone, ...]
    warnings: tuple[str, ...] = ()

    def get(self, key: str) -> Milestone:
        for milestone in self.milestones:
            if milestone.key == key:
                return milestone
        raise KeyError(key)

    def find(self, key: str) -> Milestone | None:
        return next((m for m in self.milestones if m.key == key), None)

    def all(self, key: str) -> list[Milestone]:
        return [m for m in self.milestones if m.key == key]

    def phase_of(self, milestone: Milestone, today: date) -> Phase:
        if milestone.last_day < today:
            return "past"
        if milestone.date <= today <= milestone.last_day:
            return "today"
        upcoming = [m for m in self.milestones if m.date > today]
        if upcoming and milestone.date == min(m.date for m in upcoming):
            return "next"
        return "later"

    def upcoming(self, today: date, count: int | None = None) -> list[Milestone]:
        """Milestones on or after `today`, in date order."""
        found = [m for m in self.milestones if m.last_day >= today]
        return found[:count] if count is not None else found

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "type": self.inspection_type,
            "milestones": [m.to_json() for m in self.milestones],
            "warnings": list(self.warnings),
        }


@dataclass
class _Planner:
    framework: Framework
    calendar: WorkingCalendar
    actuals: Mapping[str, date]
    allow_late_notice: bool
    anchors: dict[str, date] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def resolve(self, offset: Offset) -> date:
        base = self.anchors[offset.anchor]
        cal = self.calendar
        if offset.working_days is not None:
            return cal.add_working_days(base, offset.working_days)
        if offset.nth_working_day is not None:
            return cal.nth_working_day(base, offset.nth_working_day)
        if offset.days is not None:
            result = base + timedelta(days=offset.days)
        elif offset.weeks is not None:
            result = base + timedelta(weeks=offset.weeks)
        else:
            result = base
        roll = offset.effective_roll
        if roll == "previous_working_day":
            return cal.previous_working_day(result)
        if roll == "next_working_day":
            return cal.next_working_day(result)
        return result

    def plan_rule(self, rule: MilestoneRule, onsite: tuple[date, date] | None) -> list[Milestone]:
        if rule.each_onsite_day:
            assert onsite is not None
            days = list(self.calendar.working_days(*onsite))
            return [
                Milestone(
                    key=rule.key,
                    title=f"{rule.title} (day {n} of {len(days)})",
                    date=day,
                    source=rule.source,
                    audience=rule.audience,
                    note=rule.note,
                    sequence=n,
                )
                for n, day in enumerate(days, start=1)
            ]
        candidates = tuple(
            Candidate(self.resolve(offset), offset.source or rule.source, offset.describe())
            for offset in rule.at
        )
        actual = self.actuals.get(rule.actual) if rule.actual else None
        if actual is not None:
            planned = actual
            if rule.not_after is not None and actual > self.anchors[rule.not_after]:
                self.late(rule, actual, self.anchors[rule.not_after])
        elif rule.default is not None:
            planned = self.anchors[rule.default]
        else:
            planned = min(candidate.date for candidate in candidates)
        end = (
            self.calendar.add_working_days(planned, rule.duration_working_days - 1)
            if rule.duration_working_days
            else None
        )
        self.anchors[rule.key] = planned
        return [
            Milestone(
                key=rule.key,
                title=rule.title,
                date=planned,
                source=rule.source,
                audience=rule.audience,
                end=end,
                actual=actual is not None,
                candidates=candidates,
                note=rule.note,
            )
        ]

    def late(self, rule: MilestoneRule, actual: date, latest: date) -> None:
        message = (
            f"{rule.title} on {actual.isoformat()} is later than the latest date "
            f"{latest.isoformat()} ({rule.source})"
        )
        if not self.allow_late_notice:
            raise PlanningError(f"{message}; give an earlier date, or allow a late notice")
        self.warnings.append(f"late: {message}")


def plan(
    framework: Framework,
    inspection_type: str,
    *,
    onsite_start: date | None = None,
    onsite_end: date | None = None,
    month: date | None = None,
    actuals: Mapping[str, date | None] | None = None,
    allow_late_notice: bool = False,
    calendar: WorkingCalendar | None = None,
) -> Timeline:
    """Plan every milestone of one inspection (or one month of a monthly cycle).

    `actuals` holds dates that really happened (`notice`, `draft_sent`, ...): each replaces the
    planned date of the milestone that names it, and everything after is planned from it.
    """
    spec = framework.inspection_type(inspection_type)
    cal = calendar or framework.calendar_for()
    known_actuals = {name: when for name, when in (actuals or {}).items() if when is not None}
    planner = _Planner(framework, cal, known_actuals, allow_late_notice)
    onsite: tuple[date, date] | None = None

    if framework.kind == "monthly_cycle":
        if month is None:
            raise PlanningError(
                f"{framework.key} is a monthly cycle: give the month it covers (YYYY-MM)"
            )
        first = month.replace(day=1)
        last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
        planner.anchors.update(
            cycle_start=first, cycle_end=last, next_cycle_start=last + timedelta(days=1)
        )
    else:
        if onsite_start is None or onsite_end is None:
            raise PlanningError("give both the on-site start and end dates")
        _check_onsite(framework, inspection_type, cal, onsite_start, onsite_end)
        if spec.onsite_working_days_max is not None:
            days = cal.count_working_days(onsite_start, onsite_end)
            if days > spec.onsite_working_days_max:
                raise PlanningError(
                    f"a {spec.title.lower()} has up to {spec.onsite_working_days_max} working "
                    f"days on site (section {spec.source}); {onsite_start.isoformat()} to "
                    f"{onsite_end.isoformat()} is {days} working days"
                )
        onsite = (onsite_start, onsite_end)
        planner.anchors.update(onsite_start=onsite_start, onsite_end=onsite_end)

    milestones: list[Milestone] = []
    for rule in framework.timeline:
        milestones.extend(planner.plan_rule(rule, onsite))
    ordered = sorted(enumerate(milestones), key=lambda pair: (pair[1].date, pair[0]))
    return Timeline(
        framework=framework.key,
        inspection_type=inspection_type,
        milestones=tuple(m for _, m in ordered),
        warnings=tuple(planner.warnings),
    )


def _check_onsite(
    framework: Framework, inspection_type: str, cal: WorkingCalendar, start: date, end: date
) -> None:
    if end < start:
        raise PlanningError(
            f"the on-site end {end.isoformat()} is before its start {start.isoformat()}"
        )
    for label, day in (("start", start), ("end", end)):
        if not cal.is_working_day(day):
            why = cal.holiday_name(day) or day.strftime("%A")
            raise PlanningError(
                f"the on-site {label} {day.isoformat()} is not a working day ({why}); "
                "choose a working day"
            )


def iter_deadlines(timeline: Timeline, audience: str | None = None) -> Iterator[Milestone]:
    """Milestones that are deadlines for `audience` (or for anyone)."""
    for milestone in timeline.milestones:
        if audience is None or milestone.audience in ("everyone", audience):
            yield milestone
