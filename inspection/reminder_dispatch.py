"""One scheduler tick: ask the planner what is due now, claim it in the outbox, send it.

Exactly once: every reminder item's idempotency key is claimed in the outbox (a unique key;
claims for one inspection happen in one transaction) before anything is sent, then marked sent
or failed. A restart finds today's keys already sent; a second instance finds them claimed; a
failed send is retried on a later tick while the reminder is still worth sending and is shown
to the lead inspector in the meantime.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from inspection.calendar import WorkingCalendar
from inspection.clock import Clock, local_today
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.frameworks import Framework, FrameworkRegistry
from inspection.improvements import AreaForImprovement
from inspection.inspections import timeline_for
from inspection.model import Inspection, InspectionStatus
from inspection.notifier import DeliveryStatus, Notifier
from inspection.reminder_messages import Digest, digests
from inspection.reminders import (
    ChecklistSource,
    ReminderItem,
    ReminderState,
    RequestSnapshot,
    RequestSource,
    Snooze,
    due_now,
    items_on,
    next_change,
)
from inspection.repository import InspectionRepository

log = logging.getLogger(__name__)

OutboxStatus = Literal["claimed", "sent", "failed"]


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    inspection_id: int
    rule: str
    subject: str
    due_on: date
    recipient: str
    status: OutboxStatus
    summary: str = ""
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


class Outbox(Protocol):
    async def claim(
        self,
        inspection_id: int,
        items: Sequence[ReminderItem],
        *,
        now: datetime,
        token: str,
        lease: timedelta,
    ) -> set[str]:
        """Atomically claim the keys nobody has sent or is sending; returns those claimed.

        A failed key whose retry time has come, or a claim older than `lease` (its instance
        died mid-send), may be claimed again.
        """
        ...

    async def mark_sent(
        self, keys: Sequence[str], *, token: str, now: datetime, activity_id: str | None
    ) -> None: ...

    async def mark_failed(
        self, keys: Sequence[str], *, token: str, now: datetime, detail: str, retry_at: datetime
    ) -> None: ...

    async def failures(self, inspection_id: int) -> list[OutboxEntry]:
        """Reminders that could not be delivered (newest first), for the lead inspector."""
        ...

    async def entries(self, inspection_id: int) -> list[OutboxEntry]: ...

    async def settled(self, keys: Sequence[str], *, now: datetime, lease: timedelta) -> set[str]:
        """Of `keys`, those nobody may claim now: sent, being sent, or failed and not yet due
        for a retry. A read: most ticks find everything settled and write nothing."""
        ...

    async def snoozes(self, inspection_ids: Sequence[int], today: date) -> list[Snooze]:
        """Snoozes still in force on or after `today`."""
        ...

    async def snooze(self, snooze: Snooze, *, by: str, now: datetime) -> None: ...

    async def pending(
        self, inspection_ids: Sequence[int], *, now: datetime, lease: timedelta
    ) -> dict[int, datetime]:
        """Per inspection, the first moment after `now` at which one of its keys may be
        claimed again: a failed send's retry time, or when a claim in progress is abandoned."""
        ...


@dataclass(frozen=True)
class PlannedMoment:
    """What a tick found: the inspection's reminders cannot change before `next_check_at`
    (None: not before something is written), as planned from the schedule's `version`
    (None: the inspection had no schedule row)."""

    inspection_id: int
    version: int | None
    next_check_at: datetime | None


class ReminderSchedule(Protocol):
    """When each inspection's reminders could next change. Every write that changes what is
    due (a request, an answer, a moved date, a snooze, an area for improvement, a member)
    marks its inspection in the same transaction: due at once, with a new version."""

    async def due(self, now: datetime) -> dict[int, int]:
        """Inspection id -> version of those whose moment has come or that changed."""
        ...

    async def versions(self) -> dict[int, int]:
        """Inspection id -> version of every inspection with a row."""
        ...

    async def record(self, moments: Sequence[PlannedMoment]) -> None:
        """Store the moments whose inspection still has the version read before planning."""
        ...


class ImprovementSource(Protocol):
    async def for_inspections(
        self, inspection_ids: list[int]
    ) -> dict[int, list[AreaForImprovement]]: ...


@dataclass
class TickReport:
    inspections: int = 0
    messages_sent: int = 0
    items_sent: int = 0
    messages_failed: int = 0
    already_claimed: int = 0
    errors: list[str] = field(default_factory=list)


def _shows_checklist(frameworks: FrameworkRegistry) -> dict[str, frozenset[str]]:
    """Framework key -> the rules whose messages show the checklist."""
    return {
        framework.key: frozenset(
            rule.key for rule in framework.reminders if rule.subject in ("checklist", "kit_agenda")
        )
        for framework in frameworks
    }


class ReminderDispatcher:
    def __init__(
        self,
        *,
        inspections: InspectionRepository,
        frameworks: FrameworkRegistry,
        outbox: Outbox,
        notifier: Notifier,
        clock: Clock,
        checklist: ChecklistSource | None = None,
        requests: RequestSource | None = None,
        improvements: ImprovementSource | None = None,
        extra_closures: Iterable[date] = (),
        delayed_after: timedelta = timedelta(hours=1),
        retry_after: timedelta = timedelta(minutes=15),
        lease: timedelta = timedelta(minutes=10),
        instance: str | None = None,
        concurrency: int = 8,
        schedule: ReminderSchedule | None = None,
    ) -> None:
        self._inspections = inspections
        self._frameworks = frameworks
        self._outbox = outbox
        self._notifier = notifier
        self._clock = clock
        self._checklist = checklist
        self._requests = requests
        self._improvements = improvements
        self._closures = tuple(extra_closures)
        self._calendars: dict[str, WorkingCalendar] = {}
        self.delayed_after = delayed_after
        self.retry_after = retry_after
        self.lease = lease
        self.instance = instance or uuid.uuid4().hex[:12]
        self.concurrency = max(1, concurrency)
        self._shows_checklist = _shows_checklist(frameworks)
        # With a schedule a tick plans only the inspections due in it; the first tick of this
        # process plans every one (the rules, closures or code may have changed since the
        # moments were stored), and so does every tick without a schedule.
        self._schedule = schedule
        self._planned_everything = False

    def calendar(self, framework: Framework) -> WorkingCalendar:
        found = self._calendars.get(framework.key)
        if found is None:
            found = self._calendars[framework.key] = framework.calendar_for(self._closures)
        return found

    async def state(
        self,
        inspection: Inspection,
        *,
        snoozes: Sequence[Snooze] = (),
        improvements: Sequence[AreaForImprovement] = (),
        requests: Sequence[RequestSnapshot] | None = None,
        with_checklist: bool = True,
    ) -> ReminderState:
        assert inspection.id is not None
        framework = self._frameworks.get(inspection.framework)
        missing = (
            tuple(await self._checklist.missing(inspection.id))
            if self._checklist and with_checklist
            else None
        )
        if requests is None and self._requests is not None:
            requests = await self._requests.snapshot(inspection.id)
        return ReminderState(
            inspection=inspection,
            framework=framework,
            timeline=timeline_for(inspection, self._frameworks),
            calendar=self.calendar(framework),
            missing_items=missing,
            requests=tuple(requests or ()),
            improvements=tuple(improvements),
            snoozes=tuple(snoozes),
        )

    async def _states(self, inspections: list[Inspection]) -> list[ReminderState]:
        ids = [i.id for i in inspections if i.id is not None]
        today = min(
            (local_today(self._clock, self._frameworks.get(i.framework).zone) for i in inspections),
            default=self._clock.now().date(),
        )
        snoozes = await self._outbox.snoozes(ids, today)
        # Each inspection reads the snoozes in force on its own day, whichever others share the
        # tick (the same answer when a tick plans only some of them).
        own_today = {
            i.id: local_today(self._clock, self._frameworks.get(i.framework).zone)
            for i in inspections
        }
        by_inspection: dict[int, list[Snooze]] = {}
        for snooze in snoozes:
            if snooze.until >= own_today.get(snooze.inspection_id, today):
                by_inspection.setdefault(snooze.inspection_id, []).append(snooze)
        areas = await self._improvements.for_inspections(ids) if self._improvements else {}
        bulk: dict[int, list[RequestSnapshot]] | None = None
        if self._requests is not None and hasattr(self._requests, "snapshots"):
            bulk = await self._requests.snapshots(ids)
        states = []
        for inspection in inspections:
            assert inspection.id is not None
            try:
                state = await self.state(
                    inspection,
                    snoozes=by_inspection.get(inspection.id, ()),
                    improvements=areas.get(inspection.id, ()),
                    requests=bulk.get(inspection.id, []) if bulk is not None else None,
                    # Read the checklist only for inspections with something that shows it.
                    with_checklist=False,
                )
                if inspection.status == InspectionStatus.CLOSED:
                    state = replace(state, only_subjects=frozenset({"improvements"}))
                states.append(state)
            except InspectionError as exc:
                log.warning("inspection %s skipped: %s", inspection.id, exc)
        return states

    async def tick(self) -> TickReport:
        """Send everything due by now that has not been sent; safe to run at any moment."""
        report = TickReport()
        now = self._clock.now()
        schedule = self._schedule
        versions: dict[int, int] = {}
        if schedule is not None and self._planned_everything:
            # Only the inspections whose moment has come or that changed since.
            versions = await schedule.due(now)
            every = await self._load(sorted(versions))
        else:
            if schedule is not None:
                versions = await schedule.versions()  # read before the state it is planned from
            every = await self._inspections.list_all(include_closed=True)
        with_open_areas: set[int] = set()
        if self._improvements is not None:
            closed_ids = [i.id for i in every if i.status == InspectionStatus.CLOSED and i.id]
            areas = await self._improvements.for_inspections(closed_ids) if closed_ids else {}
            with_open_areas = {key for key, found in areas.items() if any(a.open for a in found)}
        # Open inspections, and published ones whose areas for improvement are followed up.
        active = [
            i
            for i in every
            if i.id is not None and (i.status != InspectionStatus.CLOSED or i.id in with_open_areas)
        ]
        report.inspections = len(active)
        planned: list[tuple[Inspection, list[ReminderItem]]] = []
        # What each planned inspection's next moment is computed from (not those in error).
        planned_states: list[ReminderState] = []
        for state in await self._states(active):
            try:
                due = due_now(state, now)
                showing = self._shows_checklist.get(state.framework.key, frozenset())
                if self._checklist is not None and any(item.rule in showing for item in due):
                    assert state.inspection.id is not None
                    missing = tuple(await self._checklist.missing(state.inspection.id))
                    # Only the rules that show the checklist are planned again with it.
                    again = due_now(replace(state, missing_items=missing), now, showing)
                    due = sorted(
                        [item for item in due if item.rule not in showing] + again,
                        key=lambda item: (item.due_at, item.key),
                    )
            except InspectionError as exc:
                report.errors.append(f"inspection {state.inspection.id}: {exc}")
                continue
            planned_states.append(state)
            if due:
                planned.append((state.inspection, due))
        # One read for every key: what is already sent or being sent needs no claim.
        settled = await self._outbox.settled(
            [item.key for _, due in planned for item in due], now=now, lease=self.lease
        )
        report.already_claimed += len(settled)
        # Inspections are worked on side by side (sends wait on Teams, not on us); within one
        # inspection the digests go one after another.
        gate = asyncio.Semaphore(self.concurrency)

        unfinished: set[int] = set()

        async def work(inspection: Inspection, due: list[ReminderItem]) -> None:
            async with gate:
                if not await self._claim_and_send(inspection, due, now, report):
                    assert inspection.id is not None
                    unfinished.add(inspection.id)

        await asyncio.gather(
            *(
                work(inspection, [item for item in due if item.key not in settled])
                for inspection, due in planned
                if any(item.key not in settled for item in due)
            )
        )
        if schedule is not None:
            await self._record(schedule, versions, every, active, planned_states, unfinished, now)
        return report

    async def _load(self, ids: Sequence[int]) -> list[Inspection]:
        if not ids:
            return []
        many = getattr(self._inspections, "many", None)
        if many is not None:
            found: list[Inspection] = await many(ids)
            return found
        loaded = []
        for inspection_id in ids:
            try:
                loaded.append(await self._inspections.get(inspection_id))
            except NotFound:
                continue  # deleted since: its schedule row went with it
        return loaded

    async def _record(
        self,
        schedule: ReminderSchedule,
        versions: dict[int, int],
        every: list[Inspection],
        active: list[Inspection],
        planned: list[ReminderState],
        unfinished: set[int],
        now: datetime,
    ) -> None:
        """Store when each inspection this tick planned needs planning again. One that could
        not be planned or claimed is left due, so the next tick tries it again."""
        active_ids = {i.id for i in active}
        # Not followed up any more (published, no open area): nothing until a write.
        moments: dict[int, datetime | None] = {
            i.id: None for i in every if i.id is not None and i.id not in active_ids
        }
        for state in planned:
            inspection_id = state.inspection.id
            assert inspection_id is not None
            if inspection_id not in unfinished:
                moments[inspection_id] = next_change(state, now)
        retries = await self._outbox.pending(
            [i for i, moment in moments.items() if moment is not None], now=now, lease=self.lease
        )
        for inspection_id, retry in retries.items():
            moment = moments.get(inspection_id)
            if moment is not None and retry < moment:
                moments[inspection_id] = retry
        await schedule.record(
            [
                PlannedMoment(inspection_id, versions.get(inspection_id), moment)
                for inspection_id, moment in moments.items()
            ]
        )
        self._planned_everything = True

    async def _claim_and_send(
        self, inspection: Inspection, due: list[ReminderItem], now: datetime, report: TickReport
    ) -> bool:
        """Claim and send; False when the claim could not be made (nothing was sent)."""
        assert inspection.id is not None
        token = f"{self.instance}:{uuid.uuid4().hex[:12]}"
        try:
            claimed = await self._outbox.claim(
                inspection.id, due, now=now, token=token, lease=self.lease
            )
        except InspectionError as exc:  # e.g. the database went away: the next tick retries
            report.errors.append(f"inspection {inspection.id}: {exc}")
            return False
        report.already_claimed += len(due) - len(claimed)
        mine = [item for item in due if item.key in claimed]
        for digest in digests(mine, inspection, now, delayed_after=self.delayed_after):
            await self._send(digest, token, report)
        return True

    async def _send(self, digest: Digest, token: str, report: TickReport) -> None:
        now = self._clock.now()
        try:
            delivery = await self._notifier.send(digest.message)
        except Exception as exc:  # a notifier bug must not lose the claim: keep it as failed
            log.exception("sending reminders failed")
            status, detail, activity = DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}", None
        else:
            status, detail, activity = delivery.status, delivery.detail, delivery.activity_id
        if status == DeliveryStatus.SENT:
            await self._outbox.mark_sent(digest.keys, token=token, now=now, activity_id=activity)
            report.messages_sent += 1
            report.items_sent += len(digest.items)
            return
        if status == DeliveryStatus.NO_CONVERSATION and not detail:
            detail = "the bot has no conversation there yet; ask them to open a chat with the bot"
        await self._outbox.mark_failed(
            digest.keys,
            token=token,
            now=now,
            detail=detail or status.value,
            retry_at=now + self.retry_after,
        )
        report.messages_failed += 1

    async def preview(self, inspection_id: int, day: date) -> list[Digest]:
        """A dry run: the messages `day` would bring, as if each tick ran on time."""
        inspection = await self._inspections.get(inspection_id)
        snoozes = await self._outbox.snoozes([inspection_id], day)
        areas = (
            (await self._improvements.for_inspections([inspection_id])).get(inspection_id, [])
            if self._improvements
            else []
        )
        state = await self.state(inspection, snoozes=snoozes, improvements=areas)
        items = items_on(state, day)
        by_time: dict[datetime, list[ReminderItem]] = {}
        for item in items:
            by_time.setdefault(item.due_at, []).append(item)
        found: list[Digest] = []
        for moment in sorted(by_time):
            found += digests(by_time[moment], inspection, moment, delayed_after=self.delayed_after)
        return found

    async def snooze(self, inspection_id: int, series: Sequence[str], by: str) -> date:
        """'Snooze 1 day': quiet these series until the end of the next working day.

        People may snooze their own reminders and the channel's, never someone else's (a link
        officer cannot silence the director's escalation).
        """
        inspection = await self._inspections.get(inspection_id)
        if inspection.role_of(by) is None:
            raise Forbidden("only people in this inspection can snooze its reminders")
        if not series:
            raise NotFound("this card has no reminders to snooze; it may be out of date")
        framework = self._frameworks.get(inspection.framework)
        today = local_today(self._clock, framework.zone)
        until = self.calendar(framework).next_working_day(today, inclusive=False)
        for one in series:
            parts = one.split("|")
            if len(parts) != 4:
                raise NotFound("this card's snooze button is out of date; wait for the next one")
            recipient = parts[2]
            if recipient not in ("channel", f"person:{by}"):
                raise Forbidden("you can snooze your own reminders and the channel's, not others'")
        now = self._clock.now()
        for one in series:
            await self._outbox.snooze(Snooze(inspection_id, one, until), by=by, now=now)
        return until

    async def failures(self, inspection_id: int) -> list[OutboxEntry]:
        return await self._outbox.failures(inspection_id)
