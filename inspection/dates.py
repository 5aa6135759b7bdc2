"""Dates as people type them: "tomorrow", "Friday", "12 March", "in 3 working days".

Pure: today's date (in the inspection's time zone) and the working calendar come in; a date
comes out or a `DateError` says what was not understood and which forms work. Working days
count the jurisdiction's bank holidays (7.2: deadlines are in working days).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from inspection.calendar import WorkingCalendar
from inspection.errors import InspectionError

Prefer = Literal["future", "past"]

FORMS = (
    "2026-03-12, 12/03/2026, 12 March, 12 Mar 2026, March 12, today, tomorrow, yesterday, "
    "Friday, next Friday, last Friday, in 3 working days, in 2 weeks, 3 working days ago"
)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}
MAX_OFFSET_DAYS = 3660  # ten years: anything further is a typing slip

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?: of)? ([a-z]+)(?:,? (\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+) (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$")
_RELATIVE = re.compile(
    r"^(?:(in|within) )?([a-z0-9]+) (working day|business day|day|week|month)s?( ago| time)?$"
)


class DateError(InspectionError):
    pass


def _error(text: str) -> DateError:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return DateError(f'"{shown}" is not a date I understand; try one of: {FORMS}')


def _number(word: str) -> int | None:
    if word.isdigit() and len(word) <= 4:
        return int(word)
    return NUMBER_WORDS.get(word)


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f'"{text}" is not a real date (check the day and the month)') from None


def _without_year(month: int, day: int, today: date, prefer: Prefer, text: str) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise DateError(f'"{text}" is not a real date (check the day and the month)')
    if prefer == "future":
        upcoming = [c for c in candidates if c >= today]
        return min(upcoming) if upcoming else max(candidates)
    past = [c for c in candidates if c <= today]
    return max(past) if past else min(candidates)


def parse_date(
    text: str, *, today: date, calendar: WorkingCalendar, prefer: Prefer = "future"
) -> date:
    """One date. Without a year, `prefer` picks the next ("due 12 March") or the last
    ("notice given 12 March") such date; a bare weekday likewise."""
    cleaned = " ".join(text.lower().replace(",", " ").split()).strip(" .")
    cleaned = re.sub(r"^(on|by|the) ", "", cleaned)
    if not cleaned:
        raise DateError(f"give a date; for example: {FORMS}")
    if cleaned == "today":
        return today
    if cleaned == "tomorrow":
        return today + timedelta(days=1)
    if cleaned == "yesterday":
        return today - timedelta(days=1)
    if match := _ISO.match(cleaned):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _NUMERIC.match(cleaned):
        # Day first, as written in Jersey, Guernsey and Scotland.
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            return _without_year(month, day, today, prefer, text)
        year = int(match[3])
        return _make(year + 2000 if year < 100 else year, month, day, text)
    if match := _DAY_MONTH.match(cleaned):
        month_number = MONTHS.get(match[2])
        if month_number is not None:
            if match[3]:
                return _make(int(match[3]), month_number, int(match[1]), text)
            return _without_year(month_number, int(match[1]), today, prefer, text)
    if match := _MONTH_DAY.match(cleaned):
        month_number = MONTHS.get(match[1])
        if month_number is not None:
            if match[3]:
                return _make(int(match[3]), month_number, int(match[2]), text)
            return _without_year(month_number, int(match[2]), today, prefer, text)
    words = cleaned.split()
    if words and words[-1] in WEEKDAYS and len(words) <= 2:
        direction = words[0] if len(words) == 2 else ""
        if direction not in ("", "next", "last", "this", "coming"):
            raise _error(text)
        target = WEEKDAYS[words[-1]]
        if direction == "last" or (direction == "" and prefer == "past"):
            back = (today.weekday() - target) % 7 or (7 if direction == "last" else 0)
            return today - timedelta(days=back)
        ahead = (target - today.weekday()) % 7
        if direction == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    if cleaned in ("next week", "in a week"):
        return today + timedelta(weeks=1)
    if match := _RELATIVE.match(cleaned):
        amount = _number(match[2])
        ago = match[4] == " ago"
        if amount is None or (match[1] and ago):
            raise _error(text)
        if not match[1] and not ago:
            raise _error(text)
        unit = match[3]
        sign = -1 if ago else 1
        if unit in ("working day", "business day"):
            if amount > MAX_OFFSET_DAYS:
                raise DateError(f'"{text}" is too far away; give a date instead')
            return calendar.add_working_days(today, sign * amount)
        days = {"day": 1, "week": 7, "month": 30}[unit] * amount
        if days > MAX_OFFSET_DAYS:
            raise DateError(f'"{text}" is too far away; give a date instead')
        if unit == "month":
            return _add_months(today, sign * amount)
        return today + timedelta(days=sign * days)
    raise _error(text)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


_SEPARATOR = re.compile(r"\s+(?:to|until|till|and|-|–|through)\s+", re.IGNORECASE)


def parse_date_range(text: str, *, today: date, calendar: WorkingCalendar) -> tuple[date, date]:
    """Two dates: "23 March to 27 March", "2026-03-23 2026-03-27", "Mon to Fri"."""
    cleaned = " ".join(text.split())
    parts = _SEPARATOR.split(cleaned)
    if len(parts) == 2:
        start = parse_date(parts[0], today=today, calendar=calendar)
        end = parse_date(parts[1], today=start, calendar=calendar)
        return start, end
    words = cleaned.split()
    for cut in range(1, len(words)):
        try:
            start = parse_date(" ".join(words[:cut]), today=today, calendar=calendar)
            end = parse_date(" ".join(words[cut:]), today=start, calendar=calendar)
        except DateError:
            continue
        return start, end
    raise DateError(
        f'"{cleaned[:60]}" is not two dates I understand; write them as '
        '"23 March to 27 March" or "2026-03-23 to 2026-03-27"'
    )
