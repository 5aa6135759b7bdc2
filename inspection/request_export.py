"""The request log as a workbook or CSV, the copy kept in the channel, and the factual accuracy
grid (Appendix 4).

7.3: "All requests for information will be contained in one list so the provider and the
Inspection Team are clear about what information has been sought, and what the response was to
each query." The list lives in the channel's "Information requests" folder, so the copy there is
always the provider view: inspectors-only notes never go into it (9.7).
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import logging
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from inspection.model import Channel, Inspection
from inspection.requests import Audience, InformationRequest, RequestLog
from inspection.workspace import INFORMATION_REQUESTS_FOLDER, DriveFile

log = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOG_FILE_NAME = "Information request log.xlsx"
GRID_FILE_NAME = "Factual accuracy feedback grid.xlsx"
FACTUAL_ACCURACY_FOLDER = "Factual accuracy"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


# openpyxl (with numpy, Pillow and lxml when installed: ~35 MB) is imported when a workbook
# is first made, not when the bot starts (peak RSS).
@functools.cache
def _styles() -> tuple[Any, Any, Any]:
    """(header fill, header font, wrapped text): shared by every sheet."""
    from openpyxl.styles import Alignment, Font, PatternFill

    return (
        PatternFill("solid", fgColor="1F4E78"),
        Font(bold=True, color="FFFFFF"),
        Alignment(wrap_text=True, vertical="top"),
    )


class FileUploader(Protocol):
    """The one `ChannelWorkspace` operation exports need (inspection/workspace.py)."""

    async def upload(
        self,
        channel: Channel,
        folder: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> DriveFile: ...


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    value: Callable[[InformationRequest, ExportContext], Any]
    number_format: str | None = None
    inspectors_only: bool = False


@dataclass(frozen=True)
class ExportContext:
    zone: ZoneInfo
    today: date  # local date, for the Overdue column

    def local(self, moment: datetime | None) -> datetime | None:
        """A UTC instant as the local wall-clock time (Excel has no time zones)."""
        if moment is None:
            return None
        return moment.astimezone(self.zone).replace(tzinfo=None)


def _files(request: InformationRequest) -> str:
    return "\n".join(file.name for file in request.files)


def _links(request: InformationRequest) -> str:
    return "\n".join(file.web_url for file in request.files if file.web_url)


def _answered_by(request: InformationRequest) -> str:
    names: list[str] = []
    for answer in request.answers:
        if answer.answered_by.name not in names:
            names.append(answer.answered_by.name)
    return ", ".join(names)


def _follow_ups(request: InformationRequest, context: ExportContext) -> str:
    return "\n".join(
        f"{follow.asked_at.astimezone(context.zone):%d/%m/%Y %H:%M} {follow.asked_by.name}: "
        f"{follow.text} (due {follow.due_on:%d/%m/%Y})"
        for follow in request.follow_ups
    )


def _notes(request: InformationRequest, context: ExportContext) -> str:
    return "\n".join(
        f"{note.written_at.astimezone(context.zone):%d/%m/%Y %H:%M} {note.author.name}: {note.text}"
        for note in request.notes
    )


COLUMNS: tuple[Column, ...] = (
    Column("Id", 9, lambda r, c: r.ref),
    Column("Request", 60, lambda r, c: r.text),
    Column("Asked by", 22, lambda r, c: r.asked_by.name),
    Column("Asked at", 17, lambda r, c: c.local(r.asked_at), DATETIME_FORMAT),
    Column("Child case references", 20, lambda r, c: ", ".join(r.child_refs)),
    Column("Theme / standard", 18, lambda r, c: r.theme or ""),
    Column("For", 22, lambda r, c: r.assignee.name if r.assignee else ""),
    Column("Due", 12, lambda r, c: r.due_on, DATE_FORMAT),
    Column("Priority", 10, lambda r, c: r.priority.value),
    Column("Status", 12, lambda r, c: r.status.label),
    Column("Overdue", 9, lambda r, c: "Yes" if r.is_overdue(c.today) else "No"),
    Column("Response", 60, lambda r, c: r.response_text),
    Column("Answered by", 22, lambda r, c: _answered_by(r)),
    Column("Last answered", 17, lambda r, c: c.local(r.answered_at), DATETIME_FORMAT),
    Column("Files", 30, lambda r, c: _files(r)),
    Column("File links", 40, lambda r, c: _links(r)),
    Column("Follow-ups", 50, _follow_ups),
    Column("Closed at", 17, lambda r, c: c.local(r.closed_at), DATETIME_FORMAT),
    Column("Logged from message", 30, lambda r, c: r.source.web_url if r.source else ""),
    Column("Internal notes (inspectors only)", 50, _notes, inspectors_only=True),
)

HISTORY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Id", 9),
    ("When", 17),
    ("Who", 22),
    ("What", 24),
    ("From", 24),
    ("To", 24),
    ("Reason", 40),
)


def columns_for(audience: Audience) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS if audience == "inspectors" or not c.inspectors_only)


def _visible(
    requests: Iterable[InformationRequest], audience: Audience
) -> list[InformationRequest]:
    # Belt and braces: whatever the caller passed, a provider export drops internal content.
    return [request.for_audience(audience) for request in requests]


def _safe_text(value: str) -> str:
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe (CSV only;
    the workbook stores text cells as text)."""
    if value[:1] in ("=", "+", "@", "\t", "\r") or (
        value[:1] == "-" and value[1:2] not in (" ", "")
    ):
        return "'" + value
    return value


_FORMULA_START = ("=", "+", "-", "@")


class _Sheet:
    """A streaming (write-only) sheet: 5,000 requests export in a fraction of the time and
    memory of the cell-by-cell worksheet. Styles are shared objects, text stays text."""

    def __init__(self, book: Workbook, title: str, columns: Sequence[tuple[str, int]]) -> None:
        from openpyxl.utils import get_column_letter

        self.sheet: Any = book.create_sheet(title)
        for index, (_title, width) in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.width = len(columns)
        self.titles = [title for title, _ in columns]
        self._styles: dict[tuple[str | None, bool], Any] = {}
        self.rows = 0

    def header(self, freeze: str) -> None:
        """Must come before any row."""
        from openpyxl.cell import WriteOnlyCell

        fill, font, _wrap = _styles()
        self.sheet.freeze_panes = freeze
        cells = []
        for title in self.titles:
            cell = WriteOnlyCell(self.sheet, value=title)
            cell.font = font
            cell.fill = fill
            cells.append(cell)
        self.sheet.append(cells)
        self.rows = 0

    def finish(self) -> None:
        """Filters over the header and every row written (a write-only sheet writes its
        filter after its rows, so the count need not be known beforehand)."""
        from openpyxl.utils import get_column_letter

        self.sheet.auto_filter.ref = f"A1:{get_column_letter(self.width)}{self.rows + 1}"

    def row(
        self, values: Sequence[Any], formats: Sequence[str | None], wrap: Sequence[bool]
    ) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells: list[Any] = []
        for value, number_format, wrapped in zip(values, formats, wrap, strict=True):
            if value is None or value == "":
                cells.append(None)
                continue
            text = isinstance(value, str)
            if not (number_format or wrapped or (text and value.startswith(_FORMULA_START))):
                cells.append(value)
                continue
            cell = WriteOnlyCell(self.sheet, value=value)
            if text:
                cell.data_type = "s"  # verbatim text, even "=SUM(...)": never a formula
            # Registering a style hashes it each time; each combination is registered once
            # and its style ids are copied (the same thing openpyxl's own `copy` does).
            key = (number_format, wrapped)
            style = self._styles.get(key)
            if style is None:
                if number_format:
                    cell.number_format = number_format
                if wrapped:
                    cell.alignment = _styles()[2]
                self._styles[key] = copy(cell._style)
            else:
                cell._style = copy(style)
            cells.append(cell)
        self.sheet.append(cells)
        self.rows += 1


# Long text columns wrap; the rest stay on one line.
_WRAPPED = frozenset({"Request", "Response", "Follow-ups", "Internal notes (inspectors only)"})


class _LogWorkbook:
    """The log's workbook, written as requests come: sheet "Requests" (one row per request,
    filters, frozen header, real Excel dates) and sheet "History" (who changed what, when).
    Both sheets stream (openpyxl write-only), so rows can come a batch at a time."""

    def __init__(self, inspection: Inspection, *, audience: Audience, zone: ZoneInfo,
                 today: date) -> None:  # fmt: skip
        from openpyxl import Workbook

        self.audience: Audience = audience
        self.context = ExportContext(zone, today)
        self.columns = columns_for(audience)
        self.book = Workbook(write_only=True)
        self.main = _Sheet(self.book, "Requests", [(c.title, c.width) for c in self.columns])
        self.main.header("B2")
        self.history = _Sheet(self.book, "History", HISTORY_COLUMNS)
        self.history.header("A2")
        self.formats = [c.number_format for c in self.columns]
        self.wrap = [c.title in _WRAPPED for c in self.columns]
        self.book.properties.title = f"Information requests: {inspection.service_name}"
        self.book.properties.creator = "Inspection bot"

    def add(self, requests: Iterable[InformationRequest]) -> None:
        context, columns = self.context, self.columns
        history_formats = [None, DATETIME_FORMAT, None, None, None, None, None]
        history_wrap = [False, False, False, False, False, False, True]
        for request in _visible(requests, self.audience):
            self.main.row([column.value(request, context) for column in columns],
                          self.formats, self.wrap)  # fmt: skip
            for entry in request.history:
                values = (request.ref, context.local(entry.at), entry.actor.name, entry.action,
                          entry.old, entry.new, entry.reason)  # fmt: skip
                self.history.row(values, history_formats, history_wrap)

    def save(self) -> bytes:
        self.main.finish()
        self.history.finish()
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def to_xlsx(
    inspection: Inspection,
    requests: Iterable[InformationRequest],
    *,
    audience: Audience,
    zone: ZoneInfo,
    today: date,
) -> bytes:
    """The whole log as an Excel workbook: sheet "Requests" (one row per request, filters,
    frozen header, real Excel dates) and sheet "History" (who changed what, when).

    `audience="provider"` leaves out internal notes and internal history entries.
    """
    workbook = _LogWorkbook(inspection, audience=audience, zone=zone, today=today)
    workbook.add(requests)
    return workbook.save()


async def xlsx_from_batches(
    inspection: Inspection,
    batches: AsyncIterable[Sequence[InformationRequest]],
    *,
    audience: Audience,
    zone: ZoneInfo,
    today: date,
) -> bytes:
    """`to_xlsx` over requests that come a batch at a time (`RequestLog.batches`): only one
    batch's answers and history are held at once, not every request's."""
    workbook = _LogWorkbook(inspection, audience=audience, zone=zone, today=today)
    async for batch in batches:
        workbook.add(batch)
    return workbook.save()


async def export_xlsx(
    requests: RequestLog, inspection: Inspection, *, audience: Audience = "provider"
) -> bytes:
    """The log of `inspection` as a workbook, read from the request log a batch at a time."""
    if inspection.id is None:
        raise ValueError("only a stored inspection has a request log")
    return await xlsx_from_batches(
        inspection,
        requests.batches(inspection.id, audience),
        audience=audience,
        zone=requests.framework_of(inspection).zone,
        today=requests.today(inspection),
    )


def to_csv(
    requests: Iterable[InformationRequest],
    *,
    audience: Audience,
    zone: ZoneInfo,
    today: date,
) -> bytes:
    """The log as CSV (UTF-8 with a byte order mark so Excel reads accents), ISO dates, local
    times, one row per request."""
    visible = _visible(requests, audience)
    context = ExportContext(zone, today)
    columns = columns_for(audience)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for request in visible:
        row: list[str] = []
        for column in columns:
            value = column.value(request, context)
            if isinstance(value, datetime):
                row.append(value.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, date):
                row.append(value.isoformat())
            else:
                row.append(_safe_text("" if value is None else str(value)))
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


async def publish_log(
    directory: FileUploader,
    inspection: Inspection,
    requests: Iterable[InformationRequest],
    *,
    zone: ZoneInfo,
    today: date,
) -> DriveFile | None:
    """Replace the Excel copy in the channel's "Information requests" folder (provider view:
    everyone in the channel can open it). None when the inspection has no channel yet."""
    if inspection.channel is None:
        return None
    content = to_xlsx(inspection, requests, audience="provider", zone=zone, today=today)
    return await directory_upload(directory, inspection.channel, content)


async def directory_upload(directory: FileUploader, channel: Channel, content: bytes) -> DriveFile:
    """The log's workbook into the channel's "Information requests" folder."""
    return await directory.upload(
        channel, INFORMATION_REQUESTS_FOLDER, LOG_FILE_NAME, content, content_type=XLSX_TYPE
    )


class LogPublisher:
    """A `RequestLog` listener keeping the channel's Excel copy up to date after every change.

    Register it with `request_log.add_listener(LogPublisher(directory, request_log))`.
    With `background=True` the copy is written after the person has had their answer (a slow
    or unavailable Microsoft Graph never holds up a turn), and a burst of changes to one
    inspection becomes one upload of the latest state. A failed upload is logged and retried
    with the next change; it never undoes the change.
    """

    def __init__(
        self, directory: FileUploader, requests: RequestLog, *, background: bool = False
    ) -> None:
        self._directory = directory
        self._requests = requests
        self._background = background
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self.last_upload: DriveFile | None = None
        self.failures = 0

    async def __call__(self, inspection: Inspection, _changed: InformationRequest) -> None:
        if not self._background or inspection.id is None:
            await self.publish(inspection)
            return
        running = self._tasks.get(inspection.id)
        if running is not None and not running.done():
            self._again.add(inspection.id)  # the running upload is followed by one more
            return
        self._tasks[inspection.id] = asyncio.create_task(self._keep_publishing(inspection))

    async def _keep_publishing(self, inspection: Inspection) -> None:
        assert inspection.id is not None
        while True:
            self._again.discard(inspection.id)
            try:
                await self.publish(inspection)
            except Exception:
                self.failures += 1
                log.exception("request log copy not uploaded", extra={"inspection": inspection.id})
            if inspection.id not in self._again:
                return

    async def idle(self) -> None:
        """Wait until every background upload has finished (tests, shutdown)."""
        while pending := [task for task in self._tasks.values() if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def publish(self, inspection: Inspection) -> DriveFile | None:
        if inspection.id is None or inspection.channel is None:
            return None
        # Read and written a batch at a time (the provider view, as publish_log).
        content = await export_xlsx(self._requests, inspection, audience="provider")
        uploaded = await directory_upload(self._directory, inspection.channel, content)
        self.last_upload = uploaded
        return uploaded


GRID_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Page", 8),
    ("Paragraph", 11),
    ("Original Text", 50),
    ("Proposed Correction", 50),
    ("Comments", 40),
    ("Decision Yes/No/Partial", 14),
    ("Response", 40),
)
GRID_ROWS = 60


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[int], row: int) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    fill, font, _wrap = _styles()
    for index, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = sheet.cell(row=row, column=index, value=title)
        cell.font = font
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width


def factual_accuracy_grid(
    inspection: Inspection, *, draft_received: date | None, comments_due: date | None
) -> bytes:
    """The Appendix 4 Factual Accuracy Feedback Grid as a workbook for the provider.

    7.4: the provider may raise comments of factual accuracy within 20 working days of
    receiving the draft report, using this grid. Columns are the handbook's: Page, Paragraph,
    Original Text, Proposed Correction, Comments, and "For JCC use only": Decision
    Yes/No/Partial, Response.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Factual accuracy"
    sheet["A1"] = "Factual Accuracy Feedback Grid"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = "Service"
    sheet["C2"] = inspection.service_name
    sheet["C2"].data_type = "s"
    sheet["A3"] = "Draft report received"
    sheet["A4"] = "Comments due by"
    for cell_name, value in (("C3", draft_received), ("C4", comments_due)):
        sheet[cell_name] = value if value else "not set yet"
        if value:
            sheet[cell_name].number_format = DATE_FORMAT
    sheet["A5"] = (
        "Record each factual inaccuracy on its own row (7.4, Appendix 4). "
        "The last two columns are for the inspectorate's use only."
    )
    sheet["F6"] = "For inspectorate use only"
    sheet["F6"].font = Font(bold=True)
    sheet.merge_cells("F6:G6")
    header_row = 7
    _header(sheet, [t for t, _ in GRID_COLUMNS], [w for _, w in GRID_COLUMNS], row=header_row)
    first, last = header_row + 1, header_row + GRID_ROWS
    for row in range(first, last + 1):
        for column in range(1, len(GRID_COLUMNS) + 1):
            sheet.cell(row=row, column=column).alignment = _styles()[2]
    decision = DataValidation(
        type="list", formula1='"Yes,No,Partial"', allow_blank=True, showErrorMessage=True,
        errorTitle="Decision", error="Choose Yes, No or Partial",
    )  # fmt: skip
    decision.add(f"F{first}:F{last}")
    numbers = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True,
        showErrorMessage=True, errorTitle="Page", error="Give the page number of the draft report",
    )  # fmt: skip
    numbers.add(f"A{first}:A{last}")
    sheet.add_data_validation(decision)
    sheet.add_data_validation(numbers)
    sheet.freeze_panes = f"A{first}"
    sheet.auto_filter.ref = f"A{header_row}:G{last}"
    book.properties.title = f"Factual accuracy feedback grid: {inspection.service_name}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def publish_factual_accuracy_grid(
    directory: FileUploader,
    inspection: Inspection,
    *,
    draft_received: date | None,
    comments_due: date | None,
) -> DriveFile | None:
    """Put the grid in the channel's "Factual accuracy" folder; None without a channel."""
    if inspection.channel is None:
        return None
    content = factual_accuracy_grid(
        inspection, draft_received=draft_received, comments_due=comments_due
    )
    return await directory.upload(
        inspection.channel, FACTUAL_ACCURACY_FOLDER, GRID_FILE_NAME, content,
        content_type=XLSX_TYPE,
    )  # fmt: skip


__all__ = [
    "COLUMNS",
    "FACTUAL_ACCURACY_FOLDER",
    "GRID_COLUMNS",
    "GRID_FILE_NAME",
    "LOG_FILE_NAME",
    "XLSX_TYPE",
    "FileUploader",
    "LogPublisher",
    "columns_for",
    "export_xlsx",
    "factual_accuracy_grid",
    "publish_factual_accuracy_grid",
    "publish_log",
    "to_csv",
    "to_xlsx",
    "xlsx_from_batches",
]
