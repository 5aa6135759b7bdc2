"""Creating an inspection and re-planning it when dates move."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inspection.clock import FixedClock
from inspection.errors import PlanningError
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import InspectionService
from inspection.model import Member, Role
from store.database import Database
from store.inspections import SqlInspectionRepository


@pytest.fixture
def service(sqlite_database: Database, frameworks: FrameworkRegistry) -> InspectionService:
    clock = FixedClock(datetime(2024, 1, 15, 9, tzinfo=UTC))
    return InspectionService(SqlInspectionRepository(sqlite_database), frameworks, clock)


async def _create(service: InspectionService, **changes: object) -> int:
    arguments: dict[str, object] = {
        "framework": "jcc-children-social-care",
        "inspection_type": "full",
        "service_name": "  Children's   Social Work Service ",
        "onsite_start": date(2024, 3, 4),
        "onsite_end": date(2024, 3, 8),
        "members": (Member("aad-lead", Role.LEAD_INSPECTOR),),
    }
    arguments.update(changes)
    inspection, _ = await service.create(**arguments)  # type: ignore[arg-type]
    assert inspection.id is not None
    return inspection.id


async def test_create_tidies_the_name_and_plans(service: InspectionService) -> None:
    inspection_id = await _create(service)
    inspection, timeline = await service.timeline(inspection_id)
    assert inspection.service_name == "Children's Social Work Service"
    assert timeline.get("documents_due").date == date(2024, 2, 19)


async def test_notice_given_replans_the_upload_deadline(service: InspectionService) -> None:
    inspection_id = await _create(service)
    inspection, timeline = await service.record_event(inspection_id, "notice", date(2024, 2, 1))
    assert inspection.notice_date == date(2024, 2, 1)
    assert timeline.get("documents_due").date == date(2024, 2, 15)
    _, reloaded = await service.timeline(inspection_id)
    assert reloaded.get("documents_due").date == date(2024, 2, 15)


async def test_moving_onsite_replans_and_keeps_actual_dates(service: InspectionService) -> None:
    inspection_id = await _create(service, notice=date(2024, 2, 1))
    inspection, timeline = await service.move_onsite(
        inspection_id, date(2024, 3, 11), date(2024, 3, 15)
    )
    assert inspection.onsite_start == date(2024, 3, 11)
    assert timeline.get("notice").date == date(2024, 2, 1)
    assert timeline.get("draft_report_due").date == date(2024, 4, 12)


async def test_bad_moves_and_events_change_nothing(service: InspectionService) -> None:
    inspection_id = await _create(service)
    with pytest.raises(PlanningError, match="is before its start"):
        await service.move_onsite(inspection_id, date(2024, 3, 11), date(2024, 3, 1))
    with pytest.raises(PlanningError, match="unknown event 'lunch'"):
        await service.record_event(inspection_id, "lunch", date(2024, 3, 1))
    inspection, _ = await service.timeline(inspection_id)
    assert inspection.onsite_start == date(2024, 3, 4) and inspection.version == 1


async def test_empty_or_overlong_service_names_are_refused(service: InspectionService) -> None:
    with pytest.raises(PlanningError, match="give the name of the service"):
        await _create(service, service_name="   ")
    with pytest.raises(PlanningError, match="keep it under 120"):
        await _create(service, service_name="x" * 121)
