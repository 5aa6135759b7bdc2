"""The request log exports: workbook checked cell by cell, CSV, the channel copy, Appendix 4."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Channel
from inspection.request_export import (
    COLUMNS,
    FACTUAL_ACCURACY_FOLDER,
    GRID_COLUMNS,
    LOG_FILE_NAME,
    LogPublisher,
    factual_accuracy_grid,
    publish_factual_accuracy_grid,
    to_csv,
    to_xlsx,
)
from inspection.requests import InformationRequest, LinkedFile, MessageSource, RequestLog
from inspection.workspace import INFORMATION_REQUESTS_FOLDER
from tests.fakes.request_log import FakeInspectionRepository, FakeRequestRepository, FakeWorkspace
from tests.inspection.test_requests import DIRECTOR, INSPECTION, INSPECTOR, LEAD, LINK

JERSEY = ZoneInfo("Europe/Jersey")
CHANNEL = Channel("team-1", "19:chan@thread.tacv2", "drive-1", "folder-1")


async def _sample(frameworks: FrameworkRegistry) -> tuple[RequestLog, list[InformationRequest]]:
    # 5 March 2024 is GMT in Jersey; 3 June 2024 is BST (UTC+1): local times differ by zone.
    clock = FixedClock(datetime(2024, 3, 5, 9, 15, tzinfo=UTC))
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(INSPECTION), frameworks, clock
    )
    first = await log.log(
        1,
        LEAD,
        '=HYPERLINK("x") Chronology for CR-104233, verbatim  spacing',
        theme="Neglect",
        source=MessageSource("m1", "https://teams.example/m1", LINK),
    )
    clock.advance(timedelta(hours=2))
    await log.answer(
        1,
        first.ref,
        LINK,
        "Attached, see folder",
        files=[LinkedFile("Chronology.pdf", "https://files.example/c.pdf", "i1")],
    )
    await log.add_note(1, first.ref, LEAD, "Internal: check against the audit")
    clock.advance(timedelta(hours=1))
    await log.accept(1, first.ref, INSPECTOR)
    second = await log.log(1, INSPECTOR, "Supervision records for CR-2002", due_on=date(2024, 3, 6))
    await log.change_due(1, second.ref, LEAD, date(2024, 3, 7), "team on leave")
    return log, await log.all_requests(1, "inspectors")


async def test_workbook_cell_by_cell(frameworks: FrameworkRegistry) -> None:
    _log, requests = await _sample(frameworks)
    content = to_xlsx(
        INSPECTION, requests, audience="inspectors", zone=JERSEY, today=date(2024, 3, 8)
    )
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Requests", "History"]
    sheet = book["Requests"]
    header = [cell.value for cell in sheet[1]]
    assert header == [c.title for c in COLUMNS]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:T3"
    row = {title: sheet.cell(row=2, column=i + 1) for i, title in enumerate(header)}
    assert row["Id"].value == "IR-001"
    assert row["Request"].value == '=HYPERLINK("x") Chronology for CR-104233, verbatim  spacing'
    assert row["Request"].data_type == "s"  # text, never a formula
    assert row["Asked by"].value == "Lead Inspector A"
    assert row["Asked at"].value == datetime(2024, 3, 5, 9, 15)  # a real Excel date-time
    assert row["Asked at"].is_date and row["Asked at"].number_format == "dd/mm/yyyy hh:mm"
    assert row["Child case references"].value == "CR-104233"
    assert row["Theme / standard"].value == "Neglect"
    assert row["For"].value == "Link Officer C"
    assert row["Due"].value == datetime(2024, 3, 6) and row["Due"].is_date
    assert row["Priority"].value == "normal"
    assert row["Status"].value == "accepted"
    assert row["Overdue"].value == "No"
    assert row["Response"].value == "Attached, see folder"
    assert row["Answered by"].value == "Link Officer C"
    assert row["Last answered"].value == datetime(2024, 3, 5, 11, 15)
    assert row["Files"].value == "Chronology.pdf"
    assert row["File links"].value == "https://files.example/c.pdf"
    assert row["Follow-ups"].value is None
    assert row["Closed at"].value == datetime(2024, 3, 5, 12, 15)
    assert row["Logged from message"].value == "https://teams.example/m1"
    assert "Internal: check against the audit" in row["Internal notes (inspectors only)"].value
    second = {title: sheet.cell(row=3, column=i + 1).value for i, title in enumerate(header)}
    assert (second["Id"], second["Status"], second["Overdue"]) == ("IR-002", "open", "Yes")
    assert second["Due"] == datetime(2024, 3, 7)
    history = book["History"]
    assert [c.value for c in history[1]] == ["Id", "When", "Who", "What", "From", "To", "Reason"]
    rows = [[c.value for c in r] for r in history.iter_rows(min_row=2)]
    assert [r[3] for r in rows] == [
        "logged",
        "logged from a message",
        "answered",
        "internal note added",
        "accepted",
        "logged",
        "due date changed",
    ]
    assert rows[-1] == [
        "IR-002",
        datetime(2024, 3, 5, 12, 15),
        "Lead Inspector A",
        "due date changed",
        "2024-03-06",
        "2024-03-07",
        "team on leave",
    ]
    assert history["B2"].is_date and history.freeze_panes == "A2"
    assert history.auto_filter.ref == "A1:G8"


async def test_provider_workbook_has_no_internal_notes(frameworks: FrameworkRegistry) -> None:
    _log, requests = await _sample(frameworks)
    content = to_xlsx(
        INSPECTION, requests, audience="provider", zone=JERSEY, today=date(2024, 3, 8)
    )
    book = load_workbook(io.BytesIO(content))
    every_value = [
        str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value
    ]
    assert not any(
        "Internal" in value or "check against the audit" in value for value in every_value
    )
    assert "internal note added" not in every_value
    assert len([c for c in book["Requests"][1] if c.value]) == len(COLUMNS) - 1


async def test_local_times_follow_the_zone_in_summer(frameworks: FrameworkRegistry) -> None:
    _log, requests = await _sample(frameworks)
    summer = [replace(requests[0], asked_at=datetime(2024, 6, 3, 9, 15, tzinfo=UTC))]
    book = load_workbook(
        io.BytesIO(
            to_xlsx(INSPECTION, summer, audience="provider", zone=JERSEY, today=date(2024, 6, 3))
        )
    )
    assert book["Requests"]["D2"].value == datetime(2024, 6, 3, 10, 15)  # BST


async def test_csv_has_the_same_rows(frameworks: FrameworkRegistry) -> None:
    _log, requests = await _sample(frameworks)
    content = to_csv(requests, audience="provider", zone=JERSEY, today=date(2024, 3, 8))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [c.title for c in COLUMNS if not c.inspectors_only]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Request"].startswith("'=HYPERLINK")  # neutralised for spreadsheets
    assert first["Asked at"] == "2024-03-05 09:15" and first["Due"] == "2024-03-06"
    assert "check against the audit" not in content.decode("utf-8-sig")
    inspectors = to_csv(requests, audience="inspectors", zone=JERSEY, today=date(2024, 3, 8))
    assert "check against the audit" in inspectors.decode("utf-8-sig")


async def test_publisher_keeps_the_provider_copy_in_the_channel(
    frameworks: FrameworkRegistry,
) -> None:
    inspection = replace(INSPECTION, channel=CHANNEL)
    clock = FixedClock(datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(inspection), frameworks, clock
    )
    directory = FakeWorkspace()
    log.add_listener(LogPublisher(directory, log))
    request = await log.log(1, LEAD, "Staffing return")
    await log.add_note(1, request.ref, LEAD, "secret-ish internal remark")
    directory.fail = RuntimeError("Graph is down")
    answered = await log.answer(1, request.ref, DIRECTOR, "Attached")  # upload fails, change stays
    assert answered.status.value == "answered"
    await log.accept(1, request.ref, LEAD)
    assert len(directory.uploads) == 3
    channel, folder, name, content, content_type = directory.uploads[-1]
    assert (channel, folder, name) == (CHANNEL, INFORMATION_REQUESTS_FOLDER, LOG_FILE_NAME)
    assert content_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(content))["Requests"]
    assert sheet["J2"].value == "accepted"
    assert all("secret-ish" not in str(c.value) for r in sheet.iter_rows() for c in r)


async def test_no_channel_no_upload(frameworks: FrameworkRegistry) -> None:
    clock = FixedClock(datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(INSPECTION), frameworks, clock
    )
    directory = FakeWorkspace()
    publisher = LogPublisher(directory, log)
    log.add_listener(publisher)
    await log.log(1, LEAD, "Staffing return")
    assert directory.uploads == [] and publisher.last_upload is None


async def test_factual_accuracy_grid(frameworks: FrameworkRegistry) -> None:
    content = factual_accuracy_grid(
        INSPECTION, draft_received=date(2024, 4, 5), comments_due=date(2024, 5, 3)
    )
    sheet = load_workbook(io.BytesIO(content))["Factual accuracy"]
    assert sheet["A1"].value == "Factual Accuracy Feedback Grid"
    assert sheet["C2"].value == INSPECTION.service_name
    assert sheet["C3"].value == datetime(2024, 4, 5) and sheet["C3"].is_date
    assert sheet["C4"].value == datetime(2024, 5, 3)
    assert [c.value for c in sheet[7]] == [title for title, _ in GRID_COLUMNS]
    assert [title for title, _ in GRID_COLUMNS] == [
        "Page",
        "Paragraph",
        "Original Text",
        "Proposed Correction",
        "Comments",
        "Decision Yes/No/Partial",
        "Response",
    ]  # fmt: skip  (Appendix 4)
    assert sheet["F6"].value == "For inspectorate use only"
    assert sheet.freeze_panes == "A8"
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert validations["F8:F67"].formula1 == '"Yes,No,Partial"'
    assert validations["A8:A67"].type == "whole"


async def test_grid_is_uploaded_to_the_channel() -> None:
    directory = FakeWorkspace()
    assert (
        await publish_factual_accuracy_grid(
            directory, INSPECTION, draft_received=None, comments_due=None
        )
        is None
    )
    uploaded = await publish_factual_accuracy_grid(
        directory, replace(INSPECTION, channel=CHANNEL), draft_received=None, comments_due=None
    )
    assert uploaded is not None and directory.uploads[0][1] == FACTUAL_ACCURACY_FOLDER
    sheet = load_workbook(io.BytesIO(directory.uploads[0][3])).active
    assert sheet is not None and sheet["C3"].value == "not set yet"


@pytest.mark.parametrize("audience", ["inspectors", "provider"])
def test_an_empty_log_still_has_headers(audience: str) -> None:
    content = to_xlsx(INSPECTION, [], audience=audience, zone=JERSEY, today=date(2024, 3, 8))  # type: ignore[arg-type]
    sheet = load_workbook(io.BytesIO(content))["Requests"]
    assert sheet["A1"].value == "Id" and sheet.max_row == 1


class SlowWorkspace(FakeWorkspace):
    """Uploads wait until released, so a burst of changes arrives during one upload."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def upload(self, *args: Any, **kwargs: Any) -> Any:
        await self.release.wait()
        return await super().upload(*args, **kwargs)


async def test_background_publisher_coalesces_a_burst(frameworks: FrameworkRegistry) -> None:
    inspection = replace(INSPECTION, channel=CHANNEL)
    clock = FixedClock(datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(inspection), frameworks, clock
    )
    directory = SlowWorkspace()
    publisher = LogPublisher(directory, log, background=True)
    log.add_listener(publisher)
    for number in range(5):
        await log.log(1, LEAD, f"Distinct request {number} about CR-10{number}00")
        if number == 0:
            for _ in range(5):  # let the first upload start (and wait for its release)
                await asyncio.sleep(0)
    assert directory.uploads == []  # the turns did not wait for the upload
    directory.release.set()
    await publisher.idle()
    # The first change's upload, then one more for everything that came meanwhile.
    assert len(directory.uploads) == 2
    sheet = load_workbook(io.BytesIO(directory.uploads[-1][3]))["Requests"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 7)] == [
        "IR-001", "IR-002", "IR-003", "IR-004", "IR-005",
    ]  # fmt: skip


async def test_background_failure_is_counted_and_the_next_change_retries(
    frameworks: FrameworkRegistry,
) -> None:
    inspection = replace(INSPECTION, channel=CHANNEL)
    clock = FixedClock(datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    log = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(inspection), frameworks, clock
    )
    directory = FakeWorkspace()
    directory.fail = RuntimeError("Graph is down")
    publisher = LogPublisher(directory, log, background=True)
    log.add_listener(publisher)
    await log.log(1, LEAD, "Staffing return")
    await publisher.idle()
    assert publisher.failures == 1 and directory.uploads == []
    await log.log(1, LEAD, "Complaints log")
    await publisher.idle()
    assert len(directory.uploads) == 1
