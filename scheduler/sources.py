"""What the reminder planner reads, adapted from the request log and the checklist services."""

from __future__ import annotations

from collections.abc import Sequence

from inspection.checklist import InspectionChecklist
from inspection.reminders import RequestSnapshot
from inspection.repository import InspectionRepository
from inspection.requests import InformationRequest, RequestQuery, RequestRepository

SUMMARY_CHARS = 140


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
