"""What the reminder planner reads, adapted from the request log and the checklist services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from inspection.checklist import InspectionChecklist
from inspection.reminders import RequestSnapshot
from inspection.repository import InspectionRepository
from inspection.requests import (
    WAITING_STATUSES,
    InformationRequest,
    RequestQuery,
    RequestRepository,
    format_ref,
)
from store.database import Database
from store.request_log import ANSWER, RequestChildRefRow, RequestEntryRow, RequestRow

SUMMARY_CHARS = 140
# Inspections per query when reading every inspection's requests at once.
_CHUNK = 200
_WAITING = frozenset(status.value for status in WAITING_STATUSES)


def _summary(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1] + "…"


def snapshot_of(request: InformationRequest) -> RequestSnapshot:
    return RequestSnapshot(
        reference=request.ref,
        summary=_summary(request.text),
        due=request.due_on,
        opened_at=request.asked_at,
        answered_at=request.answered_at,
        # 7.3: chased while waiting for the provider (open or a follow-up).
        is_open=request.waiting,
        case_ref=", ".join(request.child_refs) or None,
    )


class RequestLogSource:
    """`RequestSource` over the request log's repository."""

    def __init__(self, repository: RequestRepository) -> None:
        self._repository = repository

    async def snapshot(self, inspection_id: int) -> Sequence[RequestSnapshot]:
        found = await self._repository.find(inspection_id, RequestQuery())
        return [snapshot_of(request) for request in found]


class StoreRequestSource:
    """`BulkRequestSource` reading only what reminders need, for many inspections at once.

    A tick reads the requests of every active inspection: three queries per 200 inspections
    instead of a request log load (with notes and history) per inspection.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    async def snapshot(self, inspection_id: int) -> Sequence[RequestSnapshot]:
        return (await self.snapshots([inspection_id])).get(inspection_id, [])

    async def snapshots(self, inspection_ids: Sequence[int]) -> dict[int, list[RequestSnapshot]]:
        found: dict[int, list[RequestSnapshot]] = {}
        ids = list(dict.fromkeys(inspection_ids))
        async with self._db.session() as session:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows = (
                    await session.execute(
                        select(
                            RequestRow.id,
                            RequestRow.inspection_id,
                            RequestRow.number,
                            RequestRow.text,
                            RequestRow.due_on,
                            RequestRow.asked_at,
                            RequestRow.status,
                        )
                        .where(RequestRow.inspection_id.in_(chunk))
                        .order_by(RequestRow.inspection_id, RequestRow.number)
                    )
                ).all()
                if not rows:
                    continue
                in_chunk = select(RequestRow.id).where(RequestRow.inspection_id.in_(chunk))
                refs: dict[int, list[str]] = {}
                for request_id, case_ref in await session.execute(
                    select(RequestChildRefRow.request_id, RequestChildRefRow.case_ref)
                    .where(RequestChildRefRow.request_id.in_(in_chunk))
                    .order_by(RequestChildRefRow.request_id, RequestChildRefRow.position)
                ):
                    refs.setdefault(request_id, []).append(case_ref)
                answered: dict[int, datetime] = dict(
                    (
                        await session.execute(
                            select(RequestEntryRow.request_id, func.max(RequestEntryRow.at))
                            .where(
                                RequestEntryRow.request_id.in_(in_chunk),
                                RequestEntryRow.kind == ANSWER,
                            )
                            .group_by(RequestEntryRow.request_id)
                        )
                    ).all()
                )
                for request_id, inspection_id, number, text, due_on, asked_at, status in rows:
                    found.setdefault(inspection_id, []).append(
                        RequestSnapshot(
                            reference=format_ref(number),
                            summary=_summary(text),
                            due=due_on,
                            opened_at=asked_at,
                            answered_at=_utc(answered.get(request_id)),
                            is_open=status in _WAITING,
                            case_ref=", ".join(refs.get(request_id, [])) or None,
                        )
                    )
        return found


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite forgets the zone of an aggregate; the store keeps UTC."""
    from datetime import UTC

    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ChecklistServiceSource:
    """`ChecklistSource` over the checklist service: required items missing or needing attention."""

    def __init__(self, checklist: InspectionChecklist, inspections: InspectionRepository) -> None:
        self._checklist = checklist
        self._inspections = inspections

    async def missing(self, inspection_id: int) -> Sequence[str]:
        inspection = await self._inspections.get(inspection_id)
        state = await self._checklist.state(inspection)
        titles = [item.title for item in state.missing_required()]
        titles += [
            f"{item.title} (needs attention: {'; '.join(item.problems) or 'see the checklist'})"
            for item in state.needing_attention()
            if item.required
        ]
        return titles
