"""Working days of a jurisdiction: weekends, bank holidays and local closure days.

Every deadline in the handbook is counted in working days (JCC handbook 7.2, 7.4), so every
date the bot shows goes through this one calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache

import holidays as holidays_lib

from inspection.errors import ConfigurationError

_SATURDAY = 5


@dataclass(frozen=True)
class CalendarSpec:
    """Which holidays apply: a `holidays` country code, an optional subdivision, a time zone."""

    country: str
    timezone: str
    subdivision: str | None = None
    extra_closures: tuple[date, ...] = ()

    def with_closures(self, closures: Iterable[date]) -> CalendarSpec:
        merged = tuple(sorted(set(self.extra_closures) | set(closures)))
        return CalendarSpec(self.country, self.timezone, self.subdivision, merged)


@lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str | None) -> holidays_lib.HolidayBase:
    """One holiday table per jurisdiction, shared by every calendar: building it was a tenth
    of a `status` turn, once per calendar. It fills in years as they are asked for;
    a failure (unknown country) is not cached."""
    return holidays_lib.country_holidays(country, subdiv=subdivision, years=())


@dataclass
class WorkingCalendar:
    """Adds, subtracts and counts working days (Monday to Friday, not a holiday or closure)."""

    spec: CalendarSpec
    _years: set[int] = field(default_factory=set, init=False, repr=False)

    @cached_property
    def _holidays(self) -> holidays_lib.HolidayBase:
        try:
            return _country_holidays(self.spec.country, self.spec.subdivision)
        except NotImplementedError as exc:
            raise ConfigurationError(
                f"unknown holiday calendar {self.spec.country!r}"
                f"{'/' + self.spec.subdivision if self.spec.subdivision else ''}: {exc}"
            ) from exc

    @cached_property
    def _closures(self) -> frozenset[date]:
        return frozenset(self.spec.extra_closures)

    def holiday_name(self, day: date) -> str | None:
        """The bank holiday or local closure on `day`, if any."""
        if day in self._closures:
            return "Local closure day"
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= _SATURDAY or day in self._closures:
            return False
        return day not in self._holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (before it when negative).

        `start` itself is never counted, so adding 1 to a Friday gives the next Monday and
        adding 0 gives `start` unchanged, working day or not.
        """
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        day = start
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def subtract_working_days(self, start: date, count: int) -> date:
        return self.add_working_days(start, -count)

    def next_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """The first working day on or after `day` (strictly after when not inclusive)."""
        if inclusive and self.is_working_day(day):
            return day
        return self.add_working_days(day, 1)

    def previous_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """The last working day on or before `day` (strictly before when not inclusive)."""
        if inclusive and self.is_working_day(day):
            return day
        return self.add_working_days(day, -1)

    def nth_working_day(self, day: date, n: int) -> date:
        """The n-th working day counting from `day` itself (n=1: `day` if it is a working day)."""
        if n < 1:
            raise ValueError("n counts from 1")
        return self.add_working_days(self.next_working_day(day), n - 1)

    def working_days(self, start: date, end: date) -> Iterator[date]:
        """Working days from `start` to `end`, both included."""
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days lie in `start`..`end`, both included (0 if end < start)."""
        return sum(1 for _ in self.working_days(start, end))

    def working_days_left(self, today: date, deadline: date) -> int:
        """Working days after `today` up to and including `deadline`.

        0 means the deadline is today (or the next working day when today is a day off);
        negative numbers count working days overdue.
        """
        if deadline >= today:
            return self.count_working_days(today + timedelta(days=1), deadline)
        return -self.count_working_days(deadline + timedelta(days=1), today)
