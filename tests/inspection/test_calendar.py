"""The working-day calendar, with dates worked out by hand from the published bank holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspection.calendar import CalendarSpec, WorkingCalendar
from inspection.errors import ConfigurationError

JERSEY = WorkingCalendar(CalendarSpec("JE", "Europe/Jersey"))
GUERNSEY = WorkingCalendar(CalendarSpec("GG", "Europe/Guernsey"))
SCOTLAND = WorkingCalendar(CalendarSpec("GB", "Europe/London", "SCT"))


class TestEaster2024:
    # Good Friday 29 March, Easter Monday 1 April 2024 (Jersey).
    def test_next_working_day_after_maundy_thursday_is_tuesday(self) -> None:
        assert JERSEY.add_working_days(date(2024, 3, 28), 1) == date(2024, 4, 2)

    def test_subtracting_crosses_easter_backwards(self) -> None:
        assert JERSEY.subtract_working_days(date(2024, 4, 2), 1) == date(2024, 3, 28)

    def test_easter_days_are_not_working_days(self) -> None:
        assert not JERSEY.is_working_day(date(2024, 3, 29))
        assert not JERSEY.is_working_day(date(2024, 4, 1))
        assert JERSEY.holiday_name(date(2024, 3, 29)) == "Good Friday"

    def test_scotland_works_on_easter_monday(self) -> None:
        assert SCOTLAND.is_working_day(date(2024, 4, 1))
        assert SCOTLAND.add_working_days(date(2024, 3, 28), 1) == date(2024, 4, 1)

    def test_next_and_previous_working_day_around_the_weekend(self) -> None:
        assert JERSEY.next_working_day(date(2024, 3, 30)) == date(2024, 4, 2)
        assert JERSEY.previous_working_day(date(2024, 4, 1)) == date(2024, 3, 28)
        assert JERSEY.next_working_day(date(2024, 3, 28)) == date(2024, 3, 28)
        assert JERSEY.next_working_day(date(2024, 3, 28), inclusive=False) == date(2024, 4, 2)


class TestChristmasAndNewYear:
    def test_christmas_eve_is_a_working_day_then_boxing_day_is_not(self) -> None:
        assert JERSEY.add_working_days(date(2024, 12, 23), 1) == date(2024, 12, 24)
        assert JERSEY.add_working_days(date(2024, 12, 24), 1) == date(2024, 12, 27)

    def test_new_years_day_is_skipped_in_jersey(self) -> None:
        assert JERSEY.add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)

    def test_scotland_also_closes_on_2_january(self) -> None:
        assert SCOTLAND.add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 3)

    def test_counting_across_the_holidays(self) -> None:
        # 23, 24, 27, 30, 31 December and 2, 3 January.
        assert JERSEY.count_working_days(date(2024, 12, 23), date(2025, 1, 3)) == 7

    def test_local_closure_days_from_configuration(self) -> None:
        closed = WorkingCalendar(
            CalendarSpec("JE", "Europe/Jersey").with_closures([date(2024, 12, 24)])
        )
        assert closed.add_working_days(date(2024, 12, 23), 1) == date(2024, 12, 27)
        assert closed.holiday_name(date(2024, 12, 24)) == "Local closure day"


class TestLiberationDay:
    def test_jersey_liberation_day_2024_is_a_thursday_off(self) -> None:
        assert not JERSEY.is_working_day(date(2024, 5, 9))
        assert JERSEY.add_working_days(date(2024, 5, 8), 1) == date(2024, 5, 10)

    def test_liberation_day_2025_falls_on_a_friday(self) -> None:
        assert JERSEY.add_working_days(date(2025, 5, 8), 1) == date(2025, 5, 12)

    def test_guernsey_keeps_it_and_scotland_does_not(self) -> None:
        assert not GUERNSEY.is_working_day(date(2024, 5, 9))
        assert SCOTLAND.is_working_day(date(2024, 5, 9))


class TestCountingAndDaysLeft:
    def test_adding_zero_returns_the_same_day(self) -> None:
        assert JERSEY.add_working_days(date(2024, 3, 30), 0) == date(2024, 3, 30)

    def test_working_days_left_before_and_after_a_deadline(self) -> None:
        assert JERSEY.working_days_left(date(2024, 3, 28), date(2024, 4, 3)) == 2
        assert JERSEY.working_days_left(date(2024, 4, 3), date(2024, 4, 3)) == 0
        assert JERSEY.working_days_left(date(2024, 4, 3), date(2024, 3, 28)) == -2

    def test_nth_working_day_counts_the_start(self) -> None:
        # 1 April 2024 is Easter Monday: the fifth working day of April is the 8th.
        assert GUERNSEY.nth_working_day(date(2024, 4, 1), 1) == date(2024, 4, 2)
        assert GUERNSEY.nth_working_day(date(2024, 4, 1), 5) == date(2024, 4, 8)

    def test_count_is_zero_when_the_range_is_empty(self) -> None:
        assert JERSEY.count_working_days(date(2024, 3, 8), date(2024, 3, 4)) == 0

    def test_an_unknown_holiday_calendar_is_refused_clearly(self) -> None:
        broken = WorkingCalendar(CalendarSpec("XX", "Europe/London"))
        with pytest.raises(ConfigurationError, match="unknown holiday calendar 'XX'"):
            broken.is_working_day(date(2024, 1, 2))


CALENDARS = st.sampled_from([JERSEY, GUERNSEY, SCOTLAND])
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def _is_off(calendar: WorkingCalendar, day: date) -> bool:
    return day.weekday() >= 5 or calendar.holiday_name(day) is not None


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=DAYS, count=st.integers(min_value=1, max_value=60))
def test_adding_never_lands_on_a_weekend_or_holiday(
    calendar: WorkingCalendar, start: date, count: int
) -> None:
    forward = calendar.add_working_days(start, count)
    backward = calendar.subtract_working_days(start, count)
    assert not _is_off(calendar, forward)
    assert not _is_off(calendar, backward)
    assert forward > start > backward


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=DAYS, count=st.integers(min_value=0, max_value=60))
def test_add_then_subtract_returns_a_working_day(
    calendar: WorkingCalendar, start: date, count: int
) -> None:
    there = calendar.add_working_days(start, count)
    back = calendar.subtract_working_days(there, count)
    if count:
        assert calendar.is_working_day(back)
        # Back where we started if we started on a working day, else the last one before it.
        assert back == calendar.previous_working_day(start)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=DAYS, span=st.integers(min_value=0, max_value=90))
def test_count_agrees_with_adding(calendar: WorkingCalendar, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    count = calendar.count_working_days(start + timedelta(days=1), end)
    if count:
        assert calendar.add_working_days(start, count) == calendar.previous_working_day(end)
