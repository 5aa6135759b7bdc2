"""The checklist of an inspection: which required and optional documents have arrived (7.2).

Entry points for the adapters:

- `DocumentFile`: a neutral description of one uploaded file (the Graph adapter builds these
  from a delta sync; the CLI from a local folder).
- `assess_file(...)` / `build_state(...)`: pure functions, no storage (the CLI uses them).
- `InspectionChecklist`: the service the bot and the scheduler use. It keeps what it learnt in a
  `ChecklistStore` and returns a `ChecklistState` after every change:

      state = await checklist.record_files(inspection, files, removed=["id-9"])
      state.items            # one ItemState per item: status, files, problems
      state.counts           # {"received": 5, "missing": 2, "needs_attention": 1, "waived": 0}
      state.missing_required()   # what the scheduler chases
      state.questions        # open questions for the link officer ("Is 'Data Nov.xlsx' ...?")
      await checklist.map_file(inspection, file_id, "staffing_data", by=aad_id)
      await checklist.waive(inspection, "self_evaluation_report", "not changed", by=aad_id)
      await checklist.answer_question(inspection, file_id, "child_level_data", by=aad_id)

Status per item: `received`, `missing`, `needs_attention` (received with problems, or a question
about a file that may be this item is unanswered), `waived` (with the reason, 7.2: "an updated
Self-Evaluation Report if it has significantly changed"). A file received for a waived item
makes the item received again; the waiver is kept and shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any, Protocol

from inspection.clock import Clock
from inspection.documents.checks import CheckContext, item_problems, run_checks
from inspection.documents.content import (
    DEFAULT_LIMITS,
    DocumentContent,
    Limits,
    Unreadable,
    read_content,
)
from inspection.documents.matching import Evidence, Matcher, MatchResult
from inspection.documents.text import version_key
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.frameworks import ChecklistItemSpec, Framework, FrameworkRegistry
from inspection.model import Inspection, Role

MAX_WAIVER_REASON = 500
# 7.2: the link officer uploads and says what is what; the lead inspector may waive.
MAPPERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR, Role.INSPECTOR})
WAIVERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR})


class ItemStatus(StrEnum):
    RECEIVED = "received"
    MISSING = "missing"
    NEEDS_ATTENTION = "needs_attention"
    WAIVED = "waived"


@dataclass(frozen=True)
class DocumentFile:
    """One file in the inspection's Files, as any adapter sees it.

    `file_id` is stable across renames and new versions (the Graph drive item id; a relative
    path for a local folder). `folder` is the folder path relative to the channel's Files root
    ("" for the root, "Staffing data", "Staffing data/Archive"). `load` returns the bytes when
    called; without it the service's `DocumentReader` is used, and without that the content is
    not checked (said so in the notes).
    """

    file_id: str
    name: str
    folder: str = ""
    size: int = 0
    modified: datetime | None = None
    web_url: str | None = None
    load: Callable[[], Awaitable[bytes]] | None = field(default=None, compare=False, repr=False)

    @property
    def path(self) -> str:
        return f"{self.folder.strip('/')}/{self.name}" if self.folder.strip("/") else self.name


class DocumentReader(Protocol):
    """Port: fetch a file's bytes later (to re-check it when a person maps it to an item)."""

    async def read(self, file: DocumentFile) -> bytes: ...


@dataclass(frozen=True)
class Candidate:
    item_key: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class FileAssessment:
    """What the checker concluded about one file; stored, so state needs no re-reading."""

    file: DocumentFile
    ignored: str | None = None
    item_key: str | None = None
    confidence: float = 0.0
    reason: str = ""
    candidates: tuple[Candidate, ...] = ()
    ambiguous: bool = False
    content_checked: bool = False
    # Problems and notes of the content checks, for the matched item.
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Coverage found in this file, per check (Appendix 1 items, Appendix 2 answers).
    found: Mapping[str, frozenset[str]] = field(default_factory=dict)
    assessed_at: datetime | None = None


@dataclass(frozen=True)
class ExplicitMapping:
    """A person said what a file is ("this file is the staffing return"); None: not an item."""

    file_id: str
    item_key: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class Waiver:
    item_key: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class QuestionRecord:
    """A question put to the link officer about an ambiguous file."""

    file_id: str
    options: tuple[str, ...]
    asked_at: datetime
    answered_at: datetime | None = None
    answer: str | None = None  # an item key, or "" for "none of these"
    answered_by: str | None = None


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    kind: str  # matched, updated, superseded, removed, mapped, waived, unwaived, asked, answered
    detail: str
    file_id: str | None = None
    item_key: str | None = None
    by: str | None = None


@dataclass
class ChecklistRecords:
    """Everything stored about one inspection's checklist."""

    files: dict[str, FileAssessment] = field(default_factory=dict)
    mappings: dict[str, ExplicitMapping] = field(default_factory=dict)
    waivers: dict[str, Waiver] = field(default_factory=dict)
    questions: dict[str, QuestionRecord] = field(default_factory=dict)


class ChecklistStore(Protocol):
    """Port: persistence of the checklist (store.checklist.SqlChecklistStore, or in memory)."""

    async def load(self, inspection_id: int) -> ChecklistRecords: ...

    async def save_file(self, inspection_id: int, assessment: FileAssessment) -> None: ...

    async def remove_file(self, inspection_id: int, file_id: str) -> None: ...

    async def save_mapping(self, inspection_id: int, mapping: ExplicitMapping) -> None: ...

    async def save_waiver(self, inspection_id: int, waiver: Waiver) -> None: ...

    async def remove_waiver(self, inspection_id: int, item_key: str) -> None: ...

    async def save_question(self, inspection_id: int, question: QuestionRecord) -> None: ...

    async def add_history(self, inspection_id: int, events: Sequence[HistoryEvent]) -> None: ...

    async def history(self, inspection_id: int) -> list[HistoryEvent]: ...


# --- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    file_id: str
    path: str
    name: str
    web_url: str | None = None
    modified: datetime | None = None
    reason: str = ""  # why it counts for this item, or why it is unmatched/ignored/superseded
    confidence: float = 0.0


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
        """The CLI contract of issue 4 (`check-documents --json`)."""
        return {
            "items": [
                {
                    "key": i.key,
                    "title": i.title,
                    "required": i.required,
                    "status": i.status.value,
                    "files": [f.path for f in i.files],
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


# --- ignoring ------------------------------------------------------------------------------------

_SYSTEM_FILES = {
    "thumbs.db": "a Windows thumbnail cache (Thumbs.db)",
    "ehthumbs.db": "a Windows thumbnail cache",
    ".ds_store": "a macOS folder settings file (.DS_Store)",
    "desktop.ini": "a Windows folder settings file (desktop.ini)",
}
_TEMP_SUFFIXES = (".tmp", ".temp", ".bak", ".crdownload", ".part", ".partial", ".swp", "~")


def ignored_reason(file: DocumentFile) -> str | None:
    """Why a file is not a document anyone uploaded on purpose, or None."""
    name = file.name
    lower = name.lower()
    if lower in _SYSTEM_FILES:
        return _SYSTEM_FILES[lower]
    if name.startswith("~$"):
        return "an Office lock file (~$...), left while someone has the document open"
    if lower.startswith(".~lock.") and lower.endswith("#"):
        return "a LibreOffice lock file, left while someone has the document open"
    if name.startswith("._"):
        return "a macOS resource fork (._...), not a document"
    if lower.endswith(_TEMP_SUFFIXES) or lower.startswith("~wr") or lower.startswith("~"):
        return "a temporary file"
    if file.size == 0:
        return "the file is empty (0 bytes); upload it again if it should have content"
    return None


# --- assessing one file --------------------------------------------------------------------------


def _context(
    notice: date | None, onsite_start: date | None, onsite_end: date | None
) -> CheckContext:
    return CheckContext(notice=notice, onsite_start=onsite_start, onsite_end=onsite_end)


def context_for(inspection: Inspection) -> CheckContext:
    return _context(inspection.notice_date, inspection.onsite_start, inspection.onsite_end)


async def _load(
    file: DocumentFile, reader: DocumentReader | None, limits: Limits
) -> DocumentContent | Unreadable:
    if file.size > limits.max_file_bytes:
        return Unreadable(
            f"the file is {file.size / 1_048_576:.0f} MB, over the "
            f"{limits.max_file_bytes // 1_048_576} MB checked; split it or remove images"
        )
    try:
        if file.load is not None:
            data = await file.load()
        elif reader is not None:
            data = await reader.read(file)
        else:
            return Unreadable("its content could not be fetched")
    except InspectionError as exc:
        return Unreadable(f"its content could not be fetched: {exc}")
    except OSError as exc:
        return Unreadable(f"its content could not be fetched: {exc.strerror or exc}")
    # Parsing is CPU work: keep the event loop (and the bot's 15 s turns) responsive.
    return await asyncio.to_thread(read_content, file.name, data, limits)


async def assess_file(
    file: DocumentFile,
    framework: Framework,
    context: CheckContext,
    *,
    matcher: Matcher | None = None,
    mapping: ExplicitMapping | None = None,
    reader: DocumentReader | None = None,
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> FileAssessment:
    """Match one file to an item and run that item's content checks."""
    now = now or datetime.now(UTC)
    why_ignored = ignored_reason(file)
    if why_ignored is not None:
        return FileAssessment(file=file, ignored=why_ignored, reason=why_ignored, assessed_at=now)
    matcher = matcher or Matcher(framework.checklist)
    folder_evidence = matcher.by_folder(file.folder)
    name_evidence = matcher.by_name(file.name)
    content: DocumentContent | Unreadable | None = None
    if mapping is not None:
        if mapping.item_key is None:
            return FileAssessment(
                file=file, reason="marked as not a checklist document", assessed_at=now
            )
        result = MatchResult(mapping.item_key, 1.0, f"{mapping.by} said so")
    else:
        result = matcher.decide(folder_evidence, name_evidence)
        if result.item_key is None or _needs_confirmation(result):
            content = await _load(file, reader, limits)
            content_evidence = (
                matcher.by_content(content) if isinstance(content, DocumentContent) else []
            )
            result = matcher.decide(folder_evidence, name_evidence, content_evidence)
    candidates = tuple(Candidate(e.item_key, e.confidence, e.reason) for e in result.candidates)
    assessment = FileAssessment(
        file=file,
        item_key=result.item_key,
        confidence=result.confidence,
        reason=result.reason,
        candidates=candidates,
        ambiguous=result.ambiguous,
        assessed_at=now,
    )
    if result.item_key is None:
        return assessment
    item = matcher.item(result.item_key)
    if not item.checks:
        return assessment
    if content is None:
        content = await _load(file, reader, limits)
    return _checked(assessment, item, content, context)


def _needs_confirmation(result: MatchResult) -> bool:
    # A lone weak reason ("its name contains 'diary'") is confirmed against the content.
    return result.confidence < 0.75 and not any(e.kind == "folder" for e in result.candidates)


def _checked(
    assessment: FileAssessment,
    item: ChecklistItemSpec,
    content: DocumentContent | Unreadable,
    context: CheckContext,
) -> FileAssessment:
    if isinstance(content, Unreadable):
        return replace(assessment, notes=(f"received, content not checked: {content.reason}",))
    result = run_checks(item, content, context)
    return replace(
        assessment,
        content_checked=True,
        problems=tuple(result.problems),
        notes=tuple(result.notes),
        found={k: frozenset(v) for k, v in result.found.items()},
    )


# --- building the state --------------------------------------------------------------------------


def _ref(file: DocumentFile, reason: str = "", confidence: float = 0.0) -> FileRef:
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
    options = [f"the {_title_phrase(t)}" for t in titles]
    if len(options) == 1:
        return f"Is '{name}' {options[0]}?"
    return f"Is '{name}' {', '.join(options[:-1])} or {options[-1]}?"


def _newest_first(assessments: list[FileAssessment]) -> list[FileAssessment]:
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(
        assessments,
        key=lambda a: (a.file.modified or floor, a.assessed_at or floor, a.file.name),
        reverse=True,
    )


def build_state(framework: Framework, records: ChecklistRecords) -> ChecklistState:
    """The checklist as it stands, from stored assessments, mappings, waivers and answers."""
    by_item: dict[str, list[FileAssessment]] = {item.key: [] for item in framework.checklist}
    unmatched: list[FileRef] = []
    ignored: list[FileRef] = []
    questions: list[Question] = []
    asked_about: dict[str, list[str]] = {}
    titles = {item.key: item.title for item in framework.checklist}
    for assessment in records.files.values():
        file = assessment.file
        if assessment.ignored:
            ignored.append(_ref(file, assessment.ignored))
            continue
        mapping = records.mappings.get(file.file_id)
        item_key = mapping.item_key if mapping else assessment.item_key
        if mapping is not None and mapping.item_key is None:
            ignored.append(_ref(file, f"marked as not a checklist document by {mapping.by}"))
            continue
        if item_key is not None and item_key in by_item:
            by_item[item_key].append(assessment)
            continue
        if assessment.ambiguous and mapping is None:
            options = tuple(
                (c.item_key, titles[c.item_key])
                for c in assessment.candidates
                if c.item_key in titles
            )
            record = records.questions.get(file.file_id)
            text = question_text(file.name, [t for _, t in options])
            questions.append(
                Question(
                    file.file_id, file.path, text, options, record.asked_at if record else None
                )
            )
            for key, _ in options:
                asked_about.setdefault(key, []).append(text)
            unmatched.append(_ref(file, f"{assessment.reason}: waiting for an answer. {text}"))
            continue
        unmatched.append(_ref(file, assessment.reason))

    states: list[ItemState] = []
    for item in framework.checklist:
        current, superseded = _current_files(item, by_item[item.key])
        waiver = records.waivers.get(item.key)
        problems: list[str] = []
        notes: list[str] = []
        found: dict[str, set[str]] = {}
        for assessment in current:
            prefix = f"{assessment.file.path}: "
            problems.extend(prefix + p for p in assessment.problems)
            notes.extend(prefix + n for n in assessment.notes)
            for check, keys in assessment.found.items():
                found.setdefault(check, set()).update(keys)
        if any(a.content_checked for a in current):
            problems.extend(item_problems(item, found))
        for text in asked_about.get(item.key, []):
            problems.append(f"waiting for the link officer to answer: {text}")
        if current:
            status = ItemStatus.NEEDS_ATTENTION if problems else ItemStatus.RECEIVED
        elif waiver is not None:
            status = ItemStatus.WAIVED
        elif problems:
            status = ItemStatus.NEEDS_ATTENTION
        else:
            status = ItemStatus.MISSING
        states.append(
            ItemState(
                key=item.key,
                title=item.title,
                required=item.required,
                source=item.source,
                status=status,
                files=tuple(
                    _ref(a.file, _why(a, records.mappings.get(a.file.file_id)), a.confidence)
                    for a in current
                ),
                problems=tuple(problems),
                notes=tuple(notes),
                superseded=tuple(superseded),
                waiver=waiver,
            )
        )
    return ChecklistState(
        framework=framework.key,
        items=tuple(states),
        unmatched=tuple(sorted(unmatched, key=lambda f: f.path)),
        ignored=tuple(sorted(ignored, key=lambda f: f.path)),
        questions=tuple(sorted(questions, key=lambda q: q.path)),
    )


def _why(assessment: FileAssessment, mapping: ExplicitMapping | None) -> str:
    if mapping is not None:
        return f"{mapping.by} said this file is this item"
    return assessment.reason


def _current_files(
    item: ChecklistItemSpec, assessments: list[FileAssessment]
) -> tuple[list[FileAssessment], list[FileRef]]:
    """A newer version of a document supersedes the older one; different documents for the
    same item all count (one organisation chart per service)."""
    groups: dict[tuple[str, ...], list[FileAssessment]] = {}
    for assessment in assessments:
        key = () if item.single_file else version_key(PurePosixPath(assessment.file.name).stem)
        groups.setdefault(key, []).append(assessment)
    current: list[FileAssessment] = []
    superseded: list[FileRef] = []
    for group in groups.values():
        newest, *older = _newest_first(group)
        current.append(newest)
        superseded.extend(_ref(a.file, f"superseded by {newest.file.path}") for a in older)
    current.sort(key=lambda a: a.file.path)
    return current, sorted(superseded, key=lambda f: f.path)


# --- the service ---------------------------------------------------------------------------------


class InspectionChecklist:
    """The checklist of each inspection, kept up to date as files arrive."""

    def __init__(
        self,
        store: ChecklistStore,
        frameworks: FrameworkRegistry,
        clock: Clock,
        *,
        reader: DocumentReader | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self._store = store
        self._frameworks = frameworks
        self._clock = clock
        self._reader = reader
        self._limits = limits
        self._matchers: dict[str, Matcher] = {}

    def _framework(self, inspection: Inspection) -> tuple[Framework, Matcher]:
        framework = self._frameworks.get(inspection.framework)
        if framework.key not in self._matchers:
            self._matchers[framework.key] = Matcher(framework.checklist)
        return framework, self._matchers[framework.key]

    @staticmethod
    def _id(inspection: Inspection) -> int:
        if inspection.id is None:
            raise NotFound("this inspection has not been stored yet")
        return inspection.id

    async def state(self, inspection: Inspection) -> ChecklistState:
        """The checklist as it stands (for the card, "what's outstanding?", the chasers)."""
        framework, _ = self._framework(inspection)
        return build_state(framework, await self._store.load(self._id(inspection)))

    async def record_files(
        self,
        inspection: Inspection,
        files: Iterable[DocumentFile],
        *,
        removed: Iterable[str] = (),
    ) -> ChecklistState:
        """New or changed files (and ids of deleted ones) from a sync of the channel's Files.

        Unchanged files (same id, size and modified time) are not read again. Returns the new
        state; `new_questions` holds questions to post to the link officer.
        """
        inspection_id = self._id(inspection)
        framework, matcher = self._framework(inspection)
        records = await self._store.load(inspection_id)
        was_superseded = {
            ref.file_id for item in build_state(framework, records).items for ref in item.superseded
        }
        now = self._clock.now()
        context = context_for(inspection)
        events: list[HistoryEvent] = []
        new_questions: list[QuestionRecord] = []
        for file_id in removed:
            old = records.files.pop(file_id, None)
            if old is not None:
                await self._store.remove_file(inspection_id, file_id)
                events.append(HistoryEvent(now, "removed", f"{old.file.path} was deleted", file_id))
        for file in files:
            previous = records.files.get(file.file_id)
            if previous is not None and _same_version(previous.file, file):
                continue
            assessment = await assess_file(
                file,
                framework,
                context,
                matcher=matcher,
                mapping=records.mappings.get(file.file_id),
                reader=self._reader,
                limits=self._limits,
                now=now,
            )
            records.files[file.file_id] = assessment
            await self._store.save_file(inspection_id, assessment)
            events.append(_event_for(assessment, previous, now))
            question = await self._maybe_ask(inspection_id, records, assessment, now)
            if question is not None:
                new_questions.append(question)
                events.append(HistoryEvent(now, "asked", f"asked about {file.path}", file.file_id))
        after = build_state(framework, records)
        for item in after.items:
            for ref in item.superseded:
                if ref.file_id not in was_superseded:
                    events.append(
                        HistoryEvent(
                            now, "superseded", f"{ref.path} {ref.reason}", ref.file_id, item.key
                        )
                    )
        if events:
            await self._store.add_history(inspection_id, events)
        asked = {q.file_id for q in new_questions}
        return replace(after, new_questions=tuple(q for q in after.questions if q.file_id in asked))

    async def _maybe_ask(
        self,
        inspection_id: int,
        records: ChecklistRecords,
        assessment: FileAssessment,
        now: datetime,
    ) -> QuestionRecord | None:
        file_id = assessment.file.file_id
        if not assessment.ambiguous or file_id in records.mappings:
            return None
        options = tuple(c.item_key for c in assessment.candidates)
        existing = records.questions.get(file_id)
        if existing is not None and existing.answered_at is None and existing.options == options:
            return None
        question = QuestionRecord(file_id=file_id, options=options, asked_at=now)
        records.questions[file_id] = question
        await self._store.save_question(inspection_id, question)
        return question

    def _check_role(
        self, inspection: Inspection, by: str, allowed: frozenset[Role], what: str
    ) -> None:
        role = inspection.role_of(by)
        if role not in allowed:
            who = " or ".join(sorted(r.label for r in allowed))
            raise Forbidden(f"only the {who} can {what}")

    def _item(self, framework: Framework, matcher: Matcher, item_key: str) -> ChecklistItemSpec:
        for item in framework.checklist:
            if item.key == item_key:
                return item
        guesses = matcher.resolve(item_key)
        hint = (
            f"did you mean {', '.join(repr(i.key) for i in guesses[:3])}?"
            if guesses
            else f"the items are: {', '.join(i.key for i in framework.checklist)}"
        )
        raise NotFound(f"there is no checklist item {item_key!r}; {hint}")

    async def map_file(
        self, inspection: Inspection, file_id: str, item_key: str | None, *, by: str
    ) -> ChecklistState:
        """A person says what a file is ("this file is the staffing return"); None: "this file
        is not one of the checklist documents". Beats folder, name and content; re-runs the
        item's content checks."""
        inspection_id = self._id(inspection)
        framework, matcher = self._framework(inspection)
        self._check_role(inspection, by, MAPPERS, "say which item a file is")
        if item_key is not None:
            self._item(framework, matcher, item_key)
        records = await self._store.load(inspection_id)
        assessment = records.files.get(file_id)
        if assessment is None:
            raise NotFound(
                "that file is not in the inspection's Files (yet); upload it, then try again"
            )
        now = self._clock.now()
        mapping = ExplicitMapping(file_id, item_key, by, now)
        await self._store.save_mapping(inspection_id, mapping)
        records.mappings[file_id] = mapping
        reassessed = await assess_file(
            assessment.file,
            framework,
            context_for(inspection),
            matcher=matcher,
            mapping=mapping,
            reader=self._reader,
            limits=self._limits,
            now=now,
        )
        records.files[file_id] = reassessed
        await self._store.save_file(inspection_id, reassessed)
        what = item_key or "not a checklist document"
        events = [
            HistoryEvent(now, "mapped", f"{assessment.file.path} is {what}", file_id, item_key, by)
        ]
        question = records.questions.get(file_id)
        if question is not None and question.answered_at is None:
            answered = replace(question, answered_at=now, answer=item_key or "", answered_by=by)
            records.questions[file_id] = answered
            await self._store.save_question(inspection_id, answered)
            events.append(HistoryEvent(now, "answered", f"answered: {what}", file_id, item_key, by))
        await self._store.add_history(inspection_id, events)
        return build_state(framework, records)

    async def answer_question(
        self, inspection: Inspection, file_id: str, item_key: str | None, *, by: str
    ) -> ChecklistState:
        """The link officer's answer to "Is 'Data Nov.xlsx' A or B?" (None: neither)."""
        records = await self._store.load(self._id(inspection))
        question = records.questions.get(file_id)
        if question is None:
            raise NotFound("there is no question about that file")
        if question.answered_at is not None:
            raise InspectionError(
                "that question was already answered; to change the answer, say which item the "
                "file is"
            )
        return await self.map_file(inspection, file_id, item_key, by=by)

    async def waive(
        self, inspection: Inspection, item_key: str, reason: str, *, by: str
    ) -> ChecklistState:
        """Mark an item as not needed, with the reason (7.2: the SER only if it has changed)."""
        inspection_id = self._id(inspection)
        framework, matcher = self._framework(inspection)
        self._check_role(inspection, by, WAIVERS, "waive a checklist item")
        item = self._item(framework, matcher, item_key)
        text = " ".join(reason.split())
        if not text:
            raise InspectionError(
                f"say why {item.title} is not needed, e.g. 'not significantly changed since "
                "last year'"
            )
        if len(text) > MAX_WAIVER_REASON:
            raise InspectionError(
                f"the reason is {len(text)} characters; keep it under {MAX_WAIVER_REASON}"
            )
        now = self._clock.now()
        await self._store.save_waiver(inspection_id, Waiver(item_key, text, by, now))
        await self._store.add_history(
            inspection_id, [HistoryEvent(now, "waived", text, None, item_key, by)]
        )
        return await self.state(inspection)

    async def unwaive(self, inspection: Inspection, item_key: str, *, by: str) -> ChecklistState:
        inspection_id = self._id(inspection)
        framework, matcher = self._framework(inspection)
        self._check_role(inspection, by, WAIVERS, "withdraw a waiver")
        self._item(framework, matcher, item_key)
        await self._store.remove_waiver(inspection_id, item_key)
        await self._store.add_history(
            inspection_id,
            [HistoryEvent(self._clock.now(), "unwaived", "waiver withdrawn", None, item_key, by)],
        )
        return await self.state(inspection)

    async def history(self, inspection: Inspection) -> list[HistoryEvent]:
        """Every change, oldest first: matches, new versions, mappings, waivers, answers."""
        return await self._store.history(self._id(inspection))

    async def find_files(self, inspection: Inspection, words: str) -> list[FileRef]:
        """Files whose name contains `words` ("Data Nov"), newest first: for "this file is
        the staffing return" when the person names the file rather than attaching it."""
        wanted = " ".join(words.lower().split())
        if not wanted:
            return []
        records = await self._store.load(self._id(inspection))
        found = [
            a
            for a in records.files.values()
            if wanted in " ".join(a.file.name.lower().split()) and not a.ignored
        ]
        return [_ref(a.file, a.reason, a.confidence) for a in _newest_first(found)]

    def resolve_item(self, inspection: Inspection, words: str) -> list[ChecklistItemSpec]:
        """Items a person may mean ("the staffing return" -> staffing_data), best first."""
        _, matcher = self._framework(inspection)
        return matcher.resolve(words)


def _same_version(old: DocumentFile, new: DocumentFile) -> bool:
    return (
        old.name == new.name
        and old.folder == new.folder
        and old.size == new.size
        and old.modified == new.modified
    )


def _event_for(
    assessment: FileAssessment, previous: FileAssessment | None, now: datetime
) -> HistoryEvent:
    file = assessment.file
    if assessment.ignored:
        return HistoryEvent(now, "ignored", f"{file.path}: {assessment.ignored}", file.file_id)
    verb = "updated" if previous is not None else "matched"
    if assessment.item_key is None:
        return HistoryEvent(now, verb, f"{file.path}: {assessment.reason}", file.file_id)
    return HistoryEvent(
        now,
        verb,
        f"{file.path} -> {assessment.item_key} ({assessment.reason})",
        file.file_id,
        assessment.item_key,
    )


class InMemoryChecklistStore:
    """A `ChecklistStore` in memory (the CLI, tests)."""

    def __init__(self) -> None:
        self._records: dict[int, ChecklistRecords] = {}
        self._history: dict[int, list[HistoryEvent]] = {}

    def _get(self, inspection_id: int) -> ChecklistRecords:
        return self._records.setdefault(inspection_id, ChecklistRecords())

    async def load(self, inspection_id: int) -> ChecklistRecords:
        records = self._get(inspection_id)
        return ChecklistRecords(
            dict(records.files),
            dict(records.mappings),
            dict(records.waivers),
            dict(records.questions),
        )

    async def save_file(self, inspection_id: int, assessment: FileAssessment) -> None:
        self._get(inspection_id).files[assessment.file.file_id] = assessment

    async def remove_file(self, inspection_id: int, file_id: str) -> None:
        self._get(inspection_id).files.pop(file_id, None)

    async def save_mapping(self, inspection_id: int, mapping: ExplicitMapping) -> None:
        self._get(inspection_id).mappings[mapping.file_id] = mapping

    async def save_waiver(self, inspection_id: int, waiver: Waiver) -> None:
        self._get(inspection_id).waivers[waiver.item_key] = waiver

    async def remove_waiver(self, inspection_id: int, item_key: str) -> None:
        self._get(inspection_id).waivers.pop(item_key, None)

    async def save_question(self, inspection_id: int, question: QuestionRecord) -> None:
        self._get(inspection_id).questions[question.file_id] = question

    async def add_history(self, inspection_id: int, events: Sequence[HistoryEvent]) -> None:
        self._history.setdefault(inspection_id, []).extend(events)

    async def history(self, inspection_id: int) -> list[HistoryEvent]:
        return list(self._history.get(inspection_id, []))


__all__ = [
    "Candidate",
    "ChecklistRecords",
    "ChecklistState",
    "ChecklistStore",
    "DocumentFile",
    "DocumentReader",
    "Evidence",
    "ExplicitMapping",
    "FileAssessment",
    "FileRef",
    "HistoryEvent",
    "InMemoryChecklistStore",
    "InspectionChecklist",
    "ItemState",
    "ItemStatus",
    "Question",
    "QuestionRecord",
    "Waiver",
    "assess_file",
    "build_state",
    "ignored_reason",
]
