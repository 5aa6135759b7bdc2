"""The reminder planner: what is due, on which local day and time, for whom.

Pure: it reads a snapshot of one inspection (its timeline, what the checklist still misses, its
information requests, its areas for improvement, the snoozes people asked for) and the
framework's `reminders:` rules, and returns `ReminderItem`s. Nothing is scheduled ahead of time:
moving a deadline moves its reminders, because they are computed again from the stored state
(`next_change` says when an unchanged state could next bring one; every write that changes
the state has its inspection planned again at the next tick).

Each item has an idempotency key (inspection, rule, subject, due date, recipient) that the
outbox records when it is sent, so a restart, a missed tick or a second instance neither loses
nor repeats a reminder.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar, Literal, Protocol

from inspection.calendar import CalendarSpec, WorkingCalendar
from inspection.frameworks import Framework
from inspection.improvements import AreaForImprovement, improvement_deadline, publication_date
from inspection.model import Inspection, Member, Role
from inspection.notifier import Recipient
from inspection.reminder_rules import Audience, Escalation, ReminderRule
from inspection.timeline import Timeline

ItemRole = Literal["reminder", "told"]


# --- What the planner reads from the other services (ports kept to exactly what is used) ----


@dataclass(frozen=True)
class RequestSnapshot:
    """One information request as the planner needs it (7.3)."""

    reference: str  # "IR-004"
    summary: str
    due: date | None
    opened_at: datetime
    answered_at: datetime | None = None
    is_open: bool = True
    case_ref: str | None = None  # a case reference number, never a name (9.7)


class RequestSource(Protocol):
    async def snapshot(self, inspection_id: int) -> Sequence[RequestSnapshot]:
        """Every request of the inspection (open and answered)."""
        ...


class BulkRequestSource(RequestSource, Protocol):
    async def snapshots(self, inspection_ids: Sequence[int]) -> dict[int, list[RequestSnapshot]]:
        """Every request of each inspection, in a few queries (a tick reads them all)."""
        ...


class ChecklistSource(Protocol):
    async def missing(self, inspection_id: int) -> Sequence[str]:
        """Titles of required items still missing or needing attention (7.2)."""
        ...


@dataclass(frozen=True)
class Snooze:
    """'Snooze 1 day' pressed on a reminder: its series is quiet up to and including `until`."""

    inspection_id: int
    series: str  # "rule|subject|recipient"
    until: date


@dataclass(frozen=True)
class ReminderState:
    inspection: Inspection
    framework: Framework
    timeline: Timeline
    calendar: WorkingCalendar
    # None: the checklist is not known (say "see the checklist"); () means nothing missing.
    missing_items: tuple[str, ...] | None = None
    requests: tuple[RequestSnapshot, ...] = ()
    improvements: tuple[AreaForImprovement, ...] = ()
    snoozes: tuple[Snooze, ...] = ()
    # A closed (published) inspection still has its areas for improvement followed up (10.5):
    # only these subjects are planned for it.
    only_subjects: frozenset[str] | None = None

    @property
    def rules(self) -> tuple[ReminderRule, ...]:
        if self.only_subjects is None:
            return self.framework.reminders
        return tuple(r for r in self.framework.reminders if r.subject in self.only_subjects)


@dataclass(frozen=True)
class ReminderItem:
    key: str
    inspection_id: int
    rule: str
    subject: str
    title: str
    source: str
    deadline: date
    due_on: date
    due_at: datetime  # UTC
    useful_until: datetime  # UTC: a missed item is dropped after this
    recipient: Recipient
    role: ItemRole
    line: str
    step: str  # "in 5 working days", "today", "2 working days overdue"
    overdue_working_days: int = 0
    mentions: tuple[str, ...] = ()
    attach: str = "none"
    details: tuple[str, ...] = ()  # extra lines (missing items, agenda sections)

    @property
    def series(self) -> str:
        return f"{self.rule}|{self.subject}|{recipient_key(self.recipient)}|{self.role}"


def recipient_key(recipient: Recipient) -> str:
    return "channel" if recipient.kind == "channel" else f"person:{recipient.aad_object_id}"


def item_key(
    inspection_id: int,
    rule: str,
    subject: str,
    due_on: date,
    recipient: Recipient,
    role: ItemRole = "reminder",
) -> str:
    suffix = "" if role == "reminder" else ":told"
    return (
        f"{inspection_id}:{rule}:{subject}:{due_on.isoformat()}:{recipient_key(recipient)}{suffix}"
    )


# --- Working-day arithmetic fast enough for a thousand inspections per tick -----------------

_EPOCH = date(2000, 1, 1)


class WorkdayIndex:
    """Counts working days by ordinal lookups (cached per calendar), not by walking dates."""

    _by_spec: ClassVar[dict[CalendarSpec, WorkdayIndex]] = {}

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._ordinal: list[int] = []  # working days in [_EPOCH, _EPOCH + i]
        self._working: list[bool] = []

    @classmethod
    def of(cls, calendar: WorkingCalendar) -> WorkdayIndex:
        index = cls._by_spec.get(calendar.spec)
        if index is None:
            index = cls._by_spec[calendar.spec] = cls(calendar)
        return index

    def _extend_to(self, position: int) -> None:
        count = self._ordinal[-1] if self._ordinal else 0
        while len(self._ordinal) <= position:
            day = _EPOCH + timedelta(days=len(self._ordinal))
            working = self.calendar.is_working_day(day)
            count += working
            self._working.append(working)
            self._ordinal.append(count)

    def _position(self, day: date) -> int:
        position = (day - _EPOCH).days
        if position >= len(self._ordinal):
            self._extend_to(position)
        elif position < 0:
            raise ValueError(f"dates before {_EPOCH.isoformat()} are not planned")
        return position

    def is_working_day(self, day: date) -> bool:
        return self._working[self._position(day)]

    def ordinal(self, day: date) -> int:
        return self._ordinal[self._position(day)]

    def left(self, today: date, deadline: date) -> int:
        """Working days after `today` up to `deadline` (negative: working days overdue)."""
        return self.ordinal(deadline) - self.ordinal(today)


# --- The planner ---------------------------------------------------------------------------


def _local(day: date, clock_time: str, zone_name: str) -> datetime:
    from zoneinfo import ZoneInfo

    hours, minutes = (int(part) for part in clock_time.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def _end_of_day(day: date, zone_name: str) -> datetime:
    return _local(day + timedelta(days=1), "00:00", zone_name)


def _people(inspection: Inspection, audience: Audience) -> list[Member]:
    roles = {
        "lead_inspector": (Role.LEAD_INSPECTOR,),
        "inspectors": (Role.LEAD_INSPECTOR, Role.INSPECTOR),
        "link_officer": (Role.LINK_OFFICER,),
        "director": (Role.DIRECTOR,),
        "provider": (Role.LINK_OFFICER, Role.DIRECTOR),
        "channel": (),
    }[audience]
    seen: set[str] = set()
    found = []
    for member in inspection.members:
        if member.role in roles and member.aad_object_id not in seen:
            seen.add(member.aad_object_id)
            found.append(member)
    return found


@functools.lru_cache(maxsize=8192)
def _when(left: int, deadline: date) -> str:
    # Cached: a tick words the same (left, deadline) for every request and recipient due then.
    shown = deadline.strftime("%a %d %b %Y")
    if left > 0:
        return f"in {left} working day{'s' if left != 1 else ''} ({shown})"
    if left == 0:
        return "today"
    n = -left
    return f"{n} working day{'s' if n != 1 else ''} overdue (was due {shown})"


@dataclass
class _Planner:
    state: ReminderState
    index: WorkdayIndex = field(init=False)
    snoozed: dict[str, date] = field(init=False)
    _times: dict[tuple[str, date, str | None], tuple[datetime, datetime]] = field(init=False)
    _audiences: dict[
        tuple[str, int], tuple[tuple[str, ...], list[tuple[Recipient, ItemRole]], list[str]]
    ] = field(init=False)

    def __post_init__(self) -> None:
        self.index = WorkdayIndex.of(self.state.calendar)
        self.snoozed = {s.series: s.until for s in self.state.snoozes}
        self._times = {}
        self._audiences = {}

    @property
    def inspection_id(self) -> int:
        assert self.state.inspection.id is not None, "only stored inspections have reminders"
        return self.state.inspection.id

    def step(self, rule: ReminderRule, deadline: date, day: date) -> int | None:
        """Working days left (negative: overdue) if `rule` is due on `day`, else None."""
        ladder = rule.ladder
        if not self.index.is_working_day(day):
            return None
        left = self.index.left(day, deadline)
        if left > 0:
            return left if left in ladder.working_days_before else None
        if left == 0:
            # A deadline on a day off: the last working day before it is "the day".
            return 0 if ladder.on_the_day else None
        overdue = -left
        if not ladder.chase_overdue:
            return None
        if ladder.chase_for_working_days is not None and overdue > ladder.chase_for_working_days:
            return None
        return left

    def items(
        self,
        rule: ReminderRule,
        subject: str,
        deadline: date,
        day: date,
        left: int,
        line: str,
        *,
        at: str | None = None,
        details: tuple[str, ...] = (),
    ) -> list[ReminderItem]:
        due_at, useful_until = self.times(rule, day, at)
        overdue = max(0, -left)
        levels = tuple(
            level for level in rule.escalation if overdue > level.after_overdue_working_days
        )
        mentions, recipients, escalated_to = self.audience(rule, levels)
        snoozed = self.snoozed
        step = _when(left, deadline) if rule.subject != "kit_agenda" else "today"
        found: list[ReminderItem] = []
        for recipient, role in recipients:
            text = line
            if role == "told":
                names = ", ".join(escalated_to) or "the provider"
                text = f"For information: {line} Now escalated to the {names}."
            item = ReminderItem(
                key=item_key(self.inspection_id, rule.key, subject, day, recipient, role),
                inspection_id=self.inspection_id,
                rule=rule.key,
                subject=subject,
                title=rule.title,
                source=rule.source,
                deadline=deadline,
                due_on=day,
                due_at=due_at,
                useful_until=useful_until,
                recipient=recipient,
                role=role,
                line=text,
                step=step,
                overdue_working_days=overdue,
                mentions=mentions if recipient.kind == "channel" else (),
                attach=rule.attach,
                details=details,
            )
            if snoozed:
                until = snoozed.get(item.series)
                if until is not None and day <= until:
                    continue
            found.append(item)
        return found

    def times(self, rule: ReminderRule, day: date, at: str | None) -> tuple[datetime, datetime]:
        """When the rule's reminder on `day` is due, and until when a missed one is useful."""
        cache_key = (rule.key, day, at)
        found = self._times.get(cache_key)
        if found is None:
            zone = self.state.framework.calendar.timezone
            due_at = _local(day, at or rule.time or self.state.framework.reminder_time, zone)
            last_useful = self.index.calendar.add_working_days(day, rule.late_useful_working_days)
            found = self._times[cache_key] = (due_at, _end_of_day(last_useful, zone))
        return found

    def audience(
        self, rule: ReminderRule, levels: tuple[Escalation, ...]
    ) -> tuple[tuple[str, ...], list[tuple[Recipient, ItemRole]], list[str]]:
        """Who is @mentioned, who hears (chased or told), who it was escalated to."""
        cache_key = (rule.key, len(levels))
        cached = self._audiences.get(cache_key)
        if cached is not None:
            return cached
        inspection = self.state.inspection
        targets: list[Audience] = list(rule.to)
        mention_audiences = list(rule.mention)
        told: list[Audience] = []
        for level in levels:
            targets.extend(level.to)
            mention_audiences.extend(level.mention)
            told.extend(level.tell)
        mentions = tuple(
            dict.fromkeys(
                m.aad_object_id
                for audience in mention_audiences
                for m in _people(inspection, audience)
            )
        )
        recipients: dict[str, tuple[Recipient, ItemRole]] = {}
        for audience in targets:
            for recipient in self.recipients(audience):
                recipients.setdefault(recipient_key(recipient), (recipient, "reminder"))
        for audience in told:
            for recipient in self.recipients(audience):
                recipients.setdefault(recipient_key(recipient), (recipient, "told"))
        escalated_to = list(
            dict.fromkeys(
                a.replace("_", " ") for level in levels for a in (*level.to, *level.mention)
            )
        )
        result = (mentions, list(recipients.values()), escalated_to)
        self._audiences[cache_key] = result
        return result

    def recipients(self, audience: Audience) -> Iterator[Recipient]:
        if audience == "channel":
            yield Recipient.channel(self.inspection_id)
            return
        for member in _people(self.state.inspection, audience):
            yield Recipient.person(self.inspection_id, member.aad_object_id)

    # One method per subject kind.

    def milestone(self, rule: ReminderRule, day: date) -> list[ReminderItem]:
        assert rule.milestone is not None
        found: list[ReminderItem] = []
        for milestone in self.state.timeline.all(rule.milestone):
            if rule.when_actual != milestone.actual:
                # Without an actual date nothing happened yet (when_actual); with one, the
                # thing is done and the reminders stop.
                continue
            left = self.step(rule, milestone.date, day)
            if left is None:
                continue
            subject = rule.milestone + (f"#{milestone.sequence}" if milestone.sequence else "")
            line = f"{milestone.title}: {_when(left, milestone.date)}."
            details: tuple[str, ...] = ()
            if rule.attach == "timeline":
                line = f"{milestone.title} on {milestone.date.strftime('%a %d %b %Y')}."
                details = timeline_lines(self.state.timeline, day)
            found += self.items(rule, subject, milestone.date, day, left, line, details=details)
        return found

    def checklist(self, rule: ReminderRule, day: date) -> list[ReminderItem]:
        assert rule.milestone is not None
        missing = self.state.missing_items
        if missing is not None and not missing:
            return []  # everything required is there: nothing to chase
        found: list[ReminderItem] = []
        for milestone in self.state.timeline.all(rule.milestone):
            left = self.step(rule, milestone.date, day)
            if left is None:
                continue
            if missing is None:
                what = "Check the checklist card for what is still missing."
                details: tuple[str, ...] = ()
            else:
                what = f"{len(missing)} required item{'s' if len(missing) != 1 else ''} missing."
                details = tuple(f"Missing: {title}" for title in missing)
            line = f"{rule.title}: {_when(left, milestone.date)}. {what}"
            found += self.items(
                rule, rule.milestone, milestone.date, day, left, line, details=details
            )
        return found

    def requests(self, rule: ReminderRule, day: date) -> list[ReminderItem]:
        found: list[ReminderItem] = []
        for request in self.state.requests:
            if not request.is_open or request.due is None:
                continue
            left = self.step(rule, request.due, day)
            if left is None:
                continue
            case = f" ({request.case_ref})" if request.case_ref else ""
            line = f"{request.reference}{case} {_when(left, request.due)}: {request.summary}"
            found += self.items(rule, request.reference, request.due, day, left, line)
        return found

    def improvements(self, rule: ReminderRule, day: date) -> list[ReminderItem]:
        published = publication_date(self.state.inspection)
        if published is None:
            return []
        found: list[ReminderItem] = []
        for area in self.state.improvements:
            if not area.open:
                continue
            deadline = improvement_deadline(published, area.timeframe_months, self.index.calendar)
            left = self.step(rule, deadline, day)
            if left is None:
                continue
            line = (
                f"Progress update on {area.reference} ({area.timeframe_months}-month area for "
                f"improvement) {_when(left, deadline)}: {area.text}"
            )
            found += self.items(rule, area.reference, deadline, day, left, line)
        return found

    def kit_agenda(self, rule: ReminderRule, day: date) -> list[ReminderItem]:
        assert rule.milestone is not None and rule.minutes_before_kit is not None
        meetings = self.state.timeline.all(rule.milestone)
        framework = self.state.framework
        zone = framework.calendar.timezone
        found: list[ReminderItem] = []
        for position, meeting in enumerate(meetings):
            if meeting.date != day or not self.index.is_working_day(day):
                continue
            meeting_at = _local(day, framework.kit_meeting_time, zone)
            sent_at = meeting_at - timedelta(minutes=rule.minutes_before_kit)
            previous = meetings[position - 1] if position else None
            since = _local(previous.date, framework.kit_meeting_time, zone) if previous else None
            details = kit_agenda_lines(self.state, day, since, meeting_at)
            local_sent = sent_at.astimezone(framework.zone).strftime("%H:%M")
            line = f"{meeting.title} at {framework.kit_meeting_time}: agenda."
            subject = f"{rule.milestone}#{meeting.sequence or position + 1}"
            found += self.items(rule, subject, day, day, 0, line, at=local_sent, details=details)
        return found


def timeline_lines(timeline: Timeline, today: date) -> tuple[str, ...]:
    lines = []
    for milestone in timeline.milestones:
        if milestone.key == "kit_meeting" and milestone.sequence not in (None, 1):
            continue  # one line for the daily meetings, not ten
        when = milestone.date.strftime("%a %d %b %Y")
        if milestone.end:
            when += " to " + milestone.end.strftime("%a %d %b %Y")
        title = milestone.title.split(" (day ")[0] if milestone.sequence else milestone.title
        done = " (done)" if milestone.actual and milestone.date <= today else ""
        lines.append(f"{when}: {title}{done} [{milestone.source}]")
    return tuple(lines)


def kit_agenda_lines(
    state: ReminderState, day: date, since: datetime | None, until: datetime
) -> tuple[str, ...]:
    """7.3: the Keep in Touch agenda: requests opened, answered and overdue since the last one."""

    def between(moment: datetime | None) -> bool:
        return moment is not None and (since is None or moment > since) and moment <= until

    def label(request: RequestSnapshot) -> str:
        case = f" ({request.case_ref})" if request.case_ref else ""
        return f"{request.reference}{case}: {request.summary}"

    opened = [label(r) for r in state.requests if between(r.opened_at)]
    answered = [label(r) for r in state.requests if between(r.answered_at)]
    overdue = [label(r) for r in state.requests if r.is_open and r.due is not None and r.due < day]
    due_today = [label(r) for r in state.requests if r.is_open and r.due == day]
    period = "since the last Keep in Touch meeting" if since else "so far"
    lines = [f"Requests opened {period}: {len(opened)}", *(f"  {x}" for x in opened)]
    lines += [f"Requests answered {period}: {len(answered)}", *(f"  {x}" for x in answered)]
    lines += [f"Requests overdue: {len(overdue)}", *(f"  {x}" for x in overdue)]
    lines += [f"Requests due today: {len(due_today)}", *(f"  {x}" for x in due_today)]
    if state.missing_items is None:
        lines.append("Checklist: see the checklist card for open items")
    else:
        lines.append(f"Checklist items still open: {len(state.missing_items)}")
        lines += [f"  {title}" for title in state.missing_items]
    return tuple(lines)


def items_on(
    state: ReminderState,
    day: date,
    rules: Sequence[ReminderRule] | None = None,
    planner: _Planner | None = None,
) -> list[ReminderItem]:
    """Every reminder due on the local date `day` (snoozed ones left out), any time of day."""
    planner = planner or _Planner(state)
    found: list[ReminderItem] = []
    for rule in state.rules if rules is None else rules:
        found += getattr(planner, rule.subject)(rule, day)
    return found


def due_now(
    state: ReminderState, now: datetime, only_rules: frozenset[str] | None = None
) -> list[ReminderItem]:
    """What should have gone out by `now` and is still worth sending.

    Per series (rule, subject, recipient) only the latest reminder counts: after downtime the
    provider hears once about where things stand, not once per missed day. `only_rules`: the
    items of these rules only (each rule's series are its own, so they come out the same).
    """
    zone = state.framework.zone
    today = now.astimezone(zone).date()
    chosen = [r for r in state.rules if only_rules is None or r.key in only_rules]
    # Each rule looks back only as far as its missed reminders stay useful.
    first_day = {
        rule.key: state.calendar.add_working_days(today, -rule.late_useful_working_days)
        for rule in chosen
    }
    start = min(first_day.values(), default=today)
    planner = _Planner(state)
    latest: dict[str, ReminderItem] = {}
    coming_today: set[str] = set()
    day = start
    while day <= today:
        rules = [r for r in chosen if first_day[r.key] <= day]
        for item in items_on(state, day, rules, planner):
            if item.due_at > now:
                coming_today.add(item.series)
                continue
            current = latest.get(item.series)
            if current is None or item.due_at >= current.due_at:
                latest[item.series] = item
        day += timedelta(days=1)
    return sorted(
        (
            item
            for item in latest.values()
            if item.useful_until > now
            # A missed reminder from an earlier day is replaced by today's, still to come.
            and not (item.due_on < today and item.series in coming_today)
        ),
        key=lambda item: (item.due_at, item.key),
    )


# How far ahead `next_change` looks for the next reminder; with none in sight, the inspection
# is planned again when the horizon is reached (a day's planning, once a fortnight).
PLANNING_HORIZON_DAYS = 14


def next_change(state: ReminderState, now: datetime) -> datetime:
    """The first moment after `now` at which `due_now` could find a reminder it does not find
    now, the state staying as it is (any write to it is planned again anyway).

    That is the earliest of: the next reminder's time (snoozed ones left out: the snooze is
    part of the state), and the start of the day after a snooze ends (a tick reads only the
    snoozes still in force, so a missed reminder from a snoozed day may come back then).
    Planned with the checklist unknown, which has every checklist reminder: a checklist with
    nothing missing only takes reminders away, so a checklist change never makes one due
    earlier. When nothing comes within `PLANNING_HORIZON_DAYS`, the day after the horizon.
    """
    zone = state.framework.calendar.timezone
    today = now.astimezone(state.framework.zone).date()
    if state.missing_items is not None:
        state = replace(state, missing_items=None)
    candidates = [
        moment
        for snooze in state.snoozes
        if (moment := _local(snooze.until + timedelta(days=1), "00:00", zone)) > now
    ]
    planner = _Planner(state)
    last = today + timedelta(days=PLANNING_HORIZON_DAYS)
    day = today
    while day <= last:
        coming = [item.due_at for item in items_on(state, day, None, planner) if item.due_at > now]
        if coming:
            # A later day's reminders are all later than this day's.
            candidates.append(min(coming))
            break
        day += timedelta(days=1)
    else:
        candidates.append(_local(last + timedelta(days=1), "00:00", zone))
    return min(candidates)
