"""Words and dates as people write them in file names, headings and cells.

Matching works on tokens, not substrings, so that "SER" matches "SER 2024.docx" but not
"Service plan.docx", and "CLA" matches a sheet called "CLA" but not "Clarification".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-z&]+")

# Words that say which copy of a document this is, not what it is.
VERSION_WORDS = frozenset(
    {
        "v", "ver", "version", "final", "draft", "updated", "update", "latest", "copy", "rev",
        "revised", "new", "old", "amended", "current", "issue", "signed", "approved", "clean",
    }
)  # fmt: skip
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip


def _stem(token: str) -> str:
    # "structures" -> "structure", "audits" -> "audit"; short abbreviations stay as they are.
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens, plurals folded: "Org-Chart_v2 (final)" -> org chart v2 final."""
    lowered = text.lower().replace("'s ", " ").replace("\u2019s ", " ")
    return tuple(_stem(t) for t in _SEPARATORS.split(lowered) if t)


def name_tokens(text: str) -> tuple[tuple[str, ...], ...]:
    """Tokenisations of a file name: as written, and with camelCase split ("OrgChart")."""
    plain = tokens(text)
    split = tokens(_CAMEL.sub(" ", text))
    return (plain,) if split == plain else (plain, split)


def contains_phrase(haystack: Sequence[str], phrase: Sequence[str]) -> bool:
    """True when the tokens of `phrase` appear contiguously in `haystack`."""
    n = len(phrase)
    if n == 0 or n > len(haystack):
        return False
    first = phrase[0]
    for i in range(len(haystack) - n + 1):
        if haystack[i] == first and tuple(haystack[i : i + n]) == tuple(phrase):
            return True
    return False


def is_version_token(token: str) -> bool:
    if token in VERSION_WORDS or token in MONTHS:
        return True
    if token.isdigit():
        return True
    # v2, v10, 2024q1, 24a: versions and dates, not content.
    return bool(re.fullmatch(r"v\d+|\d+[a-z]{0,2}|q\d|fy\d+", token))


def version_key(text: str) -> tuple[str, ...]:
    """What stays of a name when version words are removed: two files with the same key are
    two versions of one document ("SER v1.docx", "SER v2 final (1).docx"). Dates stay: "CPB
    minutes Oct 2023" and "CPB minutes Jan 2024" are two meetings, not two versions."""
    return tuple(
        t for t in tokens(text) if t not in VERSION_WORDS and not re.fullmatch(r"v\d+|\d{1,2}", t)
    )


# --- dates ----------------------------------------------------------------------------------

_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_WORDY_DATE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]{3,9})\.?,?(?:\s+(\d{4}))?\b"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str, default_year: int | None = None) -> list[date]:
    """Dates written in `text`: 2024-03-04, 04/03/2024 (UK day first), 4 March 2024, 4th Mar.

    A date with no year takes `default_year` (a meetings list says "Monday 4 March").
    """
    found: list[date] = []
    taken: list[tuple[int, int]] = []
    for match in _ISO_DATE.finditer(text):
        parsed = _safe_date(int(match[1]), int(match[2]), int(match[3]))
        if parsed:
            found.append(parsed)
            taken.append(match.span())
    for match in _NUMERIC_DATE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        year = int(match[3])
        year += 2000 if year < 100 else 0
        parsed = _safe_date(year, int(match[2]), int(match[1]))
        if parsed:
            found.append(parsed)
    for match in _WORDY_DATE.finditer(text):
        month = MONTHS.get(match[2].lower())
        if month is None:
            continue
        wordy_year = int(match[3]) if match[3] else default_year
        if wordy_year is None:
            continue
        parsed = _safe_date(wordy_year, month, int(match[1]))
        if parsed:
            found.append(parsed)
    return found


def as_date(value: object, default_year: int | None = None) -> date | None:
    """A spreadsheet cell as a date, if it is one (a real date or a date written as text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and any(ch.isdigit() for ch in value):
        found = dates_in(value, default_year)
        return found[0] if found else None
    return None


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def phrases(values: Iterable[str]) -> list[tuple[str, ...]]:
    return [t for t in (tokens(v) for v in values) if t]
