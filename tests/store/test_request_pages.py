"""The request log at scale: lists a page at a time with a database count, exports a batch
at a time; the same requests, in the same order, as reading everything at once."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.features.information_requests.cards import page_card
from inspection.clock import FixedClock
from inspection.errors import InspectionError
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.request_export import export_xlsx, to_xlsx
from inspection.requests import WAITING_STATUSES, Person, RequestLog, RequestQuery
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

LEAD = Person("aad-lead", "Lead Inspector A")
LINK = Person("aad-link", "Link Officer C")
NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


async def _log(database: Database, frameworks: FrameworkRegistry) -> tuple[RequestLog, Inspection]:
    inspections = SqlInspectionRepository(database)
    inspection = await inspections.add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Children's Social Work Service",
            onsite_start=date(2024, 3, 4),
            onsite_end=date(2024, 3, 8),
            members=(
                Member(LEAD.aad_object_id, Role.LEAD_INSPECTOR, LEAD.display_name),
                Member(LINK.aad_object_id, Role.LINK_OFFICER, LINK.display_name),
            ),
        )
    )
    log = RequestLog(SqlRequestRepository(database), inspections, frameworks, FixedClock(NOW))
    assert inspection.id is not None
    for number in range(1, 12):
        await log.log(
            inspection.id,
            LEAD,
            f"Request {number}: supervision records for case CR-{100000 + number}",
            due_on=date(2024, 3, 5) + timedelta(days=number % 3),
            confirm=True,
        )
        if number % 3 == 0:
            await log.answer(inspection.id, number, LINK, f"Answer {number}")
    return log, inspection


async def test_pages_cover_the_list_once_in_number_order_with_the_count(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    log, inspection = await _log(database, frameworks)
    query = RequestQuery(statuses=WAITING_STATUSES)
    everything = await log.list_for(inspection, LEAD, query)
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        page = await log.list_page(inspection, LEAD, query, after=after, size=3)
        pages += 1
        assert page.total == len(everything) == 8
        seen += [request.number for request in page.requests]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [request.number for request in everything]
    assert pages == 3  # 3 + 3 + 2


async def test_an_exact_last_page_has_no_more_button(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    log, inspection = await _log(database, frameworks)
    page = await log.list_page(inspection, LEAD, after=None, size=11)
    assert (len(page.requests), page.total, page.next_after) == (11, 11, None)
    with pytest.raises(InspectionError, match="out of date"):
        await log.list_page(inspection, LEAD, after=-1)


async def test_the_card_shows_the_page_and_a_more_button_carrying_the_cursor(
    database: Database, frameworks: FrameworkRegistry
) -> None:
    log, inspection = await _log(database, frameworks)
    page = await log.list_page(inspection, LEAD, size=4)
    card = page_card(
        "Open requests", page, today=date(2024, 3, 6), empty="None", more={"list": "open"}
    )
    texts = [block.get("text", "") for block in card["body"]]
    assert any("**IR-004**" in text for text in texts)
    assert not any("IR-005" in text for text in texts)
    assert "IR-001 to IR-004 of 11 in all." in texts
    (button,) = card["actions"]
    assert button["data"] == {"action": "requests_more", "after": 4, "list": "open"}
    last = await log.list_page(inspection, LEAD, after=8, size=4)
    assert "actions" not in page_card("Open", last, today=date(2024, 3, 6), empty="None")


def _rows(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {
        name: [tuple(row) for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    } | {name + " filter": [(book[name].auto_filter.ref,)] for name in book.sheetnames}


@pytest.mark.parametrize("audience", ["provider", "inspectors"])
async def test_the_export_in_batches_is_the_export_of_everything(
    database: Database, frameworks: FrameworkRegistry, audience: str
) -> None:
    log, inspection = await _log(database, frameworks)
    assert inspection.id is not None
    everything = await log.all_requests(inspection.id, audience)  # type: ignore[arg-type]
    batches = [batch async for batch in log.batches(inspection.id, audience, size=4)]  # type: ignore[arg-type]
    assert [len(batch) for batch in batches] == [4, 4, 3]
    whole = to_xlsx(
        inspection,
        everything,
        audience=audience,  # type: ignore[arg-type]
        zone=log.framework_of(inspection).zone,
        today=log.today(inspection),
    )
    streamed = await export_xlsx(log, inspection, audience=audience)  # type: ignore[arg-type]
    assert _rows(streamed) == _rows(whole)
    rows = _rows(streamed)
    last_column = "T" if audience == "inspectors" else "S"  # internal notes for inspectors
    assert len(rows["Requests"]) == 12
    assert rows["Requests filter"] == [(f"A1:{last_column}12",)]
