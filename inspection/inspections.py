"""Creating and re-planning inspections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from inspection.clock import Clock
from inspection.errors import PlanningError
from inspection.frameworks import FrameworkRegistry
from inspection.model import ACTUAL_EVENTS, Inspection, Member
from inspection.repository import InspectionRepository
from inspection.timeline import Timeline, plan

MAX_SERVICE_NAME = 120


def timeline_for(
    inspection: Inspection, frameworks: FrameworkRegistry, *, allow_late_notice: bool = True
) -> Timeline:
    """The inspection's dated milestones as they stand now (actual dates included).

    A stored inspection may already carry a late notice (it was accepted with a warning when
    recorded), so planning a stored record never refuses it.
    """
    framework = frameworks.get(inspection.framework)
    month = inspection.onsite_start if framework.kind == "monthly_cycle" else None
    return plan(
        framework,
        inspection.inspection_type,
        onsite_start=inspection.onsite_start,
        onsite_end=inspection.onsite_end,
        month=month,
        actuals=inspection.actuals,
        allow_late_notice=allow_late_notice,
    )


async def channels_of_other_inspections(
    repository: InspectionRepository, inspection_id: int | None
) -> frozenset[str]:
    """Channel ids recorded for every inspection but this one (closed ones included): channel
    setup must never adopt one of them."""
    return frozenset(
        other.channel.channel_id
        for other in await repository.list_all(include_closed=True)
        if other.channel is not None and other.id != inspection_id
    )


class InspectionService:
    def __init__(
        self, repository: InspectionRepository, frameworks: FrameworkRegistry, clock: Clock
    ) -> None:
        self._repository = repository
        self._frameworks = frameworks
        self._clock = clock

    async def create(
        self,
        *,
        framework: str,
        inspection_type: str,
        service_name: str,
        onsite_start: date,
        onsite_end: date,
        notice: date | None = None,
        members: tuple[Member, ...] = (),
        allow_late_notice: bool = False,
    ) -> tuple[Inspection, Timeline]:
        """Store a new inspection after checking that its dates make a valid timeline."""
        name = " ".join(service_name.split())
        if not name:
            raise PlanningError("give the name of the service being inspected")
        if len(name) > MAX_SERVICE_NAME:
            raise PlanningError(
                f"the service name is {len(name)} characters; keep it under {MAX_SERVICE_NAME}"
            )
        inspection = Inspection(
            framework=framework,
            inspection_type=inspection_type,
            service_name=name,
            onsite_start=onsite_start,
            onsite_end=onsite_end,
            members=members,
            actuals={"notice": notice} if notice else {},
        )
        # Planning first refuses bad dates before anything is stored.
        timeline = timeline_for(inspection, self._frameworks, allow_late_notice=allow_late_notice)
        stored = await self._repository.add(inspection)
        return stored, timeline

    async def record_event(
        self, inspection_id: int, event: str, when: date | None
    ) -> tuple[Inspection, Timeline]:
        """Record that an event happened ("notice given 2024-02-01"); re-plans downstream."""
        if event not in ACTUAL_EVENTS:
            raise PlanningError(f"unknown event {event!r}; one of: {', '.join(ACTUAL_EVENTS)}")
        inspection = await self._repository.get(inspection_id)
        changed = inspection.with_actual(event, when)
        timeline = timeline_for(changed, self._frameworks)
        return await self._repository.update(changed), timeline

    async def move_onsite(
        self, inspection_id: int, start: date, end: date
    ) -> tuple[Inspection, Timeline]:
        """Move the on-site dates; every milestone anchored on them moves too."""
        inspection = await self._repository.get(inspection_id)
        changed = replace(inspection, onsite_start=start, onsite_end=end)
        timeline = timeline_for(changed, self._frameworks)
        return await self._repository.update(changed), timeline

    async def timeline(self, inspection_id: int) -> tuple[Inspection, Timeline]:
        inspection = await self._repository.get(inspection_id)
        return inspection, timeline_for(inspection, self._frameworks)
