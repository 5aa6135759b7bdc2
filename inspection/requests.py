"""The information request log (7.3): one list of every request and its answer.

7.3: "All requests for information will be contained in one list so the provider and the
Inspection Team are clear about what information has been sought, and what the response was
to each query." Requests are "shared by child ID" (7.3) and never name a child (9.7).

How the adapters use this module:
- the bot calls `RequestLog` from its commands ("request <text> [for <case ref>] [due <date>]",
  "requests open", "close IR-007", "IR-004 is answered", "show IR-004", the message action
  "Log as information request", card buttons "Mark answered"/"Close");
- the scheduler reads what is due with `due_on`, `overdue`, `opened_between`,
  `answered_between` (provider view by default: nothing inspectors-only);
- the store implements `RequestRepository`.

Every operation takes the person acting (`Person`); their role comes from the inspection
(`Inspection.role_of`), so role rules live here, not in the bot. A refused operation raises an
`InspectionError` whose text says what was wrong and who can do it.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from inspection.calendar import WorkingCalendar
from inspection.clock import Clock, local_today
from inspection.errors import Conflict, Forbidden, InspectionError, NotFound
from inspection.frameworks import Framework, FrameworkRegistry
from inspection.model import INSPECTOR_ROLES, PROVIDER_ROLES, Inspection, Person, Role
from inspection.privacy import Finding, check_text, find_case_refs, redact, safe_file_name
from inspection.repository import InspectionRepository

log = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_NOTE = 4000
MAX_THEME = 120
MAX_FILES = 20
# A new request at least this similar to a live one is flagged as a possible duplicate.
SIMILARITY_THRESHOLD = 0.72
# Saving retries this many times when someone else changed the request in between, waiting a
# little longer (with jitter) each time so that several people answering at once all get in.
SAVE_ATTEMPTS = 12
RETRY_DELAY = 0.005

Audience = Literal["inspectors", "provider"]


class RequestStatus(StrEnum):
    OPEN = "open"  # waiting for the provider
    ANSWERED = "answered"  # the provider says it is answered; an inspector checks it
    ACCEPTED = "accepted"  # an inspector accepted the answer: the request is closed
    FOLLOW_UP = "follow_up"  # re-opened with a follow-up question and a new due date
    WITHDRAWN = "withdrawn"  # no longer needed

    @property
    def label(self) -> str:
        return {
            RequestStatus.OPEN: "open",
            RequestStatus.ANSWERED: "answered",
            RequestStatus.ACCEPTED: "accepted",
            RequestStatus.FOLLOW_UP: "follow-up",
            RequestStatus.WITHDRAWN: "withdrawn",
        }[self]


# Waiting for the provider: these are chased when overdue.
WAITING_STATUSES = frozenset({RequestStatus.OPEN, RequestStatus.FOLLOW_UP})
# Still live (not closed): duplicates are looked for among these.
LIVE_STATUSES = frozenset({RequestStatus.OPEN, RequestStatus.FOLLOW_UP, RequestStatus.ANSWERED})
CLOSED_STATUSES = frozenset({RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Who may do what. 6.2: the link officer handles information requests for the service;
# 6.3/9.2: the lead inspector (and the team) own the inspection and its evidence.
LOG_ROLES = INSPECTOR_ROLES
ANSWER_ROLES = PROVIDER_ROLES | INSPECTOR_ROLES  # inspectors may record an answer given in person
ACCEPT_ROLES = INSPECTOR_ROLES
FOLLOW_UP_ROLES = INSPECTOR_ROLES
WITHDRAW_ROLES = INSPECTOR_ROLES
REASSIGN_ROLES = INSPECTOR_ROLES
CHANGE_DUE_ROLES = INSPECTOR_ROLES
NOTE_ROLES = INSPECTOR_ROLES
READ_ROLES = frozenset(Role)
INSPECTOR_ONLY = "the lead inspector or an inspector"


class RequestRefused(InspectionError):
    """The request's state does not allow this (e.g. closing an accepted request)."""


class NeedsConfirmation(InspectionError):
    """Nothing was saved: the text may name a child or repeats a live request.

    The bot shows the message, then repeats the call with `confirm=True` (or edited text).
    """

    def __init__(self, message: str, check: Precheck) -> None:
        super().__init__(message)
        self.check = check


class StaleRequest(Conflict):
    """Someone changed the request after the caller looked at it; `current` is how it is now."""

    def __init__(self, message: str, current: InformationRequest) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class LinkedFile:
    """A file in the channel that answers a request (a link, never a copy)."""

    name: str
    web_url: str | None = None
    item_id: str | None = None
    drive_id: str | None = None
    id: int | None = None

    @property
    def display_name(self) -> str:
        """The name to show in a card: any child's name in it replaced (9.7)."""
        return safe_file_name(self.name)


@dataclass(frozen=True)
class Answer:
    """One response from the provider; several partial answers may come before the last."""

    text: str
    answered_by: Person
    answered_at: datetime
    files: tuple[LinkedFile, ...] = ()
    complete: bool = True  # False: a partial answer, the request stays waiting
    id: int | None = None


@dataclass(frozen=True)
class FollowUp:
    """A follow-up question on the same request; it re-opens the request with a new due date."""

    text: str
    asked_by: Person
    asked_at: datetime
    due_on: date
    id: int | None = None


@dataclass(frozen=True)
class Note:
    """An internal note: inspectors only, never shown to provider staff."""

    text: str
    author: Person
    written_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """Who changed what, when (verbatim values). `internal` entries are inspectors-only."""

    at: datetime
    actor: Person
    action: str
    old: str | None = None
    new: str | None = None
    reason: str | None = None
    internal: bool = False
    id: int | None = None

    def describe(self) -> str:
        text = self.action
        if self.old is not None or self.new is not None:
            text += f": {self.old or '-'} -> {self.new or '-'}"
        if self.reason:
            text += f" ({self.reason})"
        return text


@dataclass(frozen=True)
class MessageSource:
    """The channel message a request was logged from (message action "Log as information
    request")."""

    message_id: str
    web_url: str | None = None
    author: Person | None = None


@dataclass(frozen=True)
class InformationRequest:
    inspection_id: int
    number: int
    text: str  # verbatim, as asked
    asked_by: Person
    asked_at: datetime  # UTC
    due_on: date  # a local date in the framework's time zone; due by the end of that day
    assignee: Person | None = None  # the link officer by default
    status: RequestStatus = RequestStatus.OPEN
    priority: Priority = Priority.NORMAL
    child_refs: tuple[str, ...] = ()
    theme: str | None = None
    source: MessageSource | None = None
    answers: tuple[Answer, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    notes: tuple[Note, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None
    version: int = 0

    @property
    def ref(self) -> str:
        return format_ref(self.number)

    @property
    def waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    def is_overdue(self, today: date) -> bool:
        """Waiting for the provider after the end of its due day (local date)."""
        return self.waiting and today > self.due_on

    @property
    def answered_at(self) -> datetime | None:
        """When the last answer came in."""
        return self.answers[-1].answered_at if self.answers else None

    @property
    def response_text(self) -> str:
        return "\n\n".join(answer.text for answer in self.answers if answer.text)

    @property
    def files(self) -> tuple[LinkedFile, ...]:
        return tuple(file for answer in self.answers for file in answer.files)

    def for_audience(self, audience: Audience) -> InformationRequest:
        """This request as `audience` may see it: provider staff never see internal notes."""
        if audience == "inspectors":
            return self
        return replace(
            self, notes=(), history=tuple(entry for entry in self.history if not entry.internal)
        )


@dataclass(frozen=True)
class RequestQuery:
    """What to list. Every field narrows the list; the default is every request."""

    statuses: frozenset[RequestStatus] | None = None
    due_from: date | None = None
    due_to: date | None = None
    child_ref: str | None = None
    asked_by: str | None = None  # Entra object id
    assignee: str | None = None  # Entra object id
    theme: str | None = None  # case-insensitive exact theme
    opened_from: datetime | None = None
    opened_to: datetime | None = None  # exclusive
    answered_from: datetime | None = None
    answered_to: datetime | None = None  # exclusive
    text: str | None = None  # case-insensitive substring of the request text
    numbers: frozenset[int] | None = None
    limit: int | None = None
    # A page after the first: only requests numbered above this one (the last one shown).
    after_number: int | None = None


def matches(request: InformationRequest, query: RequestQuery) -> bool:
    """Whether `request` is one `query` selects (the meaning every repository implements)."""
    checks = (
        query.statuses is None or request.status in query.statuses,
        query.due_from is None or request.due_on >= query.due_from,
        query.due_to is None or request.due_on <= query.due_to,
        query.asked_by is None or request.asked_by.aad_object_id == query.asked_by,
        query.assignee is None
        or (request.assignee is not None and request.assignee.aad_object_id == query.assignee),
        query.theme is None or (request.theme or "").lower() == query.theme.strip().lower(),
        query.opened_from is None or request.asked_at >= query.opened_from,
        query.opened_to is None or request.asked_at < query.opened_to,
        query.numbers is None or request.number in query.numbers,
        query.after_number is None or request.number > query.after_number,
        not query.text or query.text.lower() in request.text.lower(),
        query.child_ref is None or query.child_ref.strip().upper() in request.child_refs,
        (query.answered_from is None and query.answered_to is None)
        or any(
            (query.answered_from is None or answer.answered_at >= query.answered_from)
            and (query.answered_to is None or answer.answered_at < query.answered_to)
            for answer in request.answers
        ),
    )
    return all(checks)


@dataclass(frozen=True)
class RequestPage:
    """One page of a list, in number order: `total` requests match in all; `next_after` is
    the cursor of the next page (the last number shown), None on the last page."""

    requests: tuple[InformationRequest, ...]
    total: int
    next_after: int | None


# Requests on a page of a list card, and per batch of an export.
PAGE_SIZE = 25
EXPORT_BATCH = 500


@dataclass(frozen=True)
class NewRequest:
    """A request to store; the repository gives it its number (IR-nnn) atomically."""

    inspection_id: int
    text: str
    asked_by: Person
    asked_at: datetime
    due_on: date
    assignee: Person | None
    priority: Priority
    child_refs: tuple[str, ...]
    theme: str | None
    source: MessageSource | None
    history: tuple[HistoryEntry, ...]


class RequestRepository(Protocol):
    """Persistence of the request log (implemented in store/request_log.py)."""

    async def add(self, request: NewRequest) -> InformationRequest:
        """Store a new request with the next number for its inspection.

        Numbers never repeat and have no gaps, even when many requests are logged at once.
        """
        ...

    async def get(self, inspection_id: int, number: int) -> InformationRequest:
        """Raises NotFound when the inspection has no such request."""
        ...

    async def find(self, inspection_id: int, query: RequestQuery) -> list[InformationRequest]:
        """Matching requests in number order, with answers, follow-ups, notes and history."""
        ...

    async def update(self, request: InformationRequest) -> InformationRequest:
        """Save the request's fields and its new children (those with `id is None`).

        Raises Conflict when the stored version is not `request.version` (someone else saved
        first); returns the request with ids and version as stored.
        """
        ...


# Called after every change (e.g. to keep the Excel copy in the channel up to date).
ChangeListener = Callable[[Inspection, InformationRequest], Awaitable[None]]


@dataclass(frozen=True)
class Precheck:
    """What to ask the person before logging: possible child names or dates of birth, and
    live requests that look like this one."""

    findings: tuple[Finding, ...] = ()
    similar: tuple[InformationRequest, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.findings and not self.similar

    def message(self) -> str:
        parts: list[str] = []
        if self.findings:
            what = "; ".join(finding.hint for finding in self.findings)
            parts.append(
                f"This may name a child or give a date of birth ({what}). 9.7: use the case "
                "reference number instead (e.g. CR-104233). Edit the text, or confirm to log "
                "it as it is."
            )
        if self.similar:
            first = self.similar[0]
            others = f" and {len(self.similar) - 1} more" if len(self.similar) > 1 else ""
            parts.append(
                f"This looks like {first.ref}{others} ({first.status.label}, due "
                f'{first.due_on:%a %d %b}): "{_shorten(_private(first.text), 80)}". '
                "Log anyway?"
            )
        return " ".join(parts)


_REF = re.compile(r"^\s*IR[\s\-_]*0*(\d{1,6})\s*$|^\s*#?0*(\d{1,6})\s*$", re.IGNORECASE)
_CASE_REF = re.compile(r"^([A-Za-z]{1,6})[-/ ]?(\d{3,12})$")


def format_ref(number: int) -> str:
    """IR-001 ... IR-999, then IR-1000: numbers are never re-used."""
    return f"IR-{number:03d}"


def parse_ref(text: str) -> int:
    """The number in "IR-007", "ir7", "IR 7", "#7" or "7"; InspectionError otherwise."""
    match = _REF.match(text or "")
    if not match:
        raise InspectionError(
            f"{_shorten(text or '', 20)!r} is not a request id; use the id shown on the request, "
            "e.g. IR-007"
        )
    number = int(match.group(1) or match.group(2))
    if number < 1:
        raise InspectionError("request ids start at IR-001")
    return number


def normalise_case_ref(text: str) -> str:
    """A child's case reference in capitals ("cr-104233" -> "CR-104233"); refuses anything
    that is not a reference (9.7: a case reference, never a name)."""
    value = " ".join((text or "").split()).upper()
    match = _CASE_REF.match(value)
    if not match or match.group(1) == "IR":
        raise InspectionError(
            f"{_shorten(_private(text or ''), 24)!r} is not a case reference; use the child's "
            "case reference number from the service's recording system, e.g. CR-104233 (9.7)"
        )
    return f"{match.group(1)}-{match.group(2)}"


def audience_for(role: Role | None) -> Audience:
    """Inspectors see everything; anyone else sees the provider view (no internal notes)."""
    return "inspectors" if role in INSPECTOR_ROLES else "provider"


def similarity(a: str, b: str) -> float:
    """0..1: how alike two requests read: the overlap of their words, with plurals folded and
    misspelt words ("supervison") counted as the word meant."""
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return 0.0
    shared = len(words_a & words_b)
    unmatched = sorted(word for word in words_b - words_a if len(word) >= 4)
    for word in sorted(words_a - words_b):
        if len(word) < 4:
            continue  # "CIN" and "CP" are different things, not typos of each other
        close = difflib.get_close_matches(word, unmatched, n=1, cutoff=0.8)
        if close:
            shared += 1
            unmatched.remove(close[0])
    return shared / (len(words_a) + len(words_b) - shared)


_STOPWORDS_TEXT = (
    "a an and are as at be by can could for from have in is it me of on or our please provide "
    "send share the their this to us we with you your all any copy copies"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _words(text: str) -> frozenset[str]:
    return frozenset(
        _stem(word) for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in _STOPWORDS
    )


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _private(text: str) -> str:
    """`text` fit to repeat in a warning: any name or date of birth in it replaced (9.7). A
    confirmed name stays in the stored text as the person confirmed it, never in a warning."""
    return redact(text, check_text(text))


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class RequestLog:
    """The request log's operations. Collaborators are ports; nothing here talks to Teams."""

    def __init__(
        self,
        repository: RequestRepository,
        inspections: InspectionRepository,
        frameworks: FrameworkRegistry,
        clock: Clock,
        *,
        extra_closures: Iterable[date] = (),
        listeners: Sequence[ChangeListener] = (),
        similarity_threshold: float = SIMILARITY_THRESHOLD,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self._repository = repository
        self._inspections = inspections
        self._frameworks = frameworks
        self._clock = clock
        self._closures = tuple(extra_closures)
        self._listeners = list(listeners)
        self._threshold = similarity_threshold
        self._retry_delay = retry_delay

    def add_listener(self, listener: ChangeListener) -> None:
        """Call `listener` after every stored change (failures are logged, never raised)."""
        self._listeners.append(listener)

    # ----------------------------------------------------------------------------- dates ----

    def framework_of(self, inspection: Inspection) -> Framework:
        return self._frameworks.get(inspection.framework)

    def calendar_of(self, inspection: Inspection) -> WorkingCalendar:
        return self.framework_of(inspection).calendar_for(self._closures)

    def today(self, inspection: Inspection) -> date:
        """Today's date in the inspection's time zone."""
        return local_today(self._clock, self.framework_of(inspection).zone)

    def default_due(self, inspection: Inspection, today: date | None = None) -> date:
        """7.3 (framework `requests`): end of the next working day on site, 5 working days off
        site, counted on the inspection's working-day calendar from today (local)."""
        rules = self.framework_of(inspection).requests
        calendar = self.calendar_of(inspection)
        day = today or self.today(inspection)
        onsite = inspection.onsite_start <= day <= inspection.onsite_end
        count = rules.due_onsite_working_days if onsite else rules.due_offsite_working_days
        if count == 0:
            return calendar.next_working_day(day)
        return calendar.add_working_days(day, count)

    def _check_due(self, inspection: Inspection, due_on: date) -> date:
        today = self.today(inspection)
        if due_on < today:
            raise InspectionError(
                f"the due date {due_on:%a %d %b %Y} is in the past; give today or a later date"
            )
        calendar = self.calendar_of(inspection)
        if not calendar.is_working_day(due_on):
            why = calendar.holiday_name(due_on) or due_on.strftime("%A")
            suggestion = calendar.next_working_day(due_on)
            raise InspectionError(
                f"{due_on:%a %d %b %Y} is not a working day ({why}); "
                f"use {suggestion:%a %d %b %Y} instead"
            )
        return due_on

    # ------------------------------------------------------------------------- checking ----

    def privacy_terms(self, inspection: Inspection) -> tuple[str, ...]:
        """The framework's own proper nouns the privacy guard never flags (9.7)."""
        return self.framework_of(inspection).privacy.proper_nouns

    def check_privacy(self, inspection: Inspection, text: str) -> tuple[Finding, ...]:
        """Possible child names or dates of birth in a free text of this inspection (9.7)."""
        return tuple(check_text(text, terms=self.privacy_terms(inspection)))

    async def check_privacy_of(self, inspection_id: int, text: str) -> tuple[Finding, ...]:
        """`check_privacy` for the inspection with this id."""
        return self.check_privacy(await self._inspections.get(inspection_id), text)

    def _confirm_private(self, inspection: Inspection, text: str, confirm: bool) -> None:
        if confirm or not text:
            return
        findings = self.check_privacy(inspection, text)
        if findings:
            check = Precheck(findings)
            raise NeedsConfirmation(check.message(), check)

    async def precheck(
        self, inspection_id: int, text: str, child_refs: Sequence[str] = ()
    ) -> Precheck:
        """Possible child names/dates of birth in `text`, and live requests very like it."""
        inspection = await self._inspections.get(inspection_id)
        return await self._precheck(inspection, inspection_id, text, child_refs)

    async def _precheck(
        self, inspection: Inspection, inspection_id: int, text: str, child_refs: Sequence[str]
    ) -> Precheck:
        findings = self.check_privacy(inspection, text)
        refs = {normalise_case_ref(ref) for ref in child_refs} | set(find_case_refs(text))
        live = await self._repository.find(
            inspection_id, RequestQuery(statuses=frozenset(LIVE_STATUSES))
        )
        scored = []
        for other in live:
            # Requests about different children are different requests, however alike.
            if refs and other.child_refs and not refs & set(other.child_refs):
                continue
            score = similarity(text, other.text)
            if score >= self._threshold:
                scored.append((score, other.number, other))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return Precheck(findings, tuple(item[2].for_audience("provider") for item in scored))

    # ------------------------------------------------------------------------ operations ----

    async def log(
        self,
        inspection_id: int,
        actor: Person,
        text: str,
        *,
        child_refs: Sequence[str] = (),
        theme: str | None = None,
        due_on: date | None = None,
        priority: Priority | str = Priority.NORMAL,
        assignee: str | None = None,
        source: MessageSource | None = None,
        confirm: bool = False,
    ) -> InformationRequest:
        """Log a new request (inspectors). The text is stored verbatim.

        Without `confirm`, a text that may name a child or that repeats a live request raises
        `NeedsConfirmation` and nothing is stored. Child references are taken from
        `child_refs` and from the text itself ("CR-104233"). The due date defaults to the
        framework's (`default_due`); `assignee` (Entra id) defaults to the link officer.
        """
        inspection = await self._inspections.get(inspection_id)
        self._require(inspection, actor, LOG_ROLES, "log an information request")
        _check_text(text, "the request")
        refs = _merge_refs(child_refs, text)
        if theme is not None:
            theme = " ".join(theme.split()) or None
            if theme and len(theme) > MAX_THEME:
                raise InspectionError(f"the theme is too long; keep it under {MAX_THEME}")
        try:
            level = Priority(str(priority).lower())
        except ValueError:
            raise InspectionError(
                f"unknown priority {priority!r}; use one of: {', '.join(p.value for p in Priority)}"
            ) from None
        due = self._check_due(inspection, due_on) if due_on else self.default_due(inspection)
        person_for = self._assignee(inspection, assignee)
        if not confirm:
            check = await self._precheck(inspection, inspection_id, text, refs)
            if not check.clean:
                raise NeedsConfirmation(check.message(), check)
        now = self._clock.now()
        history = [HistoryEntry(now, actor, "logged", new=f"due {due.isoformat()}")]
        if source is not None:
            history.append(HistoryEntry(now, actor, "logged from a message", new=source.web_url))
        stored = await self._repository.add(
            NewRequest(
                inspection_id=inspection_id,
                text=text,
                asked_by=actor,
                asked_at=now,
                due_on=due,
                assignee=person_for,
                priority=level,
                child_refs=refs,
                theme=theme,
                source=source,
                history=tuple(history),
            )
        )
        await self._notify(inspection, stored)
        return stored

    async def answer(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        text: str = "",
        *,
        files: Sequence[LinkedFile] = (),
        complete: bool = True,
        confirm: bool = False,
    ) -> InformationRequest:
        """Record a response (link officer, director; inspectors may record one given in
        person): text and/or files. `complete=False` is a partial answer: the request keeps
        waiting. Answers are added, never replaced, so two people answering at once both count.
        """
        if not text.strip() and not files:
            raise InspectionError(
                "an answer needs some text or at least one file; say what you are sending or "
                "attach the file"
            )
        if text:
            _check_text(text, "the answer")
        if len(files) > MAX_FILES:
            raise InspectionError(f"attach at most {MAX_FILES} files to one answer")
        if text and not confirm:
            self._confirm_private(await self._inspections.get(inspection_id), text, confirm)

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            if request.status == RequestStatus.ACCEPTED:
                raise RequestRefused(
                    f"{request.ref} was already accepted and is closed; if more is needed, ask "
                    f"{INSPECTOR_ONLY} to ask a follow-up"
                )
            if request.status == RequestStatus.WITHDRAWN:
                raise RequestRefused(f"{request.ref} was withdrawn; it needs no answer")
            answer = Answer(text, actor, now, tuple(files), complete)
            status = RequestStatus.ANSWERED if complete else request.status
            described = f"{len(files)} file(s)" if files else None
            entry = HistoryEntry(
                now,
                actor,
                "answered" if complete else "partly answered",
                old=request.status.value if status != request.status else None,
                new=described,
            )
            return replace(
                request,
                answers=(*request.answers, answer),
                status=status,
                history=(*request.history, entry),
            )

        return await self._change(inspection_id, ref, actor, ANSWER_ROLES, "answer", change)

    async def accept(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        *,
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Accept the answer and close the request (inspectors; "close IR-007")."""

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            if request.status == RequestStatus.ACCEPTED:
                raise RequestRefused(
                    f"{request.ref} is already closed: {_closed_by(request)}. To re-open it, "
                    "ask a follow-up"
                )
            if request.status == RequestStatus.WITHDRAWN:
                raise RequestRefused(f"{request.ref} was withdrawn; there is no answer to accept")
            if not request.answers:
                raise RequestRefused(
                    f"{request.ref} has no answer yet, so there is nothing to accept; if it is no "
                    "longer needed, withdraw it"
                )
            return _transition(request, RequestStatus.ACCEPTED, actor, now, "accepted")

        return await self._change(
            inspection_id, ref, actor, ACCEPT_ROLES, "accept", change, expected_version
        )

    async def follow_up(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        text: str,
        *,
        due_on: date | None = None,
        confirm: bool = False,
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Ask a follow-up question (inspectors): the request re-opens (status follow_up) with a
        new due date (default as for a new request); the question is kept with the original."""
        _check_text(text, "the follow-up")
        inspection = await self._inspections.get(inspection_id)
        due = self._check_due(inspection, due_on) if due_on else self.default_due(inspection)
        self._confirm_private(inspection, text, confirm)

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            if request.status == RequestStatus.WITHDRAWN:
                raise RequestRefused(
                    f"{request.ref} was withdrawn; log a new request instead of a follow-up"
                )
            if not request.answers:
                raise RequestRefused(
                    f"{request.ref} has not been answered yet; change its due date or add to it "
                    "once the first answer is in"
                )
            follow = FollowUp(text, actor, now, due)
            entry = HistoryEntry(
                now, actor, "follow-up asked", old=request.due_on.isoformat(), new=due.isoformat()
            )
            return replace(
                request,
                status=RequestStatus.FOLLOW_UP,
                due_on=due,
                closed_at=None,
                follow_ups=(*request.follow_ups, follow),
                history=(*request.history, entry),
            )

        return await self._change(
            inspection_id, ref, actor, FOLLOW_UP_ROLES, "ask a follow-up", change, expected_version
        )

    async def withdraw(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        *,
        reason: str = "",
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Withdraw a request that is no longer needed (inspectors)."""

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            if request.status == RequestStatus.ACCEPTED:
                raise RequestRefused(
                    f"{request.ref} is already closed ({_closed_by(request)}), so it cannot be "
                    "withdrawn"
                )
            if request.status == RequestStatus.WITHDRAWN:
                raise RequestRefused(f"{request.ref} is already withdrawn")
            return _transition(
                request, RequestStatus.WITHDRAWN, actor, now, "withdrawn", reason.strip() or None
            )

        return await self._change(
            inspection_id, ref, actor, WITHDRAW_ROLES, "withdraw", change, expected_version
        )

    async def reassign(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        to: str,
        *,
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Make the request for someone else in the inspection (inspectors); `to` is an
        Entra object id of a member."""
        inspection = await self._inspections.get(inspection_id)
        person = self._assignee(inspection, to)

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            _require_live(request, "reassigned")
            if request.assignee and person and request.assignee.aad_object_id == to:
                raise RequestRefused(f"{request.ref} is already for {person.name}")
            entry = HistoryEntry(
                now,
                actor,
                "reassigned",
                old=request.assignee.name if request.assignee else None,
                new=person.name if person else None,
            )
            return replace(request, assignee=person, history=(*request.history, entry))

        return await self._change(
            inspection_id, ref, actor, REASSIGN_ROLES, "reassign", change, expected_version
        )

    async def change_due(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        due_on: date,
        reason: str,
        *,
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Move the due date (inspectors); the reason is kept in the history."""
        if not reason or not reason.strip():
            raise InspectionError(
                "say why the due date changes, e.g. 'due 2024-03-07 because the team is "
                "collating records'"
            )
        inspection = await self._inspections.get(inspection_id)
        due = self._check_due(inspection, due_on)

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            _require_live(request, "given a new due date")
            if request.due_on == due:
                raise RequestRefused(f"{request.ref} is already due on {due:%a %d %b %Y}")
            entry = HistoryEntry(
                now,
                actor,
                "due date changed",
                old=request.due_on.isoformat(),
                new=due.isoformat(),
                reason=reason.strip(),
            )
            return replace(request, due_on=due, history=(*request.history, entry))

        return await self._change(
            inspection_id, ref, actor, CHANGE_DUE_ROLES, "change the due date of", change,
            expected_version,
        )  # fmt: skip

    async def add_note(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        text: str,
        *,
        confirm: bool = False,
    ) -> InformationRequest:
        """Add an internal note (inspectors only; never shown to provider staff).

        9.7 holds for inspectors' own notes too: without `confirm`, a note that may name a
        child raises `NeedsConfirmation` and nothing is stored.
        """
        _check_text(text, "the note", MAX_NOTE)
        if not confirm:
            self._confirm_private(await self._inspections.get(inspection_id), text, confirm)

        def change(request: InformationRequest, now: datetime) -> InformationRequest:
            note = Note(text, actor, now)
            entry = HistoryEntry(now, actor, "internal note added", internal=True)
            return replace(request, notes=(*request.notes, note), history=(*request.history, entry))

        return await self._change(inspection_id, ref, actor, NOTE_ROLES, "add notes to", change)

    # --------------------------------------------------------------------------- reading ----

    async def get(self, inspection_id: int, ref: str | int, viewer: Person) -> InformationRequest:
        """One request as `viewer` may see it (members of the inspection only)."""
        inspection = await self._inspections.get(inspection_id)
        role = self._require(inspection, viewer, READ_ROLES, "see")
        number = ref if isinstance(ref, int) else parse_ref(ref)
        request = await self._repository.get(inspection_id, number)
        return request.for_audience(audience_for(role))

    async def find(
        self, inspection_id: int, viewer: Person, query: RequestQuery | None = None
    ) -> list[InformationRequest]:
        """Requests matching `query`, as `viewer` may see them (members only)."""
        inspection = await self._inspections.get(inspection_id)
        role = self._require(inspection, viewer, READ_ROLES, "see")
        # Text search looks at request text only, never at internal notes (provider safe).
        found = await self._repository.find(inspection_id, query or RequestQuery())
        audience = audience_for(role)
        return [request.for_audience(audience) for request in found]

    async def all_requests(
        self, inspection_id: int, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Every request (for exports); `audience` decides whether internal notes are kept."""
        found = await self._repository.find(inspection_id, RequestQuery())
        return [request.for_audience(audience) for request in found]

    async def waiting_counts(self, inspection_id: int, today: date) -> tuple[int, int]:
        """(waiting, overdue as of `today`) for a summary such as `status`.

        Counted by the database when the repository can (no request is loaded for a
        count); otherwise from the waiting requests."""
        count = getattr(self._repository, "count_waiting", None)
        if count is not None:
            waiting, overdue = await count(inspection_id, today)
            return int(waiting), int(overdue)
        found = await self._repository.find(inspection_id, RequestQuery(statuses=WAITING_STATUSES))
        return len(found), sum(1 for request in found if request.is_overdue(today))

    async def list_for(
        self, inspection: Inspection, viewer: Person, query: RequestQuery | None = None
    ) -> list[InformationRequest]:
        """`find` for a list of requests, for an inspection already loaded: each request's own
        fields (number, status, due date, text, assignee) without answers, follow-ups, notes,
        history or case references when the repository can load just those."""
        if inspection.id is None:
            raise NotFound("this inspection has not been stored yet")
        self._require(inspection, viewer, READ_ROLES, "see")
        summaries = getattr(self._repository, "find_summaries", None)
        if summaries is None:
            return await self.find(inspection.id, viewer, query)
        found: list[InformationRequest] = await summaries(inspection.id, query or RequestQuery())
        return found  # nothing internal is loaded: the same for every audience

    async def list_page(
        self,
        inspection: Inspection,
        viewer: Person,
        query: RequestQuery | None = None,
        *,
        after: int | None = None,
        size: int = PAGE_SIZE,
    ) -> RequestPage:
        """One page of `list_for`: the requests numbered above `after` (None: the first page),
        at most `size`, and how many match in all (counted by the database)."""
        if size < 1:
            raise ValueError("a page holds at least one request")
        if after is not None and after < 0:
            raise RequestRefused("this list's 'more' button is out of date; ask for the list again")
        base = query or RequestQuery()
        found = await self.list_for(
            inspection, viewer, replace(base, after_number=after, limit=size + 1)
        )
        assert inspection.id is not None
        count = getattr(self._repository, "count_matching", None)
        if count is not None:
            total = int(await count(inspection.id, replace(base, limit=None)))
        else:
            total = len(await self._repository.find(inspection.id, replace(base, limit=None)))
        shown = tuple(found[:size])
        more = len(found) > size and bool(shown)
        return RequestPage(shown, total, shown[-1].number if more else None)

    async def batches(
        self,
        inspection_id: int,
        audience: Audience = "provider",
        *,
        size: int = EXPORT_BATCH,
    ) -> AsyncIterator[list[InformationRequest]]:
        """Every request with its answers, notes and history, `size` at a time in number
        order: an export streams them instead of holding every request's history at once."""
        after: int | None = None
        while True:
            found = await self._repository.find(
                inspection_id, RequestQuery(after_number=after, limit=size)
            )
            if not found:
                return
            yield [request.for_audience(audience) for request in found]
            if len(found) < size:
                return
            after = found[-1].number

    async def open_requests(
        self, inspection_id: int, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests waiting for the provider, in number order."""
        return await self.matching(inspection_id, RequestQuery(statuses=WAITING_STATUSES), audience)

    async def due_on(
        self, inspection_id: int, day: date, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests waiting for the provider that fall due on `day` (local date)."""
        query = RequestQuery(statuses=WAITING_STATUSES, due_from=day, due_to=day)
        return await self.matching(inspection_id, query, audience)

    async def due_between(
        self, inspection_id: int, start: date, end: date, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Waiting requests due from `start` to `end`, both included ("due this week")."""
        query = RequestQuery(statuses=WAITING_STATUSES, due_from=start, due_to=end)
        return await self.matching(inspection_id, query, audience)

    async def overdue(
        self, inspection_id: int, as_of: date, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests still waiting whose due day ended before `as_of` (local date)."""
        query = RequestQuery(statuses=WAITING_STATUSES, due_to=as_of - timedelta(days=1))
        return await self.matching(inspection_id, query, audience)

    async def opened_between(
        self, inspection_id: int, start: datetime, end: datetime, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests logged in [start, end) (UTC instants), e.g. since the previous KIT."""
        query = RequestQuery(opened_from=start, opened_to=end)
        return await self.matching(inspection_id, query, audience)

    async def answered_between(
        self, inspection_id: int, start: datetime, end: datetime, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests with an answer recorded in [start, end) (UTC instants)."""
        query = RequestQuery(answered_from=start, answered_to=end)
        return await self.matching(inspection_id, query, audience)

    async def matching(
        self, inspection_id: int, query: RequestQuery, audience: Audience = "provider"
    ) -> list[InformationRequest]:
        """Requests matching `query` for a system caller (scheduler, CLI) as `audience` sees
        them; people go through `find`, which checks their membership."""
        found = await self._repository.find(inspection_id, query)
        return [request.for_audience(audience) for request in found]

    # ---------------------------------------------------------------------------- helpers ----

    def _require(
        self, inspection: Inspection, actor: Person, roles: frozenset[Role], what: str
    ) -> Role:
        role = inspection.role_of(actor.aad_object_id)
        if role is None:
            raise Forbidden(
                "you are not part of this inspection; ask the lead inspector to add you"
            )
        if role not in roles:
            who = INSPECTOR_ONLY if roles <= INSPECTOR_ROLES else "members of the inspection"
            raise Forbidden(f"only {who} can {what} information requests; you are the {role.label}")
        return role

    def _assignee(self, inspection: Inspection, aad_object_id: str | None) -> Person | None:
        if aad_object_id is None:
            member = inspection.link_officer or inspection.director
            return Person(member.aad_object_id, member.display_name) if member else None
        for member in inspection.members:
            if member.aad_object_id == aad_object_id:
                return Person(member.aad_object_id, member.display_name)
        raise InspectionError(
            "that person is not part of this inspection; a request can only be for a member of "
            "it (usually the link officer)"
        )

    async def _change(
        self,
        inspection_id: int,
        ref: str | int,
        actor: Person,
        roles: frozenset[Role],
        what: str,
        change: Callable[[InformationRequest, datetime], InformationRequest],
        expected_version: int | None = None,
    ) -> InformationRequest:
        """Load, change, save with the optimistic version check.

        With `expected_version` (a card button showing a given state), a newer stored version
        means the person acted on an old view: `StaleRequest` tells them how it is now. Without
        it (a typed command), the change is re-applied to the newest version, so nothing that
        someone else saved in between is lost.
        """
        inspection = await self._inspections.get(inspection_id)
        self._require(inspection, actor, roles, what)
        number = ref if isinstance(ref, int) else parse_ref(ref)
        for attempt in range(SAVE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, self._retry_delay * attempt))
            current = await self._repository.get(inspection_id, number)
            if expected_version is not None and current.version != expected_version:
                raise _stale(current)
            now = self._clock.now()
            changed = change(current, now)
            try:
                stored = await self._repository.update(replace(changed, updated_at=now))
            except Conflict:
                if expected_version is not None:
                    raise _stale(await self._repository.get(inspection_id, number)) from None
                continue
            await self._notify(inspection, stored)
            return stored
        raise Conflict(
            f"{format_ref(number)} is being changed by several people at once; "
            "look at it again in a moment and repeat your change if it is still needed"
        )

    async def _notify(self, inspection: Inspection, request: InformationRequest) -> None:
        for listener in self._listeners:
            try:
                await listener(inspection, request)
            except Exception:  # a failed copy must never undo or block the change itself
                log.exception("request listener failed", extra={"request": request.ref})


def _check_text(text: str, what: str, limit: int = MAX_TEXT) -> None:
    if not text or not text.strip():
        raise InspectionError(
            f"{what} is empty; say what information is needed, e.g. "
            "'request supervision notes for CR-104233'"
        )
    if len(text) > limit:
        raise InspectionError(
            f"{what} is {len(text)} characters; keep it under {limit}, or attach a document "
            "with the detail"
        )


def _merge_refs(child_refs: Sequence[str], text: str) -> tuple[str, ...]:
    refs: list[str] = []
    for ref in (*(normalise_case_ref(ref) for ref in child_refs), *find_case_refs(text)):
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def _transition(
    request: InformationRequest,
    status: RequestStatus,
    actor: Person,
    now: datetime,
    action: str,
    reason: str | None = None,
) -> InformationRequest:
    entry = HistoryEntry(now, actor, action, request.status.value, status.value, reason)
    closed = now if status in CLOSED_STATUSES else None
    return replace(request, status=status, closed_at=closed, history=(*request.history, entry))


def _require_live(request: InformationRequest, what: str) -> None:
    if request.status in CLOSED_STATUSES:
        raise RequestRefused(
            f"{request.ref} is {request.status.label}, so it cannot be {what}; ask a follow-up "
            "to re-open it"
        )


def _closed_by(request: InformationRequest) -> str:
    for entry in reversed(request.history):
        if entry.new == request.status.value:
            return f"{request.status.label} by {entry.actor.name} on {entry.at:%d %b %Y}"
    return request.status.label


def _stale(current: InformationRequest) -> StaleRequest:
    # The refusal may be shown where provider staff read it: it names the last change anyone
    # may see, never an inspectors-only entry (an internal note, or who wrote it).
    shared = [entry for entry in current.history if not entry.internal]
    last = shared[-1] if shared else None
    by = f" ({last.action} by {last.actor.name})" if last else ""
    return StaleRequest(
        f"{current.ref} changed while you were looking at it: it is now "
        f"{current.status.label}{by}. Your change was not applied; check it and try again if it "
        "is still needed.",
        current,
    )


__all__ = [
    "ANSWER_ROLES",
    "CLOSED_STATUSES",
    "LIVE_STATUSES",
    "WAITING_STATUSES",
    "Answer",
    "Audience",
    "ChangeListener",
    "FollowUp",
    "HistoryEntry",
    "InformationRequest",
    "LinkedFile",
    "MessageSource",
    "NeedsConfirmation",
    "NewRequest",
    "Note",
    "Person",
    "Precheck",
    "Priority",
    "RequestLog",
    "RequestQuery",
    "RequestRefused",
    "RequestRepository",
    "RequestStatus",
    "StaleRequest",
    "audience_for",
    "format_ref",
    "matches",
    "normalise_case_ref",
    "parse_ref",
    "similarity",
]
