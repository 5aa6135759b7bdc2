"""Content checks named in a rule file's `checks:` mapping.

Each check reads one document's content and returns problems written for the link officer
(what is wrong, where, what to do). Checks that span every file of an item (Appendix 1 and
Appendix 2 coverage) report what each file holds in `found`; `item_problems` turns the union
into the item's problems. A check never echoes a child's name (9.7).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inspection.documents.content import DocumentContent, Table
from inspection.documents.text import as_date, cell_text, contains_phrase, phrases, tokens
from inspection.frameworks import ChecklistItemSpec, ChecklistSubItem

MAX_LISTED = 10


@dataclass(frozen=True)
class CheckContext:
    """Dates the checks compare against; a check that needs a missing date says so."""

    notice: date | None = None
    onsite_start: date | None = None
    onsite_end: date | None = None


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # check name -> keys of sub-items this file holds (coverage checks)
    found: dict[str, set[str]] = field(default_factory=dict)

    def extend(self, other: CheckResult) -> None:
        self.problems.extend(other.problems)
        self.notes.extend(other.notes)
        for name, keys in other.found.items():
            self.found.setdefault(name, set()).update(keys)


Check = Callable[[DocumentContent, ChecklistItemSpec, Mapping[str, Any], CheckContext], CheckResult]


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    more = len(values) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _source(params: Mapping[str, Any], default: str) -> str:
    return str(params.get("source", default))


def _fmt(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# --- 2.9: no more than 30 pages ------------------------------------------------------------------


def max_pages(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    limit = int(params.get("pages", 30))
    source = _source(params, "2.9")
    result = CheckResult()
    if content.pages is None:  # a spreadsheet has no pages: an appendix, not the report
        return result
    if content.pages_approximate:
        counted = (
            f"about {content.pages} pages (estimated from page breaks and words: Word did not "
            "store a page count)"
        )
    else:
        counted = f"{content.pages} pages"
    if content.pages > limit:
        result.problems.append(
            f"{counted}; the handbook allows no more than {limit} ({source}). "
            "Shorten it, or move detail into appendices uploaded as separate files"
        )
    elif content.pages_approximate:
        result.notes.append(counted)
    return result


# --- Appendix 1 coverage -------------------------------------------------------------------------


def _present(subs: Iterable[ChecklistSubItem], labels: list[tuple[str, ...]]) -> set[str]:
    found: set[str] = set()
    for sub in subs:
        wanted = phrases((sub.title, *sub.synonyms))
        if any(contains_phrase(label, phrase) for label in labels for phrase in wanted):
            found.add(sub.key)
    return found


def appendix_1_coverage(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    # Appendix 1: each item and list is a sheet, a table or a heading. Cells inside the data
    # are not searched: "CLA" as a case type in a row is not a CLA list.
    named = [content.title, *content.headings, *(t.name for t in content.tables)]
    labels = [tokens(label) for label in named]
    for table in content.tables:
        if table.name.startswith("table "):  # a Word table: its header names it
            labels.append(tokens(" ".join(table.header)))
    found = _present(item.sub_items, labels) | _present(item.sub_lists, labels)
    return CheckResult(found={"appendix_1_coverage": found})


# --- 9.7: children by case reference only --------------------------------------------------------

_NAME_WORDS = {"name", "forename", "surname", "firstname", "lastname", "fullname"}
# A header with one of these names someone other than the child.
_NOT_CHILD = {
    "worker", "manager", "carer", "officer", "team", "staff", "practitioner", "auditor",
    "author", "chair", "lead", "school", "gp", "placement", "provider", "agency", "service",
    "sw", "iro", "supervisor", "reviewer", "file", "document", "organisation", "venue",
}  # fmt: skip
_FULL_NAME = re.compile(
    r"^[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?(?: [A-Z][a-z]+(?:[-'][A-Z][a-z]+)?){1,2}$"
)
# Capitalised words that are care terms, places or labels, not names.
_COMMON = {
    "care", "help", "protection", "need", "needs", "team", "service", "services", "plan", "child",
    "children", "looked", "after", "early", "assessment", "north", "south", "east", "west",
    "central", "court", "family", "families", "foster", "fostering", "residential", "leaving",
    "leaver", "leavers", "referral", "closed", "open", "yes", "no", "male", "female", "white",
    "british", "other", "mixed", "black", "asian", "not", "known", "requires", "improvement",
    "good", "outstanding", "inadequate", "adequate", "in", "of", "and", "the", "for", "to",
    "young", "person", "people", "support", "safeguarding", "adoption", "permanence", "social",
    "work", "worker", "proceedings", "review", "health", "education", "home", "school",
    "duty", "hub", "front", "door", "disabled", "disability", "unit", "house", "road", "street",
    "jersey", "st", "helier", "trinity", "grouville", "kinship", "connected", "carers", "parent",
    "parents", "mother", "father", "missing", "exploitation", "contact", "contacts",
}  # fmt: skip


def _name_header(header: str) -> bool:
    words = set(tokens(header))
    return bool(words & _NAME_WORDS) and not words & _NOT_CHILD


def _looks_like_full_name(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 60:
        return False
    text = value.strip()
    if not _FULL_NAME.match(text):
        return False
    return not any(word.lower() in _COMMON for word in re.split(r"[ \-']", text))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _where(table: Table, index: int) -> str:
    header = table.header[index] if index < len(table.header) else ""
    named = f" ('{header}')" if header else ""
    if table.name.startswith("table "):
        return f"{table.name}, column {index + 1}{named}"
    if table.name == "csv":
        return f"column {_column_letter(index)}{named}"
    return f"sheet '{table.name}', column {_column_letter(index)}{named}"


def no_child_names(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    source = _source(params, "9.7")
    result = CheckResult()
    for table in content.tables:
        width = max([len(table.header), *(len(r) for r in table.rows[:200])], default=0)
        for index in range(width):
            header = table.header[index] if index < len(table.header) else ""
            if header and _name_header(header):
                result.problems.append(
                    f"{_where(table, index)} is headed like a child's name: children must be "
                    f"identified by case reference number only ({source}); remove the column "
                    "and upload the file again"
                )
                continue
            if header and set(tokens(header)) & _NOT_CHILD:
                continue
            values = [v for v in table.column(index) if v not in (None, "")]
            if len(values) < 2:
                continue
            named = sum(1 for v in values if _looks_like_full_name(v))
            if named >= 2 and named * 5 >= len(values):
                result.problems.append(
                    f"{_where(table, index)}: {named} of {len(values)} entries look like "
                    f"people's full names; children must be identified by case reference "
                    f"number only ({source}); replace them and upload the file again"
                )
    return result


# --- 7.2: the case audit list --------------------------------------------------------------------

_AUDIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "team": ("team",),
    "case_type": ("case type", "type of case", "case category", "category", "legal status",
                  "case status", "type"),
    "social_worker": ("allocated social worker", "social worker", "allocated worker",
                      "allocated sw", "sw", "worker", "practitioner"),
    "finding": ("audit finding", "audit grade", "overall grade", "grade", "finding", "outcome",
                "judgement", "judgment", "rating"),
    "audit_date": ("audit date", "date of audit", "date audited", "date completed", "date"),
    "reference": ("case reference", "case ref", "reference", "ref", "case id", "case number",
                  "id"),
}  # fmt: skip
_COLUMN_LABELS = {
    "case_type": "case type (child in need, child protection, child looked after, care leaver)",
    "social_worker": "allocated social worker",
    "team": "team",
    "finding": "audit finding or grade",
    "audit_date": "audit date",
}
_CASE_TYPES = (
    "cin", "child in need", "children in need", "cp", "cpp", "child protection",
    "child protection plan", "cla", "lac", "looked after", "child looked after",
    "children looked after", "looked after child", "cic", "child in care", "care leaver",
    "leaving care", "cl", "care experienced",
)  # fmt: skip
_GRADES = (
    "outstanding", "good", "requires improvement", "requires improvement to be good", "ri",
    "inadequate", "adequate", "good enough", "not graded", "n a", "na",
)  # fmt: skip


# Dates that are not the audit's: a child's birth, an allocation, a case opening.
_NOT_AUDIT_DATE = {"birth", "dob", "allocated", "allocation", "start", "open", "opened", "end",
                   "closed", "closure", "referral", "review", "due", "next"}  # fmt: skip


def _audit_columns(table: Table) -> dict[str, int]:
    columns: dict[str, int] = {}
    scored: list[tuple[int, int, str, int]] = []
    order = list(_AUDIT_COLUMNS)
    for index, header in enumerate(table.header):
        words = tokens(header)
        for group, options in _AUDIT_COLUMNS.items():
            if group == "audit_date" and set(words) & _NOT_AUDIT_DATE:
                continue
            for option in options:
                if contains_phrase(words, tokens(option)):
                    scored.append((-len(tokens(option)), order.index(group), group, index))
                    break
    for _, _, group, index in sorted(scored):
        if group not in columns and index not in columns.values():
            columns[group] = index
    return columns


def _known(value: object, vocabulary: Sequence[str]) -> bool:
    words = tokens(cell_text(value))
    return any(words == tokens(v) or contains_phrase(words, tokens(v)) for v in vocabulary)


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _row_label(table: Table, offset: int, columns: dict[str, int]) -> str:
    number = table.first_row_number + offset
    ref_index = columns.get("reference")
    if ref_index is not None:
        row = table.rows[offset]
        ref = cell_text(row[ref_index]) if ref_index < len(row) else ""
        # Only a case reference is echoed, and only if it does not look like a name (9.7).
        if ref and not _looks_like_full_name(ref) and len(ref) <= 20:
            return f"row {number} ({ref})"
    return f"row {number}"


def case_audit_columns(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    source = _source(params, "7.2")
    result = CheckResult()
    candidates = [(t, _audit_columns(t)) for t in content.tables if t.header]
    if not candidates:
        result.problems.append(
            "no table of audited cases found: give one row per case with columns for case "
            "type, allocated social worker, team, audit date and audit finding or grade "
            f"({source})"
        )
        return result
    table, columns = max(candidates, key=lambda pair: len(pair[1]))
    missing = [label for key, label in _COLUMN_LABELS.items() if key not in columns]
    where = "" if table.name == "csv" else f" in '{table.name}'"
    if missing:
        result.problems.append(
            f"no column{where} for: {'; '.join(missing)} ({source}); add the column(s) with "
            "those headings"
        )
    vocab_types = tuple(params.get("case_types", _CASE_TYPES))
    vocab_grades = tuple(params.get("grades", _GRADES))
    rows = [(i, r) for i, r in enumerate(table.rows) if any(c not in (None, "") for c in r)]
    if not rows:
        result.problems.append(f"the audit table{where} has no rows of audited cases")
        return result

    def cell(row: list[Any], key: str) -> object:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    if "case_type" in columns:
        bad = [
            _row_label(table, i, columns)
            for i, r in rows
            if not _known(cell(r, "case_type"), vocab_types)
        ]
        if bad:
            result.problems.append(
                f"{len(bad)} row(s) with a case type that is not child in need, child "
                f"protection, child looked after or care leaver: {_listed(bad)}"
            )
    if "finding" in columns:
        bad = [
            _row_label(table, i, columns)
            for i, r in rows
            if cell(r, "finding") not in (None, "") and not _known(cell(r, "finding"), vocab_grades)
        ]
        if bad:
            result.problems.append(
                f"{len(bad)} row(s) with a grade that is not outstanding, good, requires "
                f"improvement or inadequate: {_listed(bad)}"
            )
    if "audit_date" in columns:
        if ctx.notice is None:
            result.notes.append(
                "audit dates not checked against the notice date: it is not known yet"
            )
        else:
            months = int(params.get("months_before_notice", 6))
            earliest = _months_before(ctx.notice, months)
            undated: list[str] = []
            outside: list[str] = []
            for i, r in rows:
                when = as_date(cell(r, "audit_date"))
                if when is None:
                    undated.append(_row_label(table, i, columns))
                elif not earliest <= when <= ctx.notice:
                    outside.append(f"{_row_label(table, i, columns)} {_fmt(when)}")
            if outside:
                result.problems.append(
                    f"{len(outside)} audit(s) dated outside the {months} months before notice "
                    f"({_fmt(earliest)} to {_fmt(ctx.notice)}, {source}): {_listed(outside)}"
                )
            if undated:
                result.problems.append(
                    f"{len(undated)} row(s) without a readable audit date: {_listed(undated)}"
                )
    return result


# --- Appendix 2: staffing data -------------------------------------------------------------------

_UNANSWERED = {"", "tbc", "tbd", "?", "-", "n k", "unknown", "to follow", "xx"}


def _best_sub(text: str, subs: Sequence[ChecklistSubItem]) -> str | None:
    words = tokens(text)
    if len(words) < 1:
        return None
    best: tuple[int, str] | None = None
    for sub in subs:
        if words == tokens(sub.title):
            return sub.key
        for phrase in phrases(sub.synonyms):
            if contains_phrase(words, phrase) and (best is None or len(phrase) > best[0]):
                best = (len(phrase), sub.key)
    return best[1] if best else None


def _answered(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return " ".join(tokens(value)) not in _UNANSWERED
    return True


def appendix_2_answers(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    subs = item.sub_items
    answered: set[str] = set()
    asked: set[str] = set()
    for table in content.tables:
        grid = [list(table.header), *table.rows] if table.header else list(table.rows)
        # Questions down the first columns, answers beside them.
        for row in grid:
            for index, value in enumerate(row):
                if not isinstance(value, str):
                    continue
                key = _best_sub(value, subs)
                if key is None:
                    continue
                asked.add(key)
                if any(_answered(v) for v in row[index + 1 :]):
                    answered.add(key)
                break
        # Or questions across the header, answers in the row beneath.
        for index, header in enumerate(table.header):
            key = _best_sub(header, subs)
            if key is None:
                continue
            asked.add(key)
            if any(_answered(r[index]) for r in table.rows if index < len(r)):
                answered.add(key)
    # "Number of unallocated cases: 12" in the text of a report; a long question may wrap
    # over several lines before its colon.
    pending = ""
    for line in content.text.splitlines():
        label, sep, value = line.partition(":")
        if not sep:
            pending = f"{pending} {line}"[-400:]
            continue
        key = _best_sub(f"{pending} {label}", subs)
        pending = ""
        if key is not None:
            asked.add(key)
            if _answered(value.strip()):
                answered.add(key)
    return CheckResult(found={"appendix_2_answers": answered, "appendix_2_asked": asked})


# --- 7.2: meetings during the on-site period -----------------------------------------------------


def dates_within_onsite(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    result = CheckResult()
    if ctx.onsite_start is None or ctx.onsite_end is None:
        result.notes.append("dates not checked: the on-site dates are not known")
        return result
    year = ctx.onsite_start.year
    found: list[date] = []
    for table in content.tables:
        for row in table.rows:
            for value in row:
                when = as_date(value, year)
                if when is not None:
                    found.append(when)
    if not content.tables or not found:
        from inspection.documents.text import dates_in

        for line in content.text.splitlines():
            found.extend(dates_in(line, year))
    window = f"{_fmt(ctx.onsite_start)} to {_fmt(ctx.onsite_end)}"
    if not found:
        result.problems.append(
            f"no dates found: give the date of each meeting in the on-site period ({window})"
        )
        return result
    outside = sorted({d for d in found if not ctx.onsite_start <= d <= ctx.onsite_end})
    if outside:
        result.problems.append(
            f"{len(outside)} date(s) outside the on-site period ({window}): "
            f"{_listed([_fmt(d) for d in outside])}; list only meetings in that period or "
            "correct the dates"
        )
    return result


# --- 2.2: the Self-Evaluation Report's three key questions --------------------------------------

# 2.2: "The Self-Evaluation Report should consider three key questions". Each is recognised by
# the ways services word it in their headings and prose.
KEY_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "What do you know about the quality and impact of social work practice?",
        ("what do you know", "what do we know", "quality and impact", "impact of social work",
         "quality of social work", "quality of practice", "quality of our practice"),
    ),
    (
        "How is this measured or known?",
        ("how is this measured", "how is it measured", "measured or known", "how do we know",
         "how we know", "how do you know", "how we measure", "how is this known"),
    ),
    (
        "What are the plans for the next 12 months to maintain or improve practice?",
        ("next 12 months", "next twelve months", "year ahead", "coming year",
         "plans for the next", "priorities for next year"),
    ),
)  # fmt: skip


def _key_questions_found(content: DocumentContent) -> list[bool]:
    words = tokens(" ".join([content.title, *content.headings, content.text[:400_000]]))
    return [
        any(contains_phrase(words, phrase) for phrase in phrases(wordings))
        for _, wordings in KEY_QUESTIONS
    ]


def key_questions(
    content: DocumentContent, item: ChecklistItemSpec, params: Mapping[str, Any], ctx: CheckContext
) -> CheckResult:
    """2.2: which of the three key questions the report does not seem to address (a note: a
    service may word them its own way)."""
    result = CheckResult()
    if content.pages is None or not _has_text(content):
        return result  # a spreadsheet is an appendix; a scanned PDF cannot be read
    found = _key_questions_found(content)
    missing = [question for (question, _), seen in zip(KEY_QUESTIONS, found, strict=True)
               if not seen]  # fmt: skip
    if missing and any(found):
        result.notes.append(
            f"{len(missing)} of the 3 key questions of {_source(params, '2.2')} not found: "
            f"{'; '.join(missing)}"
        )
    return result


# --- content before names ------------------------------------------------------------------------

# A file matched by its folder or name whose content lacks what the handbook says the item
# contains is not received: the link officer is asked (the name may be wrong, or the file).
CONTENT_MISMATCH = "content_mismatch"
_SUPPORTING = frozenset({"appendix", "appendice", "attachment", "supporting", "addendum", "annex"})


def _has_text(content: DocumentContent) -> bool:
    return bool(content.text.strip() or content.tables or content.headings)


def content_mismatch(
    item: ChecklistItemSpec, content: DocumentContent, name: str = ""
) -> str | None:
    """What `content` lacks that the handbook says `item` contains (2.2, Appendix 1,
    Appendix 2, 7.2), or None when it looks like the item or the handbook does not say."""
    if not _has_text(content):
        return None  # nothing could be read (a scanned PDF): the name is all there is
    checks = item.checks
    if "key_questions" in checks:
        supporting = set(tokens(name)) & _SUPPORTING
        if content.pages is not None and not supporting and not any(_key_questions_found(content)):
            source = _source(checks["key_questions"] or {}, "2.2")
            return (
                f"none of the three key questions of {source} ("
                + "; ".join(q.rstrip("?") for q, _ in KEY_QUESTIONS)
                + ")"
            )
    if "appendix_1_coverage" in checks:
        found = appendix_1_coverage(content, item, {}, CheckContext()).found
        if not found.get("appendix_1_coverage"):
            source = _source(checks["appendix_1_coverage"] or {}, "Appendix 1")
            titles = [sub.title for sub in item.sub_items[:4]]
            return (
                f"none of the {source} data items or lists as a sheet, table or heading "
                f"(for example {'; '.join(titles)})"
            )
    if "appendix_2_answers" in checks:
        found = appendix_2_answers(content, item, {}, CheckContext()).found
        if not found.get("appendix_2_asked"):
            source = _source(checks["appendix_2_answers"] or {}, "Appendix 2")
            titles = [sub.title for sub in item.sub_items[:3]]
            return f"none of the {source} staffing questions (for example {'; '.join(titles)})"
    if "case_audit_columns" in checks:
        best = max(
            (
                {k for k in _audit_columns(t) if k != "reference"}
                for t in content.tables
                if t.header
            ),
            key=len,
            default=set(),
        )
        if len(best) < 2:
            source = _source(checks["case_audit_columns"] or {}, "7.2")
            return (
                f"no table of audited cases with the columns {source} asks for (case type, "
                "allocated social worker, team, audit finding or grade)"
            )
    return None


# --- Appendix 4: the factual accuracy grid's comments (9.7) ---------------------------------------

# The grid's free-text columns (Appendix 4): the provider's comments and the inspectorate's
# responses are checked like any other text a person writes.
GRID_TEXT_COLUMNS = ("original text", "proposed correction", "comments", "response")


def grid_comment_problems(content: DocumentContent, terms: Sequence[str] = ()) -> list[str]:
    """Cells of a returned factual accuracy grid that may name a child or give a date of birth
    (9.7), each with its row and column; never the name itself, only its first letter."""
    from inspection.privacy import check_text

    problems: list[str] = []
    for table in content.tables:
        grid = [list(table.header), *table.rows]
        top = table.first_row_number - 1  # the sheet row of grid[0]
        heads = [[cell_text(c).strip().lower() for c in row] for row in grid[:30]]
        at = next(
            (i for i, t in enumerate(heads) if "proposed correction" in t and "comments" in t),
            None,
        )
        if at is None:
            continue
        titles = heads[at]
        columns = {i: cell_text(grid[at][i]).strip() for i, t in enumerate(titles)
                   if t in GRID_TEXT_COLUMNS}  # fmt: skip
        for offset, row in enumerate(grid[at + 1 :], start=at + 1):
            for index, title in columns.items():
                value = row[index] if index < len(row) else None
                if not isinstance(value, str) or not value.strip():
                    continue
                findings = check_text(value, terms=terms)
                if findings:
                    hints = "; ".join(f.hint for f in findings[:3])
                    problems.append(f"row {top + offset} ({title}): {hints}")
    return problems


CHECKS: dict[str, Check] = {
    "max_pages": max_pages,
    "key_questions": key_questions,
    "appendix_1_coverage": appendix_1_coverage,
    "no_child_names": no_child_names,
    "case_audit_columns": case_audit_columns,
    "appendix_2_answers": appendix_2_answers,
    "dates_within_onsite": dates_within_onsite,
}


def run_checks(item: ChecklistItemSpec, content: DocumentContent, ctx: CheckContext) -> CheckResult:
    """Every check the item's rule names, on one document."""
    result = CheckResult(notes=list(content.notes))
    for name, params in item.checks.items():
        check = CHECKS.get(name)
        if check is None:
            result.notes.append(f"check '{name}' is not known to this version of the bot")
            continue
        result.extend(check(content, item, params or {}, ctx))
    return result


def item_problems(item: ChecklistItemSpec, found: Mapping[str, set[str]]) -> list[str]:
    """Problems of an item as a whole, from what all its current files hold together."""
    problems: list[str] = []
    if "appendix_1_coverage" in item.checks:
        have = found.get("appendix_1_coverage", set())
        source = _source(item.checks["appendix_1_coverage"] or {}, "Appendix 1")
        items = [s.title for s in item.sub_items if s.key not in have]
        lists = [s.title for s in item.sub_lists if s.key not in have]
        if items:
            problems.append(
                f"{len(items)} of the {len(item.sub_items)} {source} items not found (as a "
                f"sheet, table or heading): {'; '.join(items)}"
            )
        if lists:
            problems.append(
                f"{len(lists)} of the {len(item.sub_lists)} {source} lists not found: "
                f"{'; '.join(lists)}"
            )
    if "appendix_2_answers" in item.checks:
        have = found.get("appendix_2_answers", set())
        asked = found.get("appendix_2_asked", set())
        source = _source(item.checks["appendix_2_answers"] or {}, "Appendix 2")
        blank = [s.title for s in item.sub_items if s.key in asked and s.key not in have]
        absent = [s.title for s in item.sub_items if s.key not in asked]
        if blank:
            problems.append(f"{len(blank)} {source} question(s) left blank: {'; '.join(blank)}")
        if absent:
            problems.append(f"{len(absent)} {source} question(s) not found: {'; '.join(absent)}")
    return problems
