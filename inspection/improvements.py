"""Areas for improvement (handbook 10.5) and their deadlines.

10.5: "The Commission may ask that these areas are addressed and reported on within a 3, 6 or
9-month timeframe." Each area gets its deadline counted in calendar months from the report's
publication; a deadline that lands on a day off is brought forward to the previous working day
so that the provider is never late because of a weekend. Progress-update reminders before each
deadline come from the framework's `reminders:` rules (subject: improvements).
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from inspection.calendar import WorkingCalendar
from inspection.clock import Clock
from inspection.errors import NotFound, PlanningError
from inspection.frameworks import Framework, FrameworkRegistry
from inspection.model import Inspection
from inspection.repository import InspectionRepository

MAX_TEXT = 2000


@dataclass(frozen=True)
class AreaForImprovement:
    inspection_id: int
    number: int  # AFI-1, AFI-2 ... per inspection
    text: str
    timeframe_months: int
    standard: str | None = None  # the standard it relates to, e.g. "Standard 3.2"
    completed_on: date | None = None
    progress: str | None = None  # the provider's latest progress update
    id: int | None = None
    created_at: datetime | None = None

    @property
    def reference(self) -> str:
        return f"AFI-{self.number}"

    @property
    def open(self) -> bool:
        return self.completed_on is None


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months on (the month's last day if it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = month_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def improvement_deadline(published: date, timeframe_months: int, calendar: WorkingCalendar) -> date:
    """10.5: the area is addressed and reported on within the timeframe from publication."""
    return calendar.previous_working_day(add_months(published, timeframe_months))


def publication_date(inspection: Inspection) -> date | None:
    """Deadlines run from the report's actual publication; none until it is recorded."""
    return inspection.actuals.get("published")


class ImprovementRepository(Protocol):
    async def add(self, area: AreaForImprovement) -> AreaForImprovement:
        """Store a new area; gives it the next number for its inspection and an id."""
        ...

    async def for_inspection(self, inspection_id: int) -> list[AreaForImprovement]: ...

    async def for_inspections(
        self, inspection_ids: list[int]
    ) -> dict[int, list[AreaForImprovement]]: ...

    async def update(self, area: AreaForImprovement) -> AreaForImprovement: ...


class ImprovementService:
    """Record the report's areas for improvement and the provider's progress on them."""

    def __init__(
        self,
        repository: ImprovementRepository,
        inspections: InspectionRepository,
        frameworks: FrameworkRegistry,
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._inspections = inspections
        self._frameworks = frameworks
        self._clock = clock

    def _framework(self, inspection: Inspection) -> Framework:
        framework = self._frameworks.get(inspection.framework)
        if framework.improvement is None:
            raise PlanningError(
                f"the {framework.title} framework has no areas for improvement; "
                "record them against an inspection under a framework that has them"
            )
        return framework

    async def add(
        self, inspection_id: int, text: str, timeframe_months: int, standard: str | None = None
    ) -> AreaForImprovement:
        inspection = await self._inspections.get(inspection_id)
        framework = self._framework(inspection)
        assert framework.improvement is not None
        allowed = framework.improvement.timeframes_months
        if timeframe_months not in allowed:
            raise PlanningError(
                f"{timeframe_months} months is not a timeframe this framework uses "
                f"({framework.improvement.source}); choose one of: "
                f"{', '.join(str(m) for m in allowed)} months"
            )
        clean = " ".join(text.split())
        if not clean:
            raise PlanningError("say what needs to improve, e.g. 'Care plans are not updated'")
        if len(clean) > MAX_TEXT:
            raise PlanningError(
                f"the area for improvement is {len(clean)} characters; keep it under {MAX_TEXT}"
            )
        area = AreaForImprovement(
            inspection_id=inspection_id,
            number=0,
            text=clean,
            timeframe_months=timeframe_months,
            standard=standard.strip() if standard and standard.strip() else None,
            created_at=self._clock.now(),
        )
        return await self._repository.add(area)

    async def areas(self, inspection_id: int) -> list[AreaForImprovement]:
        await self._inspections.get(inspection_id)
        return await self._repository.for_inspection(inspection_id)

    async def _find(self, inspection_id: int, reference: str) -> AreaForImprovement:
        wanted = reference.strip().upper()
        for area in await self._repository.for_inspection(inspection_id):
            if area.reference == wanted:
                return area
        raise NotFound(
            f"there is no {wanted} in inspection {inspection_id}; "
            "list the areas for improvement to see their references"
        )

    async def record_progress(
        self, inspection_id: int, reference: str, progress: str, *, completed: bool = False
    ) -> AreaForImprovement:
        """The provider's progress update; `completed` stops its reminders."""
        area = await self._find(inspection_id, reference)
        text = " ".join(progress.split())
        if not text:
            raise PlanningError("write the progress made, e.g. 'Care plans audited monthly'")
        inspection = await self._inspections.get(inspection_id)
        today = self._clock.now().astimezone(self._framework(inspection).zone).date()
        changed = replace(area, progress=text, completed_on=today if completed else None)
        return await self._repository.update(changed)

    async def deadlines(self, inspection_id: int) -> list[tuple[AreaForImprovement, date | None]]:
        """Each area with its deadline (None until the report's publication is recorded)."""
        inspection = await self._inspections.get(inspection_id)
        framework = self._framework(inspection)
        published = publication_date(inspection)
        calendar = framework.calendar_for()
        return [
            (
                area,
                improvement_deadline(published, area.timeframe_months, calendar)
                if published
                else None,
            )
            for area in await self._repository.for_inspection(inspection_id)
        ]
