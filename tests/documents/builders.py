"""Build real documents in memory: DOCX (python-docx), XLSX (openpyxl), PDF (fpdf2), CSV.

Synthetic content only: children appear as case reference numbers (9.7); people are placeholders.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import docx
import openpyxl
from fpdf import FPDF

LOREM = (
    "The service has continued to strengthen its front door arrangements and the quality of "
    "assessments, with managers reviewing practice weekly and sharing learning across teams. "
    "Children are seen regularly and their views are recorded in plans that are reviewed on "
    "time. Where practice is not yet good enough, actions are tracked through the improvement "
    "board and progress is reported to senior leaders each month."
)

# 2.2: the three key questions a Self-Evaluation Report considers, as section headings.
SER_SECTIONS: tuple[tuple[str, int], ...] = (
    ("What do we know about the quality and impact of social work practice?", 2),
    ("How is this measured or known?", 2),
    ("Our plans for the next 12 months", 2),
)


def docx_bytes(
    *,
    title: str | None = None,
    sections: Sequence[tuple[str, int]] = (),
    tables: Sequence[Sequence[Sequence[Any]]] = (),
    page_breaks: int = 0,
    stored_pages: int | None = None,
    keep_template_stats: bool = False,
) -> bytes:
    """A Word document: headings each followed by `n` paragraphs, then tables.

    `stored_pages` writes the statistics Word saves in docProps/app.xml; otherwise they are
    removed (as when another tool writes the file) unless `keep_template_stats`.
    """
    document = docx.Document()
    if title:
        document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for _ in range(paragraphs):
            document.add_paragraph(LOREM)
    for _ in range(page_breaks):
        document.add_page_break()  # type: ignore[no-untyped-call]
        document.add_paragraph(LOREM)
    for rows in tables:
        width = max(len(r) for r in rows)
        table = document.add_table(rows=0, cols=width)
        for row in rows:
            cells = table.add_row().cells
            for index, value in enumerate(row):
                cells[index].text = "" if value is None else str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if keep_template_stats:
        return data
    return _rewrite_app_xml(data, stored_pages)


def _rewrite_app_xml(data: bytes, pages: int | None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/app.xml":
                if pages is None:
                    content = re.sub(rb"<Pages>\d+</Pages>", b"", content)
                    content = re.sub(rb"<Words>\d+</Words>", b"", content)
                else:
                    content = re.sub(rb"<Pages>\d+</Pages>", b"<Pages>%d</Pages>" % pages, content)
                    content = re.sub(
                        rb"<Words>\d+</Words>", b"<Words>%d</Words>" % (pages * 450), content
                    )
            target.writestr(info, content)
    return out.getvalue()


def xlsx_bytes(sheets: Mapping[str, Any]) -> bytes:
    """A workbook with one sheet per entry: {sheet name: rows (sequences of cell values)}."""
    workbook = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        if first:
            sheet = workbook.active
            sheet.title = name
            first = False
        else:
            sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pdf_bytes(pages: Iterable[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def ole_bytes(size: int = 4096) -> bytes:
    """What a legacy .doc/.xls, or an encrypted (password-protected) .docx/.xlsx, starts with."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * (size // 256)


def staffing_rows(blank: Sequence[str] = ()) -> list[list[Any]]:
    """Appendix 2 as a question/answer table; titles in `blank` are left unanswered."""
    answers: list[tuple[str, Any]] = [
        ("No. Full Time Employed (FTE) Qualified Social Workers (SW) in the Service", 86.5),
        ("Average caseload per Qualified SW", 17),
        ("No. FTE Newly Qualified SW in the Service", 12),
        ("Average caseload per Newly Qualified SW", 11),
        ("No. FTE Unqualified SW in the Service", 9),
        ("Average caseload per Unqualified SW", 6),
        ("Number of unallocated cases", 4),
        (
            "How many agency Qual SW are in post? What does this represent as a percentage of "
            "all qualified social workers?",
            "14 (16%)",
        ),
        (
            "How many agency or other non-permanent staff have been used in a qualified social "
            "worker role over the last financial year?",
            31,
        ),
        (
            "What is the current vacancy rate for qualified, newly qualified and unqualified "
            "social workers?",
            "18% / 8% / 5%",
        ),
        (
            "What is the turnover rate for qualified, newly qualified and unqualified social "
            "workers?",
            "21% / 10% / 12%",
        ),
    ]
    rows: list[list[Any]] = [["Appendix 2: Staff level data", None], ["Question", "Answer"]]
    for question, answer in answers:
        rows.append([question, None if any(question.startswith(b) for b in blank) else answer])
    return rows


def child_rows(prefix: str, count: int, *, extra: Sequence[str] = ()) -> list[list[Any]]:
    """A child-level list: case references, never names (9.7)."""
    header = ["Case reference", "Gender", "Age", "Ethnicity", "Team", "Start date", *extra]
    rows: list[list[Any]] = [header]
    ethnicities = ["White British", "White Other", "Mixed", "Black British", "Asian British"]
    teams = ["North Team", "South Team", "Assessment Team", "Children in Care Team"]
    for i in range(count):
        rows.append(
            [
                f"CR-{prefix}{i:04d}",
                "Female" if i % 2 else "Male",
                3 + i % 14,
                ethnicities[i % len(ethnicities)],
                teams[i % len(teams)],
                f"{1 + i % 27:02d}/{1 + i % 12:02d}/2023",
                *["Yes"] * len(extra),
            ]
        )
    return rows
