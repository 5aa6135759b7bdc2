"""What the checklist stores: files and what they matched, mappings, waivers, questions,
history; the `ChecklistStore` port and an in-memory store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


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
