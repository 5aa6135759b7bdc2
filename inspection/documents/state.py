"""The checklist as it stands: status, files and problems per item, questions, unmatched and
ignored files, built from what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from inspection.documents.checks import CONTENT_MISMATCH, item_problems
from inspection.documents.matching import MATCH_THRESHOLD, Matcher
from inspection.documents.records import (
    ChecklistRecords,
    DocumentFile,
    ExplicitMapping,
    FileAssessment,
    Waiver,
)
from inspection.documents.text import tokens, version_key
from inspection.errors import NotFound
from inspection.frameworks import ChecklistItemSpec, Framework
from inspection.privacy import safe_file_name


class ItemStatus(StrEnum):
    RECEIVED = "received"
    MISSING = "missing"
    NEEDS_ATTENTION = "needs_attention"
    WAIVED = "waived"


@dataclass(frozen=True)
class FileRef:
    file_id: str
    path: str
    name: str
    web_url: str | None = None
    modified: datetime | None = None
    reason: str = ""  # why it counts for this item, or why it is unmatched/ignored/superseded
    confidence: float = 0.0

    @property
    def display_path(self) -> str:
        """The path to show in a card or a message: a child's name in it replaced (9.7)."""
        return safe_file_name(self.path)


@dataclass(frozen=True)
class ItemState:
    key: str
    title: str
    required: bool
    source: str
    status: ItemStatus
    files: tuple[FileRef, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    superseded: tuple[FileRef, ...] = ()
    waiver: Waiver | None = None


@dataclass(frozen=True)
class Question:
    """ "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?" """

    file_id: str
    path: str
    text: str
    options: tuple[tuple[str, str], ...]  # (item key, title)
    asked_at: datetime | None = None

    @property
    def display_path(self) -> str:
        """The path to show in a card or a message: a child's name in it replaced (9.7)."""
        return safe_file_name(self.path)


@dataclass(frozen=True)
class ChecklistState:
    framework: str
    items: tuple[ItemState, ...]
    unmatched: tuple[FileRef, ...] = ()
    ignored: tuple[FileRef, ...] = ()
    questions: tuple[Question, ...] = ()
    # Questions asked by the call that returned this state: the bot posts these.
    new_questions: tuple[Question, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in ItemStatus}
        for item in self.items:
            counts[item.status.value] += 1
        return counts

    def required_counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in ItemStatus}
        for item in self.items:
            if item.required:
                counts[item.status.value] += 1
        return counts

    def item(self, key: str) -> ItemState:
        for item in self.items:
            if item.key == key:
                return item
        raise NotFound(f"there is no checklist item {key!r}")

    def missing_required(self) -> tuple[ItemState, ...]:
        """Required items with no file and no waiver: what the chasing reminders list."""
        return tuple(i for i in self.items if i.required and i.status == ItemStatus.MISSING)

    def needing_attention(self) -> tuple[ItemState, ...]:
        return tuple(i for i in self.items if i.status == ItemStatus.NEEDS_ATTENTION)

    @property
    def complete(self) -> bool:
        """Every required item received (without problems) or waived."""
        return all(
            i.status in (ItemStatus.RECEIVED, ItemStatus.WAIVED) for i in self.items if i.required
        )

    def to_json(self) -> dict[str, Any]:
        """The CLI contract (`check-documents --json`)."""
        return {
            "items": [
                {
                    "key": i.key,
                    "title": i.title,
                    "required": i.required,
                    "status": i.status.value,
                    "files": [f.path for f in i.files],
                    # Why each file counts for the item, and how sure the match is.
                    "matches": [
                        {"path": f.path, "reason": f.reason, "confidence": round(f.confidence, 2)}
                        for f in i.files
                    ],
                    "problems": list(i.problems),
                    "notes": list(i.notes),
                    "superseded": [f.path for f in i.superseded],
                    "waiver": (
                        {"reason": i.waiver.reason, "by": i.waiver.by} if i.waiver else None
                    ),
                }
                for i in self.items
            ],
            "unmatched": [{"path": f.path, "reason": f.reason} for f in self.unmatched],
            "ignored": [{"path": f.path, "reason": f.reason} for f in self.ignored],
            "questions": [
                {"path": q.path, "question": q.text, "options": [k for k, _ in q.options]}
                for q in self.questions
            ],
            "counts": self.counts,
        }


# --- building the state --------------------------------------------------------------------------


def file_ref(file: DocumentFile, reason: str = "", confidence: float = 0.0) -> FileRef:
    return FileRef(
        file_id=file.file_id,
        path=file.path,
        name=file.name,
        web_url=file.web_url,
        modified=file.modified,
        reason=reason,
        confidence=confidence,
    )


def _title_phrase(title: str) -> str:
    first, _, rest = title.partition(" ")
    if first.isupper() or (len(first) > 1 and first[1:].lower() != first[1:]):
        return title
    return f"{first.lower()} {rest}".strip()


def question_text(name: str, titles: Sequence[str]) -> str:
    name = safe_file_name(name)  # the question is posted in the channel (9.7)
    options = [f"the {_title_phrase(t)}" for t in titles]
    if len(options) == 1:
        return f"Is '{name}' {options[0]}?"
    return f"Is '{name}' {', '.join(options[:-1])} or {options[-1]}?"


def mismatch_question(name: str, reason: str, title: str) -> str:
    """ "'Minutes 3 May.docx': its name suggests the Self-Evaluation Report, but its content has
    none of the three key questions of 2.2 (...). Is it the Self-Evaluation Report?" """
    return f"'{safe_file_name(name)}': {reason}. Is it the {_title_phrase(title)}?"


def newest_first(assessments: list[FileAssessment]) -> list[FileAssessment]:
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(
        assessments,
        key=lambda a: (a.file.modified or floor, a.assessed_at or floor, a.file.name),
        reverse=True,
    )


def build_state(framework: Framework, records: ChecklistRecords) -> ChecklistState:
    """The checklist as it stands, from stored assessments, mappings, waivers and answers."""
    return StateBuilder(framework, records).state()


@dataclass(frozen=True)
class _FilePart:
    """What one stored file adds to the state: it is ignored, counts for an item, waits for
    an answer (a question, and a line in the unmatched list), or is unmatched."""

    ignored: FileRef | None = None
    item_key: str | None = None
    question: Question | None = None
    unmatched: FileRef | None = None
    asked_keys: tuple[str, ...] = ()


def _file_part(
    assessment: FileAssessment, records: ChecklistRecords, titles: dict[str, str]
) -> _FilePart:
    file = assessment.file
    if assessment.ignored:
        return _FilePart(ignored=file_ref(file, assessment.ignored))
    mapping = records.mappings.get(file.file_id)
    item_key = mapping.item_key if mapping else assessment.item_key
    if mapping is not None and mapping.item_key is None:
        return _FilePart(
            ignored=file_ref(file, f"marked as not a checklist document by {mapping.by}")
        )
    if item_key is not None and item_key in titles:
        return _FilePart(item_key=item_key)
    if assessment.ambiguous and mapping is None:
        options = tuple(
            (c.item_key, titles[c.item_key]) for c in assessment.candidates if c.item_key in titles
        )
        record = records.questions.get(file.file_id)
        if CONTENT_MISMATCH in assessment.found and len(options) == 1:
            text = mismatch_question(file.name, assessment.reason, options[0][1])
        else:
            text = question_text(file.name, [t for _, t in options])
        return _FilePart(
            question=Question(
                file.file_id, file.path, text, options, record.asked_at if record else None
            ),
            unmatched=file_ref(file, f"{assessment.reason}: waiting for an answer. {text}"),
            asked_keys=tuple(key for key, _ in options),
        )
    return _FilePart(unmatched=file_ref(file, assessment.reason))


def _item_state(
    item: ChecklistItemSpec,
    assessments: list[FileAssessment],
    records: ChecklistRecords,
    asked: Sequence[str],
) -> ItemState:
    current, superseded = _current_files(item, assessments)
    waiver = records.waivers.get(item.key)
    problems: list[str] = []
    notes: list[str] = []
    found: dict[str, set[str]] = {}
    for assessment in current:
        prefix = f"{safe_file_name(assessment.file.path)}: "
        problems.extend(prefix + p for p in assessment.problems)
        notes.extend(prefix + n for n in assessment.notes)
        for check, keys in assessment.found.items():
            found.setdefault(check, set()).update(keys)
    if any(a.content_checked for a in current):
        problems.extend(item_problems(item, found))
    for text in asked:
        problems.append(f"waiting for the link officer to answer: {text}")
    if current:
        status = ItemStatus.NEEDS_ATTENTION if problems else ItemStatus.RECEIVED
    elif waiver is not None:
        status = ItemStatus.WAIVED
    elif problems:
        status = ItemStatus.NEEDS_ATTENTION
    else:
        status = ItemStatus.MISSING
    return ItemState(
        key=item.key,
        title=item.title,
        required=item.required,
        source=item.source,
        status=status,
        files=tuple(
            file_ref(a.file, _why(a, records.mappings.get(a.file.file_id)), a.confidence)
            for a in current
        ),
        problems=tuple(problems),
        notes=tuple(notes),
        superseded=tuple(superseded),
        waiver=waiver,
    )


class StateBuilder:
    """The state of one inspection's checklist, kept up to date file by file.

    Built once from every stored file; afterwards `update` takes the ids of the files that
    changed (recorded, re-assessed or removed in `records`) and recomputes what those files
    add and the items they count for or ask about, nothing else: a sync that changes 10
    files of 10,000 costs 10 files. `records` is shared with the caller, who changes it."""

    def __init__(self, framework: Framework, records: ChecklistRecords) -> None:
        self.framework = framework
        self.records = records
        self._titles = {item.key: item.title for item in framework.checklist}
        self._specs = {item.key: item for item in framework.checklist}
        self._parts: dict[str, _FilePart] = {}
        self._by_item: dict[str, dict[str, None]] = {key: {} for key in self._titles}
        self._asked: dict[str, dict[str, str]] = {key: {} for key in self._titles}
        for file_id, assessment in records.files.items():
            self._add(file_id, _file_part(assessment, records, self._titles))
        self._items = {key: self._item(key) for key in self._titles}  # in the framework's order

    def _add(self, file_id: str, part: _FilePart) -> None:
        self._parts[file_id] = part
        if part.item_key is not None:
            self._by_item[part.item_key][file_id] = None
        if part.question is not None:
            for key in part.asked_keys:
                self._asked[key][file_id] = part.question.text

    def _drop(self, file_id: str) -> _FilePart | None:
        part = self._parts.pop(file_id, None)
        if part is not None:
            if part.item_key is not None:
                self._by_item[part.item_key].pop(file_id, None)
            for key in part.asked_keys:
                self._asked[key].pop(file_id, None)
        return part

    def _item(self, key: str) -> ItemState:
        files = self.records.files
        assessments = [files[file_id] for file_id in self._by_item[key]]
        return _item_state(self._specs[key], assessments, self.records, self._asked_texts(key))

    def _asked_texts(self, key: str) -> list[str]:
        # In the stored files' order, as a build from every file lists them.
        asked = self._asked[key]
        if len(asked) <= 1:
            return list(asked.values())
        order = {file_id: n for n, file_id in enumerate(self.records.files)}
        return [asked[f] for f in sorted(asked, key=lambda f: order.get(f, len(order)))]

    def items_of(self, file_ids: Sequence[str]) -> set[str]:
        """The items these files count for or ask about, as the state stands."""
        keys: set[str] = set()
        for file_id in file_ids:
            part = self._parts.get(file_id)
            if part is not None:
                if part.item_key is not None:
                    keys.add(part.item_key)
                keys.update(part.asked_keys)
        return keys

    def update(self, file_ids: Sequence[str]) -> dict[str, ItemState]:
        """Take in these files as `records` now has them (gone when not there); returns the
        items recomputed, as they were before."""
        affected = self.items_of(file_ids)
        for file_id in file_ids:
            self._drop(file_id)
            assessment = self.records.files.get(file_id)
            if assessment is not None:
                self._add(file_id, _file_part(assessment, self.records, self._titles))
        affected |= self.items_of(file_ids)
        before = {key: self._items[key] for key in affected}
        for key in affected:
            self._items[key] = self._item(key)
        return before

    def item(self, key: str) -> ItemState:
        return self._items[key]

    def state(self) -> ChecklistState:
        parts = self._parts.values()
        return ChecklistState(
            framework=self.framework.key,
            items=tuple(self._items.values()),
            unmatched=tuple(
                sorted((p.unmatched for p in parts if p.unmatched), key=lambda f: f.path)
            ),
            ignored=tuple(sorted((p.ignored for p in parts if p.ignored), key=lambda f: f.path)),
            questions=tuple(
                sorted((p.question for p in parts if p.question), key=lambda q: q.path)
            ),
        )


def _why(assessment: FileAssessment, mapping: ExplicitMapping | None) -> str:
    if mapping is not None:
        return f"{mapping.by} said this file is this item"
    return assessment.reason


# Words that make a file a companion of the document rather than the document itself.
_SUPPORTING = frozenset({"appendix", "appendice", "attachment", "supporting", "addendum", "annex"})
_MATCHERS: dict[tuple[str, str, tuple[str, ...]], Matcher] = {}


def _is_the_document(item: ChecklistItemSpec, name: str) -> bool:
    """For a one-document item (the SER): does the name say it is that document, not an
    appendix or something else filed in its folder?"""
    cache_key = (item.key, item.title, item.synonyms)
    matcher = _MATCHERS.get(cache_key)
    if matcher is None:
        matcher = _MATCHERS.setdefault(cache_key, Matcher((item,)))
    if set(tokens(name)) & _SUPPORTING:
        return False
    return any(e.confidence >= MATCH_THRESHOLD for e in matcher.by_name(name))


def _group_key(item: ChecklistItemSpec, name: str) -> tuple[str, ...]:
    """Which versions of a document `name` is one of (() for the one document of its item)."""
    cache_key = (item.key, item.title, item.synonyms, item.single_file, name)
    found = _GROUP_KEYS.get(cache_key)
    if found is None:
        stem = PurePosixPath(name).stem
        one = item.single_file and _is_the_document(item, stem)
        found = () if one else version_key(stem)
        if len(_GROUP_KEYS) >= _GROUP_KEYS_LIMIT:
            _GROUP_KEYS.clear()
        _GROUP_KEYS[cache_key] = found
    return found


# Per item and file name: matching a name is the costly part of grouping an item's files, and
# an item's files are grouped again whenever one of them changes.
_GROUP_KEYS: dict[tuple[str, str, tuple[str, ...], bool, str], tuple[str, ...]] = {}
_GROUP_KEYS_LIMIT = 200_000


def _current_files(
    item: ChecklistItemSpec, assessments: list[FileAssessment]
) -> tuple[list[FileAssessment], list[FileRef]]:
    """A newer version of a document supersedes the older one; different documents for the
    same item all count (one organisation chart per service). For a one-document item any
    newer file named as that document supersedes the older, whatever else its name says."""
    groups: dict[tuple[str, ...], list[FileAssessment]] = {}
    for assessment in assessments:
        groups.setdefault(_group_key(item, assessment.file.name), []).append(assessment)
    current: list[FileAssessment] = []
    superseded: list[FileRef] = []
    for group in groups.values():
        newest, *older = newest_first(group)
        current.append(newest)
        superseded.extend(file_ref(a.file, f"superseded by {newest.file.path}") for a in older)
    current.sort(key=lambda a: a.file.path)
    return current, sorted(superseded, key=lambda f: f.path)
