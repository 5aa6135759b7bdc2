"""Synthetic documents for the demo inspection: real Word and Excel files, made in memory.

Synthetic content only: no real person is named, and children appear only as case reference
numbers (handbook 9.7). Each file is made so the checklist treats it as the service would
hope (or, for "Data Nov.xlsx", so that it cannot tell which item it is and asks).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

PARAGRAPH = (
    "The service has strengthened its front door arrangements and the quality of assessments. "
    "Managers review practice weekly and share learning across teams. Children are seen "
    "regularly and their views are recorded in plans that are reviewed on time."
)


@dataclass(frozen=True)
class DemoFile:
    """One file to put in the demo channel's Files: `folder` is relative to the channel."""

    folder: str
    name: str
    content: bytes
    # The checklist item the file should count for; None: the link officer is asked.
    expected_item: str | None


def _docx(
    title: str, sections: Sequence[tuple[str, int]], table: Sequence[Sequence[Any]] = ()
) -> bytes:
    import docx  # imported here: the server imports this module but never draws these

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for _ in range(paragraphs):
            document.add_paragraph(PARAGRAPH)
    if table:
        grid = document.add_table(rows=0, cols=max(len(row) for row in table))
        for row in table:
            cells = grid.add_row().cells
            for index, value in enumerate(row):
                cells[index].text = str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    import openpyxl  # imported here, as docx above (python-docx and openpyxl: ~35 MB)

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _staffing() -> list[list[Any]]:
    # Appendix 2: staff level data, every question answered.
    return [
        ["Appendix 2: Staff level data", None],
        ["Question", "Answer"],
        ["No. Full Time Employed (FTE) Qualified Social Workers (SW) in the Service", 64.5],
        ["Average caseload per Qualified SW", 16],
        ["No. FTE Newly Qualified SW in the Service", 9],
        ["Average caseload per Newly Qualified SW", 10],
        ["No. FTE Unqualified SW in the Service", 7],
        ["Average caseload per Unqualified SW", 5],
        ["Number of unallocated cases", 3],
        [
            "How many agency Qual SW are in post? What does this represent as a percentage of "
            "all qualified social workers?",
            "11 (17%)",
        ],
        [
            "How many agency or other non-permanent staff have been used in a qualified social "
            "worker role over the last financial year?",
            24,
        ],
        [
            "What is the current vacancy rate for qualified, newly qualified and unqualified "
            "social workers?",
            "15% / 6% / 4%",
        ],
        [
            "What is the turnover rate for qualified, newly qualified and unqualified social "
            "workers?",
            "19% / 9% / 11%",
        ],
    ]


def demo_files(onsite_start: date, folders: dict[str, str]) -> list[DemoFile]:
    """The demo upload. `folders` maps checklist item keys to their channel folder names."""
    year = onsite_start.year
    meeting_days = [onsite_start + timedelta(days=n) for n in (0, 1, 3)]
    return [
        DemoFile(
            folders["organisational_structure"],
            "Children's services structure chart.docx",
            _docx(
                "Organisational structure",
                [("Leadership team", 1), ("Teams and managers", 2)],
                [
                    ["Post", "Team", "Reports to"],
                    ["Head of Service", "Children's Social Care", "Director"],
                    ["Team Manager", "Assessment Team", "Head of Service"],
                    ["Team Manager", "Children in Care Team", "Head of Service"],
                ],
            ),
            "organisational_structure",
        ),
        DemoFile(
            folders["self_evaluation_report"],
            f"Self-Evaluation Report {year} FINAL.docx",
            _docx(
                f"Self-Evaluation Report {year}",
                [
                    ("What do you know about the quality of your services?", 4),
                    ("How is this measured?", 3),
                    ("Plans for the next 12 months", 3),
                ],
            ),
            "self_evaluation_report",
        ),
        DemoFile(
            folders["staffing_data"],
            "Staffing return (Appendix 2).xlsx",
            _xlsx({"Staffing": _staffing()}),
            "staffing_data",
        ),
        DemoFile(
            folders["onsite_meetings"],
            "Strategic meetings during the inspection.docx",
            _docx(
                "Meetings during the on-site inspection",
                [("Strategic and operational meetings", 1)],
                [
                    ["Date", "Time", "Meeting", "Room", "Chair"],
                    *(
                        [f"{day:%A %d %B %Y}", "10:00", meeting, "Room 2", chair]
                        for day, meeting, chair in zip(
                            meeting_days,
                            ["Corporate Parenting Board", "Improvement Board", "Practice forum"],
                            ["Chair A", "Chair B", "Chair C"],
                            strict=True,
                        )
                    ),
                ],
            ),
            "onsite_meetings",
        ),
        # At the top of Files, with a name that says nothing: the checklist asks what it is.
        DemoFile(
            "",
            "Data Nov.xlsx",
            _xlsx({"Nov": [["Measure", "Value"], ["Total", 123], ["Open cases", 87]]}),
            None,
        ),
    ]
