"""Natural dates in the inspection's working calendar (Jersey bank holidays)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspection.calendar import CalendarSpec, WorkingCalendar
from inspection.dates import DateError, parse_date, parse_date_range

JERSEY = WorkingCalendar(CalendarSpec("JE", "Europe/Jersey"))
MONDAY = date(2026, 3, 2)


def parse(text: str, prefer: str = "future", today: date = MONDAY) -> date:
    return parse_date(text, today=today, calendar=JERSEY, prefer=prefer)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 3, 2)),
        ("tomorrow", date(2026, 3, 3)),
        ("yesterday", date(2026, 3, 1)),
        ("2026-03-12", date(2026, 3, 12)),
        ("12/03/2026", date(2026, 3, 12)),
        ("12/3/26", date(2026, 3, 12)),
        ("12 March", date(2026, 3, 12)),
        ("12th of March", date(2026, 3, 12)),
        ("March 12", date(2026, 3, 12)),
        ("12 Mar 2027", date(2027, 3, 12)),
        ("1 February", date(2027, 2, 1)),  # already past this year: next year's
        ("Friday", date(2026, 3, 6)),
        ("fri", date(2026, 3, 6)),
        ("Monday", date(2026, 3, 2)),
        ("next Monday", date(2026, 3, 9)),
        ("last Friday", date(2026, 2, 27)),
        ("in 3 working days", date(2026, 3, 5)),
        ("in three working days", date(2026, 3, 5)),
        ("in 2 weeks", date(2026, 3, 16)),
        ("in 5 days", date(2026, 3, 7)),
        ("2 working days ago", date(2026, 2, 26)),
        ("by Friday", date(2026, 3, 6)),
    ],
)
def test_forms(text: str, expected: date) -> None:
    assert parse(text) == expected


def test_past_preference_for_events_that_happened() -> None:
    assert parse("1 February", prefer="past") == date(2026, 2, 1)
    assert parse("Friday", prefer="past") == date(2026, 2, 27)
    assert parse("Monday", prefer="past") == date(2026, 3, 2)


def test_working_days_skip_bank_holidays() -> None:
    # Liberation Day (9 May) 2025 is a Friday in Jersey.
    assert parse("in 1 working day", today=date(2025, 5, 8)) == date(2025, 5, 12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soonish", "not a date I understand"),
        ("31 February 2026", "not a real date"),
        ("30/02", "not a real date"),
        ("3 days", "not a date I understand"),
        ("in 9999 days", "too far away"),
        ("", "give a date"),
        ("next Blursday", "not a date I understand"),
    ],
)
def test_errors_say_what_works(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message):
        parse(text)


def test_ranges() -> None:
    assert parse_date_range("23 March to 27 March", today=MONDAY, calendar=JERSEY) == (
        date(2026, 3, 23),
        date(2026, 3, 27),
    )
    assert parse_date_range("2026-03-23 2026-03-27", today=MONDAY, calendar=JERSEY) == (
        date(2026, 3, 23),
        date(2026, 3, 27),
    )
    # The end is read relative to the start: "Friday" is the Friday after the start.
    assert parse_date_range("next Monday to Friday", today=MONDAY, calendar=JERSEY) == (
        date(2026, 3, 9),
        date(2026, 3, 13),
    )
    with pytest.raises(DateError, match="not two dates"):
        parse_date_range("whenever", today=MONDAY, calendar=JERSEY)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_iso_round_trips(day: date) -> None:
    assert parse(day.isoformat()) == day
    assert parse(day.strftime("%d/%m/%Y")) == day
    assert parse(f"{day.day} {day:%B %Y}") == day


@given(st.text(max_size=60))
def test_never_crashes(text: str) -> None:
    try:
        result = parse(text)
    except DateError as exc:
        assert str(exc)  # a message the user can read
    else:
        assert isinstance(result, date)
