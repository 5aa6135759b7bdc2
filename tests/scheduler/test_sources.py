"""The request source the scheduler reads in bulk agrees with the request log itself."""

from __future__ import annotations

from datetime import UTC, date, datetime

from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.requests import Person, RequestLog
from scheduler.sources import RequestLogSource, StoreRequestSource
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository
from tests.scheduler.conftest import jcc_inspection


async def test_bulk_snapshots_match_the_request_log(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    inspections = SqlInspectionRepository(database)
    first = await inspections.add(jcc_inspection())
    second = await inspections.add(jcc_inspection())
    assert first.id is not None and second.id is not None
    clock = FixedClock(datetime(2026, 4, 20, 10, 0, tzinfo=UTC))
    repository = SqlRequestRepository(database)
    log = RequestLog(repository, inspections, frameworks, clock)
    lead = Person("lead-1", "Lead Inspector")
    link_officer = Person("lo-1", "Link Officer")
    await log.log(first.id, lead, "Supervision notes", child_refs=["CR-104233"], confirm=True)
    await log.log(first.id, lead, "Staff rota for April", due_on=date(2026, 4, 22), confirm=True)
    await log.log(second.id, lead, "Audit tracker", confirm=True)
    clock.set(datetime(2026, 4, 20, 15, 30, tzinfo=UTC))
    await log.answer(first.id, "IR-002", link_officer, "Attached", confirm=True)

    bulk = await StoreRequestSource(database).snapshots([first.id, second.id, 999])
    one_by_one = {
        inspection_id: list(await RequestLogSource(repository).snapshot(inspection_id))
        for inspection_id in (first.id, second.id)
    }
    assert bulk == one_by_one
    by_ref = {s.reference: s for s in bulk[first.id]}
    assert by_ref["IR-001"].case_ref == "CR-104233" and by_ref["IR-001"].is_open
    assert by_ref["IR-001"].due == date(2026, 4, 21)  # on site: end of the next working day
    assert not by_ref["IR-002"].is_open
    assert by_ref["IR-002"].answered_at == datetime(2026, 4, 20, 15, 30, tzinfo=UTC)
    assert [s.reference for s in bulk[second.id]] == ["IR-001"]
    assert 999 not in bulk
