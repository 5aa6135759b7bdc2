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
      checklist.resolve_item(inspection, "the staffing return")   # -> [staffing_data]
      await checklist.find_files(inspection, "Data Nov")          # files by (part of) name
      await checklist.recheck(inspection)   # after the on-site or notice dates change
      await checklist.history(inspection)   # every match, new version, mapping, waiver

Roles: the link officer, lead inspector and inspectors may say what a file is; the link
officer and lead inspector may waive an item (`Forbidden` for anyone else).

Status per item: `received`, `missing`, `needs_attention` (received with problems, or a question
about a file that may be this item is unanswered), `waived` (with the reason, 7.2: "an updated
Self-Evaluation Report if it has significantly changed"). A file received for a waived item
makes the item received again; the waiver is kept and shown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from inspection.clock import Clock
from inspection.documents.assessment import assess_file, context_for, ignored_reason
from inspection.documents.content import (
    DEFAULT_LIMITS,
    Limits,
)
from inspection.documents.matching import Matcher
from inspection.documents.records import (
    Candidate,
    ChecklistRecords,
    ChecklistStore,
    DocumentFile,
    DocumentReader,
    ExplicitMapping,
    FileAssessment,
    HistoryEvent,
    InMemoryChecklistStore,
    QuestionRecord,
    Waiver,
)
from inspection.documents.state import (
    ChecklistState,
    FileRef,
    ItemState,
    ItemStatus,
    Question,
    StateBuilder,
    build_state,
    file_ref,
    newest_first,
    question_text,
)
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.frameworks import ChecklistItemSpec, Framework, FrameworkRegistry
from inspection.model import Inspection, Role

MAX_WAIVER_REASON = 500
# Files read at the same time during one sync (downloads overlap; parsing is CPU-bound).
ASSESS_CONCURRENCY = 4
# How long a kept checklist state may be served without asking the store (writes through this
# process's store are seen at once; another process's within this many seconds), and how many
# inspections' states are kept. Two minutes: channel Files reach the checklist by a sync every
# FILE_SYNC_MINUTES (5) when notifications are quiet, so the checklist is already minutes
# behind the channel; a second instance's mapping or waiver shows here within two more.
STATE_CACHE_SECONDS = 120.0
STATE_CACHE_LIMIT = 1024
# 7.2: the link officer uploads and says what is what; the lead inspector may waive.
MAPPERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR, Role.INSPECTOR})
WAIVERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR})


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
        # (inspection id, framework) -> (store's change token, monotonic time, state).
        self._states: dict[tuple[int, str], tuple[object, float, ChecklistState]] = {}
        # The same key -> (token, time loaded, the records and the state kept file by file):
        # a sync's few changed files update it instead of every file being read again.
        self._builders: dict[tuple[int, str], tuple[object, float, StateBuilder]] = {}
        self._recording: dict[int, asyncio.Lock] = {}

    async def _builder(
        self, inspection_id: int, framework: Framework
    ) -> tuple[StateBuilder, float, object]:
        """The kept records and state when no write was made since (see `state`), else both
        loaded afresh; when they were loaded, and the store's change token they are as of."""
        token_of = getattr(self._store, "change_token", None)
        key = (inspection_id, framework.key)
        now = time.monotonic()
        token = token_of(inspection_id) if token_of is not None else None  # before the load
        kept = self._builders.get(key)
        if kept is not None and kept[0] == token and now - kept[1] < STATE_CACHE_SECONDS:
            return kept[2], kept[1], token
        return StateBuilder(framework, await self._store.load(inspection_id)), now, token

    def _keep(
        self,
        inspection_id: int,
        framework: Framework,
        builder: StateBuilder,
        loaded: float,
        state: ChecklistState,
        expected: object,
    ) -> None:
        """Keep the records and state as this process's own writes left them (`state` then
        serves without a reload), if the store's token says no other write came between."""
        token_of = getattr(self._store, "change_token", None)
        if token_of is None or token_of(inspection_id) != expected:
            self._builders.pop((inspection_id, framework.key), None)
            return
        for kept in (self._builders, self._states):
            if len(kept) >= STATE_CACHE_LIMIT:
                kept.clear()
        # As old as their load: another process's writes are seen within the same time.
        key, token = (inspection_id, framework.key), token_of(inspection_id)
        self._builders[key] = (token, loaded, builder)
        self._states[key] = (token, loaded, state)

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
        """The checklist as it stands (for the card, "what's outstanding?", the chasers).

        Read on every `status` and "what's outstanding?", written minutes apart (syncs,
        mappings, waivers), so the state is kept per inspection when the store gives a change
        token (rebuilding it from every file was 17 % of a turn). The token changes
        with every write made through this process's store, so those are seen at once; writes
        made by another process (a second instance, the CLI) are seen within
        `STATE_CACHE_SECONDS`, the trade-off for not asking the database on every read.
        """
        framework, _ = self._framework(inspection)
        inspection_id = self._id(inspection)
        token_of = getattr(self._store, "change_token", None)
        if token_of is None:
            return build_state(framework, await self._store.load(inspection_id))
        key = (inspection_id, framework.key)
        token = token_of(inspection_id)  # before the load: a write during it is not missed
        now = time.monotonic()
        cached = self._states.get(key)
        if cached is not None and cached[0] == token and now - cached[1] < STATE_CACHE_SECONDS:
            return cached[2]
        state = build_state(framework, await self._store.load(inspection_id))
        if len(self._states) >= STATE_CACHE_LIMIT:
            self._states.clear()
        self._states[key] = (token, now, state)
        return state

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
        lock = self._recording.setdefault(inspection_id, asyncio.Lock())
        async with lock:  # the kept records are changed in place: one recording at a time
            return await self._record(inspection, inspection_id, framework, matcher, files,
                                      removed)  # fmt: skip

    async def _record(
        self,
        inspection: Inspection,
        inspection_id: int,
        framework: Framework,
        matcher: Matcher,
        files: Iterable[DocumentFile],
        removed: Iterable[str],
    ) -> ChecklistState:
        builder, loaded, token = await self._builder(inspection_id, framework)
        try:
            state, writes = await self._record_into(
                inspection, inspection_id, framework, matcher, builder, files, removed
            )
        except BaseException:
            # Part-recorded: the kept records may be ahead of the store; read them again.
            self._builders.pop((inspection_id, framework.key), None)
            raise
        # The token counts writes (SqlChecklistStore, InMemoryChecklistStore): kept only when
        # the writes since the load are these ones.
        expected = token + writes if isinstance(token, int) else object()
        kept = replace(state, new_questions=())
        self._keep(inspection_id, framework, builder, loaded, kept, expected)
        return state

    async def _record_into(
        self,
        inspection: Inspection,
        inspection_id: int,
        framework: Framework,
        matcher: Matcher,
        builder: StateBuilder,
        files: Iterable[DocumentFile],
        removed: Iterable[str],
    ) -> tuple[ChecklistState, int]:
        """The new state, and how many writes were made to the store."""
        records = builder.records
        writes = 0
        now = self._clock.now()
        context = context_for(inspection)
        events: list[HistoryEvent] = []
        new_questions: list[QuestionRecord] = []
        touched: list[str] = []
        for file_id in removed:
            old = records.files.pop(file_id, None)
            if old is not None:
                touched.append(file_id)
                await self._store.remove_file(inspection_id, file_id)
                writes += 1
                events.append(HistoryEvent(now, "removed", f"{old.file.path} was deleted", file_id))
        changed = {
            file.file_id: file
            for file in files
            if file.file_id not in records.files
            or not _same_version(records.files[file.file_id].file, file)
        }
        # Downloads overlap (a few at a time); results are recorded in the order given.
        gate = asyncio.Semaphore(ASSESS_CONCURRENCY)

        async def assess(file: DocumentFile) -> FileAssessment:
            async with gate:
                return await assess_file(
                    file,
                    framework,
                    context,
                    matcher=matcher,
                    mapping=records.mappings.get(file.file_id),
                    reader=self._reader,
                    limits=self._limits,
                    now=now,
                )

        assessed = await asyncio.gather(*(assess(file) for file in changed.values()))
        for file, assessment in zip(changed.values(), assessed, strict=True):
            previous = records.files.get(file.file_id)
            records.files[file.file_id] = assessment
            touched.append(file.file_id)
            await self._store.save_file(inspection_id, assessment)
            writes += 1
            events.append(_event_for(assessment, previous, now))
            question = await self._maybe_ask(inspection_id, records, assessment, now)
            if question is not None:
                writes += 1
                new_questions.append(question)
                events.append(HistoryEvent(now, "asked", f"asked about {file.path}", file.file_id))
        # Only the changed files and the items they count for or ask about are worked out
        # again; the other items, and their superseded files, are as they were.
        before = builder.update(touched)
        was_superseded = {ref.file_id for item in before.values() for ref in item.superseded}
        for key in before:
            item = builder.item(key)
            for ref in item.superseded:
                if ref.file_id not in was_superseded:
                    events.append(
                        HistoryEvent(
                            now, "superseded", f"{ref.path} {ref.reason}", ref.file_id, item.key
                        )
                    )
        if events:
            await self._store.add_history(inspection_id, events)
            writes += 1
        after = builder.state()
        asked = {q.file_id for q in new_questions}
        new = tuple(q for q in after.questions if q.file_id in asked)
        return replace(after, new_questions=new), writes

    async def recheck(self, inspection: Inspection) -> ChecklistState:
        """Run the content checks again on every matched file, e.g. after the on-site dates
        moved or notice was recorded (audit dates and meeting dates depend on them). Needs a
        `DocumentReader` to fetch the files again."""
        inspection_id = self._id(inspection)
        framework, matcher = self._framework(inspection)
        if self._reader is None:
            raise InspectionError(
                "the documents cannot be fetched again here; they are checked again when they "
                "next change"
            )
        records = await self._store.load(inspection_id)
        checked = {item.key for item in framework.checklist if item.checks}
        now = self._clock.now()
        context = context_for(inspection)
        events: list[HistoryEvent] = []
        for file_id, old in list(records.files.items()):
            mapping = records.mappings.get(file_id)
            key = mapping.item_key if mapping else old.item_key
            if old.ignored or key not in checked:
                continue
            fresh = await assess_file(
                replace(old.file, load=None),  # a loader from an earlier sync may be stale
                framework,
                context,
                matcher=matcher,
                mapping=mapping,
                reader=self._reader,
                limits=self._limits,
                now=now,
            )
            records.files[file_id] = fresh
            await self._store.save_file(inspection_id, fresh)
            if fresh.problems != old.problems:
                events.append(
                    HistoryEvent(now, "rechecked", f"{old.file.path} checked again", file_id, key)
                )
        if events:
            await self._store.add_history(inspection_id, events)
        return build_state(framework, records)

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
        return [file_ref(a.file, a.reason, a.confidence) for a in newest_first(found)]

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


__all__ = [
    "Candidate",
    "ChecklistRecords",
    "ChecklistState",
    "ChecklistStore",
    "DocumentFile",
    "DocumentReader",
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
    "context_for",
    "ignored_reason",
    "question_text",
]
