"""The `reminders:` section of a framework rule file: what to remind, when, whom, escalation.

Reminders are data (design.md: "adding a framework is adding a file"). Each rule names a
subject (a milestone of the timeline, the upload checklist, every open information request,
the Keep in Touch agenda, or every area for improvement), a ladder of days on which it is due,
who hears about it, and who is added when it stays overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

# Who a reminder goes to. "channel" is the inspection channel (one post, people @mentioned in
# it); every other audience is one personal chat per person holding that role.
Audience = Literal[
    "channel", "lead_inspector", "inspectors", "link_officer", "director", "provider"
]
# What a rule is about.
Subject = Literal["milestone", "checklist", "requests", "kit_agenda", "improvements"]
# Audiences that are people (can be @mentioned in the channel).
PersonAudience = Literal["lead_inspector", "inspectors", "link_officer", "director", "provider"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Ladder(_Strict):
    """The days a reminder is due, counted in working days from its deadline."""

    working_days_before: tuple[Annotated[int, Field(ge=1, le=60)], ...] = ()
    on_the_day: bool = True
    # Chase each working day after the deadline while the subject is still open.
    chase_overdue: bool = False
    # Stop chasing after this many working days overdue (none: until it is done).
    chase_for_working_days: int | None = Field(default=None, ge=1)


class Escalation(_Strict):
    """People added once the subject has been overdue for more than N working days."""

    after_overdue_working_days: int = Field(ge=0)
    to: tuple[Audience, ...] = ()
    mention: tuple[PersonAudience, ...] = ()
    # Told that the escalation happened, not chased themselves (e.g. the lead inspector).
    tell: tuple[Audience, ...] = ()
    source: str | None = None

    @model_validator(mode="after")
    def _someone(self) -> Escalation:
        if not (self.to or self.mention or self.tell):
            raise ValueError("an escalation needs at least one of 'to', 'mention', 'tell'")
        return self


class ReminderRule(_Strict):
    key: Key
    title: str
    source: str
    subject: Subject
    # milestone, checklist, kit_agenda: the timeline milestone the reminder counts from.
    milestone: Key | None = None
    # Only once the milestone's actual date is recorded (e.g. "notice given"); otherwise a
    # recorded actual date means the thing happened and the reminders stop.
    when_actual: bool = False
    ladder: Ladder = Ladder()
    to: tuple[Audience, ...] = Field(min_length=1)
    mention: tuple[PersonAudience, ...] = ()
    escalation: tuple[Escalation, ...] = ()
    # The local time it is sent (default: the framework's reminder_time).
    time: ClockTime | None = None
    # kit_agenda: sent this many minutes before the framework's kit_meeting_time.
    minutes_before_kit: int | None = Field(default=None, ge=0, le=720)
    # A reminder missed while the bot was down is still sent ("(delayed)") for this many working
    # days after its day, unless a later reminder of the same series has replaced it.
    late_useful_working_days: int = Field(default=0, ge=0, le=20)
    # What the message carries beyond its line of text.
    attach: Literal["none", "timeline", "checklist"] = "none"

    @model_validator(mode="after")
    def _consistent(self) -> ReminderRule:
        needs_milestone = self.subject in ("milestone", "checklist", "kit_agenda")
        if needs_milestone and self.milestone is None:
            raise ValueError(f"a {self.subject} reminder needs 'milestone'")
        if not needs_milestone and self.milestone is not None:
            raise ValueError(
                f"a {self.subject} reminder takes its dates from its items, not "
                "'milestone'; remove it"
            )
        if self.subject == "kit_agenda" and self.minutes_before_kit is None:
            raise ValueError("a kit_agenda reminder needs 'minutes_before_kit'")
        if self.subject != "kit_agenda" and self.minutes_before_kit is not None:
            raise ValueError("'minutes_before_kit' is only for kit_agenda reminders")
        if self.escalation and not self.ladder.chase_overdue:
            raise ValueError("'escalation' needs ladder.chase_overdue: true")
        levels = [step.after_overdue_working_days for step in self.escalation]
        if levels != sorted(set(levels)):
            raise ValueError("escalation levels must be in increasing after_overdue_working_days")
        return self


def check_reminder_rules(
    rules: Iterable[ReminderRule],
    milestones: dict[str, bool],
    *,
    has_improvement: bool,
    has_checklist: bool,
) -> str | None:
    """A problem with the rules against the framework's timeline, or None.

    `milestones` maps each timeline key to whether it is recorded as an actual date.
    """
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"reminders[{index}] ({rule.key})"
        if rule.key in seen:
            return f"{where}: reminder key {rule.key!r} is used twice"
        seen.add(rule.key)
        if rule.milestone is not None and rule.milestone not in milestones:
            return (
                f"{where}.milestone: {rule.milestone!r} is not a milestone of the timeline "
                f"(known: {', '.join(sorted(milestones))})"
            )
        if rule.when_actual and rule.milestone is not None and not milestones[rule.milestone]:
            return f"{where}.when_actual: milestone {rule.milestone!r} has no actual date"
        if rule.subject == "improvements" and not has_improvement:
            return f"{where}: an improvements reminder needs an 'improvement' section"
        if rule.subject == "checklist" and not has_checklist:
            return f"{where}: a checklist reminder needs a 'checklist' section"
    return None
