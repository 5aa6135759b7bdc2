"""Inspection frameworks as data: one YAML rule file per framework, validated when loaded.

Adding a framework is adding a file (design.md): nothing here knows about a particular
inspectorate. A bad file is refused with a message naming the file, the field and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inspection.calendar import CalendarSpec, WorkingCalendar
from inspection.errors import ConfigurationError
from inspection.reminder_rules import ReminderRule, check_reminder_rules

BUILTIN_RULES_DIR = Path(__file__).parent / "rules"

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

# Dates every inspection has before any milestone is planned.
INSPECTION_INPUTS = ("onsite_start", "onsite_end")
# Dates a monthly cycle has: the month it covers and the start of the next one.
CYCLE_INPUTS = ("cycle_start", "cycle_end", "next_cycle_start")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CalendarModel(_Strict):
    country: str = Field(min_length=2, max_length=3)
    subdivision: str | None = None
    timezone: str
    extra_closures: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @model_validator(mode="after")
    def _known_holidays(self) -> CalendarModel:
        try:
            holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=())
        except NotImplementedError as exc:
            raise ValueError(f"the holidays package has no calendar for this: {exc}") from exc
        return self

    def spec(self) -> CalendarSpec:
        return CalendarSpec(self.country, self.timezone, self.subdivision, self.extra_closures)


class InspectionTypeSpec(_Strict):
    title: str
    source: str
    offsite_working_days_max: int | None = Field(default=None, ge=1)
    onsite_working_days_max: int | None = Field(default=None, ge=1)


class Offset(_Strict):
    """A date relative to an anchor: an input date or an earlier milestone.

    At most one amount is given; none means the anchor's own date. `nth_working_day: 1` is the
    first working day on or after the anchor. A calendar-day deadline landing on a day off is
    brought forward to the previous working day (`roll`), so nobody misses it.
    """

    anchor: Key = Field(alias="from")
    working_days: int | None = None
    days: int | None = None
    weeks: int | None = None
    nth_working_day: int | None = Field(default=None, ge=1)
    roll: Literal["none", "previous_working_day", "next_working_day"] | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> Offset:
        given = [
            name
            for name in ("working_days", "days", "weeks", "nth_working_day")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give one of working_days, days, weeks, nth_working_day, not {given}")
        return self

    @property
    def effective_roll(self) -> str:
        if self.roll is not None:
            return self.roll
        return "previous_working_day" if (self.days or self.weeks) else "none"

    def describe(self) -> str:
        anchor = self.anchor.replace("_", " ")
        if self.working_days:
            n = abs(self.working_days)
            where = "after" if self.working_days > 0 else "before"
            return f"{n} working day{'s' if n != 1 else ''} {where} {anchor}"
        if self.days:
            n = abs(self.days)
            return (
                f"{n} day{'s' if n != 1 else ''} {'after' if self.days > 0 else 'before'} {anchor}"
            )
        if self.weeks:
            n = abs(self.weeks)
            where = "after" if self.weeks > 0 else "before"
            return f"{n} week{'s' if n != 1 else ''} {where} {anchor}"
        if self.nth_working_day:
            return f"working day {self.nth_working_day} from {anchor}"
        return anchor


class MilestoneRule(_Strict):
    key: Key
    title: str
    source: str
    audience: Literal["everyone", "provider", "inspectors"] = "everyone"
    # The earliest of these dates is the deadline; every candidate's source is shown.
    at: tuple[Offset, ...] = Field(default=(), min_length=0)
    # An actual event date (given by a person: "notice given 2024-02-01") replaces the plan.
    actual: Key | None = None
    # Without an actual date, take this earlier milestone's date.
    default: Key | None = None
    # An actual date later than this milestone is late (refused unless allowed).
    not_after: Key | None = None
    # One milestone per working day of the on-site period (7.3 Keep in Touch meetings).
    each_onsite_day: bool = False
    # A period rather than a single day: its last day is this many working days on.
    duration_working_days: int | None = Field(default=None, ge=1)
    note: str | None = None

    @model_validator(mode="after")
    def _has_a_date(self) -> MilestoneRule:
        if not self.at and self.default is None and not self.each_onsite_day:
            raise ValueError("a milestone needs 'at', 'default' or 'each_onsite_day'")
        if self.default is not None and self.actual is None:
            raise ValueError("'default' only makes sense with 'actual'")
        return self


class ChecklistSubItem(_Strict):
    key: Key
    title: str
    synonyms: tuple[str, ...] = ()


class ChecklistItemSpec(_Strict):
    key: Key
    title: str
    required: bool
    source: str
    description: str = ""
    folder: str | None = None
    synonyms: tuple[str, ...] = ()
    # Words that, found in a sheet name, heading or column header, point to this item.
    content_hints: tuple[str, ...] = ()
    sub_items: tuple[ChecklistSubItem, ...] = ()
    sub_lists: tuple[ChecklistSubItem, ...] = ()
    # Named content checks with their parameters (see inspection/documents/checks.py).
    checks: Mapping[str, Any] = Field(default_factory=dict)
    # One document only: any newer file supersedes the older, whatever its name (the SER).
    single_file: bool = False


class RequestRules(_Strict):
    """Default due dates for information requests (7.3)."""

    due_onsite_working_days: int = Field(default=1, ge=0)
    due_offsite_working_days: int = Field(default=5, ge=0)
    source: str = "7.3"


class ImprovementRules(_Strict):
    """Areas for improvement and the timeframes a report may set for them (10.5)."""

    timeframes_months: tuple[int, ...] = (3, 6, 9)
    reminder_working_days_before: tuple[int, ...] = (10, 5, 1)
    source: str = "10.5"


class PrivacyRules(_Strict):
    """9.7: the inspectorate's own proper nouns that are never a child (its places, services,
    boards, teams), added to the guard's shipped list so that they raise no warning."""

    proper_nouns: tuple[str, ...] = ()
    source: str = "9.7"

    @field_validator("proper_nouns")
    @classmethod
    def _not_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        blank = [index for index, noun in enumerate(value) if not noun.strip()]
        if blank:
            raise ValueError(f"entry {blank[0]} is blank; give the name of a place or service")
        return tuple(noun.strip() for noun in value)


class Framework(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)
    title: str
    source_document: str
    kind: Literal["inspection", "monthly_cycle"] = "inspection"
    calendar: CalendarModel
    types: Mapping[Key, InspectionTypeSpec] = Field(min_length=1)
    timeline: tuple[MilestoneRule, ...] = Field(min_length=1)
    checklist: tuple[ChecklistItemSpec, ...] = ()
    requests: RequestRules = RequestRules()
    improvement: ImprovementRules | None = None
    kit_meeting_time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    reminder_time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    reminders: tuple[ReminderRule, ...] = ()
    privacy: PrivacyRules = PrivacyRules()

    @model_validator(mode="after")
    def _reminders_match_timeline(self) -> Framework:
        problem = check_reminder_rules(
            self.reminders,
            {rule.key: rule.actual is not None for rule in self.timeline},
            has_improvement=self.improvement is not None,
            has_checklist=bool(self.checklist),
        )
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _anchors_defined(self) -> Framework:
        known = set(INSPECTION_INPUTS if self.kind == "inspection" else CYCLE_INPUTS)
        seen_keys: set[str] = set()
        for index, rule in enumerate(self.timeline):
            where = f"timeline[{index}] ({rule.key})"
            if rule.key in seen_keys:
                raise ValueError(f"{where}: milestone key {rule.key!r} is used twice")
            for ref_name in ("default", "not_after"):
                ref = getattr(rule, ref_name)
                if ref is not None and ref not in known:
                    raise ValueError(f"{where}.{ref_name}: {ref!r} is not an earlier milestone")
            for offset_index, offset in enumerate(rule.at):
                if offset.anchor not in known:
                    raise ValueError(
                        f"{where}.at[{offset_index}].from: {offset.anchor!r} is not an input date "
                        f"or an earlier milestone (known: {', '.join(sorted(known))})"
                    )
            if rule.each_onsite_day and self.kind != "inspection":
                raise ValueError(f"{where}.each_onsite_day: only inspections have on-site days")
            seen_keys.add(rule.key)
            known.add(rule.key)
        item_keys = [item.key for item in self.checklist]
        duplicates = {key for key in item_keys if item_keys.count(key) > 1}
        if duplicates:
            raise ValueError(f"checklist: item keys used twice: {', '.join(sorted(duplicates))}")
        return self

    def calendar_for(self, extra_closures: Iterable[date] = ()) -> WorkingCalendar:
        return WorkingCalendar(self.calendar.spec().with_closures(extra_closures))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    def inspection_type(self, name: str) -> InspectionTypeSpec:
        try:
            return self.types[name]
        except KeyError:
            raise ConfigurationError(
                f"framework {self.key!r} has no inspection type {name!r}; "
                f"choose one of: {', '.join(self.types)}"
            ) from None

    def required_items(self) -> tuple[ChecklistItemSpec, ...]:
        return tuple(item for item in self.checklist if item.required)

    def optional_items(self) -> tuple[ChecklistItemSpec, ...]:
        return tuple(item for item in self.checklist if not item.required)


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def parse_framework(data: Any, origin: str) -> Framework:
    """Validate one framework's data; `origin` names the file in error messages."""
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{origin}: expected a mapping at the top level, got {type(data).__name__}"
        )
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = re.sub(r"^Value error, ", "", first["msg"])
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ConfigurationError(
            f"{origin}: field '{_field_path(first['loc'])}': {message}{more}"
        ) from exc


def load_framework(path: Path) -> Framework:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the rule file: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(f"{path}: not valid YAML{where}: {problem}") from exc
    framework = parse_framework(data, str(path))
    if framework.key != path.stem:
        raise ConfigurationError(
            f"{path}: field 'key': {framework.key!r} must match the file name {path.stem!r}"
        )
    return framework


class FrameworkRegistry:
    """Every framework the bot knows, by key."""

    def __init__(self, frameworks: Iterable[Framework]) -> None:
        self._by_key: dict[str, Framework] = {}
        for framework in frameworks:
            if framework.key in self._by_key:
                raise ConfigurationError(f"framework {framework.key!r} is defined twice")
            self._by_key[framework.key] = framework

    @classmethod
    def load(cls, *directories: Path) -> FrameworkRegistry:
        """Load the built-in rule files plus any in `directories` (later ones may not clash)."""
        paths: list[Path] = []
        for directory in (BUILTIN_RULES_DIR, *directories):
            if not directory.is_dir():
                raise ConfigurationError(f"{directory}: the frameworks folder does not exist")
            paths.extend(sorted(directory.glob("*.yaml")))
        return cls(load_framework(path) for path in paths)

    def get(self, key: str) -> Framework:
        try:
            return self._by_key[key]
        except KeyError:
            raise ConfigurationError(
                f"unknown framework {key!r}; known frameworks: {', '.join(sorted(self._by_key))}"
            ) from None

    def __iter__(self) -> Iterator[Framework]:
        return iter(self._by_key.values())

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def keys(self) -> list[str]:
        return sorted(self._by_key)


_default_registry: FrameworkRegistry | None = None


def builtin_frameworks() -> FrameworkRegistry:
    """The frameworks shipped with the bot, loaded once."""
    global _default_registry
    if _default_registry is None:
        _default_registry = FrameworkRegistry.load()
    return _default_registry
