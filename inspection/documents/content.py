"""Reading what is in an uploaded document, safely.

Readers only parse: no macro, script, link or embedded object is ever run or followed. Every
way a file can be bad (legacy format, password, corrupt, too big, a zip bomb) ends as an
`Unreadable` with a reason a link officer can act on; nothing here raises for bad content.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import zipfile
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office, and encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF"

# Estimating DOCX pages without a layout engine: a typical A4 page of report prose.
WORDS_PER_PAGE = 500

READABLE = {".pdf", ".docx", ".docm", ".xlsx", ".xlsm", ".csv"}
LEGACY = {".doc": "a legacy Word document (.doc)", ".xls": "a legacy Excel workbook (.xls)"}


@dataclass(frozen=True)
class Limits:
    """Size limits that keep one upload from exhausting the bot (decompression bombs)."""

    max_file_bytes: int = 50 * 1024 * 1024
    # OOXML files are zips: refuse before opening when members expand beyond these.
    max_unzipped_bytes: int = 200 * 1024 * 1024
    max_member_ratio: int = 200  # uncompressed/compressed, for members over 1 MB
    max_members: int = 5_000
    max_rows_per_sheet: int = 50_000
    max_columns: int = 200
    max_cells: int = 2_000_000
    # python-docx holds the whole document in memory: its text part at most this big.
    max_docx_xml_bytes: int = 40 * 1024 * 1024
    max_pdf_pages_for_text: int = 60
    # One decompressed PDF stream (a page's content, an image) at most.
    max_pdf_stream_bytes: int = 20 * 1024 * 1024
    max_text_chars: int = 2_000_000


DEFAULT_LIMITS = Limits()


@dataclass
class Table:
    """A sheet, a CSV, or a table in a Word document: a header row and the rows under it."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    # 1-based row number in the source of the first row in `rows` (for messages).
    first_row_number: int = 2
    truncated: bool = False

    def column(self, index: int) -> list[Any]:
        return [row[index] if index < len(row) else None for row in self.rows]


@dataclass
class DocumentContent:
    """What a reader found. Tables and headings feed matching and the content checks."""

    kind: str  # pdf, docx, xlsx, csv
    pages: int | None = None
    pages_approximate: bool = False
    headings: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    text: str = ""
    notes: list[str] = field(default_factory=list)
    # The file's name without its extension ("CIN list"): one list per file names the list.
    title: str = ""

    def labels(self) -> list[str]:
        """Sheet names, headings and column headers: where content hints are looked for."""
        found = list(self.headings)
        for table in self.tables:
            found.append(table.name)
            found.extend(h for h in table.header if h)
        return found


@dataclass(frozen=True)
class Unreadable:
    """Received, content not checked, and why."""

    reason: str


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def read_content(
    name: str, data: bytes, limits: Limits = DEFAULT_LIMITS
) -> DocumentContent | Unreadable:
    """Read `data` (the bytes of the file called `name`); never raises for bad content."""
    ext = extension(name)
    if ext in LEGACY:
        return Unreadable(
            f"{LEGACY[ext]}: its content cannot be checked; save it as {ext}x to have it checked"
        )
    if ext not in READABLE:
        return Unreadable(f"{ext or 'no extension'}: not a format whose content is checked")
    if len(data) > limits.max_file_bytes:
        return Unreadable(
            f"the file is {len(data) / 1_048_576:.0f} MB, over the "
            f"{limits.max_file_bytes // 1_048_576} MB checked; split it or remove images"
        )
    if not data:
        return Unreadable("the file is empty")
    content = _read(name, ext, data, limits)
    if isinstance(content, DocumentContent):
        content.title = PurePosixPath(name).stem
    return content


def _read(name: str, ext: str, data: bytes, limits: Limits) -> DocumentContent | Unreadable:
    try:
        if ext == ".pdf":
            return _read_pdf(data, limits)
        if ext == ".csv":
            return _read_csv(data, limits)
        if data.startswith(OLE_MAGIC):
            return Unreadable(
                "the file is password-protected (encrypted); upload a copy without a password"
            )
        if not data.startswith(ZIP_MAGIC):
            return Unreadable(f"the file is not a valid {ext} file (it may be corrupt or renamed)")
        problem = _zip_problem(data, limits)
        if problem:
            return Unreadable(problem)
        if ext in (".docx", ".docm"):
            return _read_docx(data, ext, limits)
        return _read_xlsx(data, limits)
    except MemoryError:
        return Unreadable("the file is too large to check")
    except RecursionError:
        return Unreadable(f"the file is not a valid {ext} file (its structure is too deep)")
    except Exception as exc:  # any parser failure means "corrupt" to the user, never a crash
        log.info("cannot read %s: %s: %s", name, type(exc).__name__, exc)
        return Unreadable(f"the file could not be read as {ext} (it may be corrupt or damaged)")


def _zip_problem(data: bytes, limits: Limits) -> str | None:
    """Refuse a zip bomb by its declared sizes before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "the file is damaged (its zip structure cannot be read)"
    if len(members) > limits.max_members:
        return f"the file holds {len(members)} parts, more than the {limits.max_members} checked"
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            return "the file is password-protected; upload a copy without a password"
        total += member.file_size
        if member.file_size > 1_048_576 and member.file_size > limits.max_member_ratio * max(
            member.compress_size, 1
        ):
            return (
                f"the file expands {member.file_size // max(member.compress_size, 1)} times "
                "when opened (a compression bomb?); it was not opened"
            )
    if total > limits.max_unzipped_bytes:
        return (
            f"the file expands to {total / 1_048_576:.0f} MB when opened, over the "
            f"{limits.max_unzipped_bytes // 1_048_576} MB checked; split it or remove images"
        )
    return None


# --- PDF --------------------------------------------------------------------------------------


def _pdf_limits(limits: Limits) -> AbstractContextManager[object]:
    """pypdf's own decompression limits, tightened to ours (pypdf 7 and later)."""
    try:
        from pypdf import apply_configuration
    except ImportError:  # older pypdf: its built-in 75 MB limits apply
        return nullcontext()
    cap = limits.max_pdf_stream_bytes
    return apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
    )


def _read_pdf(data: bytes, limits: Limits) -> DocumentContent | Unreadable:
    if PDF_MAGIC not in data[:1024]:
        return Unreadable("the file is not a valid PDF (it may be corrupt or renamed)")
    with _pdf_limits(limits):
        return _parse_pdf(data, limits)


def _parse_pdf(data: bytes, limits: Limits) -> DocumentContent | Unreadable:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return Unreadable("the PDF is password-protected; upload a copy without a password")
        pages = len(reader.pages)
    except PdfReadError:
        return Unreadable("the PDF is damaged and could not be read")
    content = DocumentContent(kind="pdf", pages=pages)
    chunks: list[str] = []
    size = 0
    for index, page in enumerate(reader.pages):
        if index >= limits.max_pdf_pages_for_text or size > limits.max_text_chars:
            content.notes.append(f"text read from the first {index} pages only")
            break
        try:
            # Decoding the content first surfaces the size limit, which extract_text hides.
            page.get_contents()
            text = page.extract_text() or ""
        except LimitReachedError:
            content.notes.append(
                f"the text of page {index + 1} was not read: it expands beyond the size checked"
            )
            text = ""
        except Exception:  # a damaged page: count it, skip its text
            content.notes.append(f"the text of page {index + 1} could not be read")
            text = ""
        chunks.append(text)
        size += len(text)
    content.text = "\n".join(chunks)[: limits.max_text_chars]
    # Short lines stand in for headings: a PDF has no structure we can rely on.
    content.headings = [
        line.strip() for line in content.text.splitlines() if 2 < len(line.strip()) <= 80
    ][:2000]
    return content


# --- DOCX -------------------------------------------------------------------------------------

_PAGES = re.compile(rb"<(?:\w+:)?Pages>\s*(\d+)\s*</(?:\w+:)?Pages>")
_WORDS = re.compile(rb"<(?:\w+:)?Words>\s*(\d+)\s*</(?:\w+:)?Words>")


def _stored_stats(archive: zipfile.ZipFile) -> tuple[int, int] | None:
    """The page and word counts Word saved in docProps/app.xml, if any."""
    try:
        info = archive.getinfo("docProps/app.xml")
    except KeyError:
        return None
    if info.file_size > 1_048_576:
        return None
    data = archive.read(info)
    pages = _PAGES.search(data)
    words = _WORDS.search(data)
    if not pages or int(pages[1]) <= 0:
        return None
    return int(pages[1]), int(words[1]) if words else -1


def _read_docx(data: bytes, ext: str, limits: Limits) -> DocumentContent | Unreadable:
    import docx
    from docx.oxml.ns import qn

    if ext == ".docm":
        return Unreadable(
            "a macro-enabled Word document (.docm) is not opened; save it as .docx to have it "
            "checked"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stored = _stored_stats(archive)
        try:
            body = archive.getinfo("word/document.xml").file_size
        except KeyError:
            return Unreadable("the file is not a Word document (it has no document part)")
    if body > limits.max_docx_xml_bytes:
        return Unreadable(
            f"the document's text is {body / 1_048_576:.0f} MB when opened, over the "
            f"{limits.max_docx_xml_bytes // 1_048_576} MB checked; split it into smaller files"
        )
    document = docx.Document(io.BytesIO(data))
    content = DocumentContent(kind="docx")
    words = 0
    breaks = 0
    texts: list[str] = []
    size = 0
    # Style names by id, read once: `paragraph.style` looks the default up every time.
    style_names = {style.style_id: style.name or "" for style in document.styles}
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        element = paragraph._p
        style = style_names.get(element.style or "", element.style or "")
        for br in element.iter(qn("w:br")):
            if br.get(qn("w:type")) == "page":
                breaks += 1
        if element.pPr is not None and element.pPr.find(qn("w:pageBreakBefore")) is not None:
            breaks += 1
        if not text:
            continue
        words += len(text.split())
        if len(text) <= 200 and (
            style.lower().startswith(("heading", "title")) or _all_bold(paragraph, text)
        ):
            content.headings.append(text)
        if size < limits.max_text_chars:
            texts.append(text)
            size += len(text)
    for index, table in enumerate(document.tables):
        parsed = _docx_table(table, index, limits)
        if parsed is not None:
            content.tables.append(parsed)
            words += sum(len(str(c).split()) for row in parsed.rows for c in row if c)
    content.text = "\n".join(texts)[: limits.max_text_chars]
    estimate = max(breaks + 1, math.ceil(words / WORDS_PER_PAGE), 1)
    # Tools that write DOCX without Word (and templates) leave stale statistics: a stored
    # word count far below the real one means the stored page count is stale too.
    if stored is not None and not (0 <= stored[1] < words // 2):
        content.pages = stored[0]
    else:
        content.pages = estimate
        content.pages_approximate = True
    return content


def _all_bold(paragraph: Any, text: str) -> bool:
    """A short paragraph in bold all through: a heading typed without a heading style."""
    if len(text) > 100:
        return False
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold for run in runs)


def _docx_table(table: Any, index: int, limits: Limits) -> Table | None:
    rows: list[list[Any]] = []
    for row_index, row in enumerate(table.rows):
        if row_index >= limits.max_rows_per_sheet:
            break
        cells = [cell.text.strip() for cell in row.cells[: limits.max_columns]]
        # Merged cells repeat their text; keep the row as Word shows it.
        rows.append(cells)
    if not rows:
        return None
    header, start = _find_header(rows)
    return Table(
        name=f"table {index + 1}",
        header=header,
        rows=rows[start + 1 :],
        first_row_number=start + 2,
    )


# --- XLSX -------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, limits: Limits) -> DocumentContent | Unreadable:
    import openpyxl

    # read_only streams rows; data_only gives cached values and never evaluates formulas;
    # keep_vba=False drops any macros; keep_links=False ignores links to other workbooks.
    workbook = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
    )
    content = DocumentContent(kind="xlsx")
    cells = 0
    try:
        for sheet in workbook.worksheets:
            rows: list[list[Any]] = []
            truncated = False
            for row in sheet.iter_rows(values_only=True, max_col=limits.max_columns):
                if len(rows) >= limits.max_rows_per_sheet or cells >= limits.max_cells:
                    truncated = True
                    break
                values = list(row)
                while values and values[-1] in (None, ""):
                    values.pop()
                rows.append(values)
                cells += len(values)
            while rows and not rows[-1]:
                rows.pop()
            header, start = _find_header(rows)
            # Title lines above the header ("Children in Need at 31 March") read as headings,
            # and so do section rows below it: one short text and nothing else ("Care leavers").
            content.headings.extend(
                str(c).strip() for row in rows[: max(start, 0)] for c in row if isinstance(c, str)
            )
            sections = [
                row[0].strip()
                for row in rows[start + 1 :]
                if len(row) == 1 and isinstance(row[0], str) and 2 < len(row[0].strip()) <= 80
            ]
            content.headings.extend(sections[:500])
            table = Table(
                name=str(sheet.title),
                header=header,
                rows=rows[start + 1 :],
                first_row_number=start + 2,
                truncated=truncated,
            )
            content.tables.append(table)
            if truncated:
                content.notes.append(
                    f"sheet '{sheet.title}': only the first {len(rows)} rows were checked"
                )
    finally:
        workbook.close()
    return content


def _find_header(rows: list[list[Any]]) -> tuple[list[str], int]:
    """The header row: the first of the top rows with two or more text cells and no numbers.

    Sheets often start with a title line ("Case audits Apr-Sep") above the real header.
    """
    for index, row in enumerate(rows[:15]):
        texts = [c for c in row if isinstance(c, str) and c.strip()]
        others = [c for c in row if c not in (None, "") and not isinstance(c, str)]
        if len(texts) >= 2 and not others:
            return [str(c).strip() if c is not None else "" for c in row], index
    return [], -1


# --- CSV --------------------------------------------------------------------------------------


def _read_csv(data: bytes, limits: Limits) -> DocumentContent | Unreadable:
    if b"\x00" in data[:4096]:
        return Unreadable("the file is not a text CSV (it looks binary or corrupt)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        return Unreadable("the CSV's text encoding is not recognised; save it as UTF-8")
    sample = text[:8192]
    delimiter = max((",", ";", "\t"), key=sample.count)
    csv.field_size_limit(1_000_000)
    rows: list[list[Any]] = []
    truncated = False
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if len(rows) >= limits.max_rows_per_sheet:
                truncated = True
                break
            rows.append([cell.strip() for cell in row[: limits.max_columns]])
    except csv.Error:
        return Unreadable("the CSV is malformed (unbalanced quotes?); check it opens in Excel")
    while rows and not any(rows[-1]):
        rows.pop()
    header, start = _find_header(rows)
    content = DocumentContent(kind="csv")
    content.tables.append(
        Table(
            name="csv",
            header=header,
            rows=rows[start + 1 :],
            first_row_number=start + 2,
            truncated=truncated,
        )
    )
    return content
