"""A realistic upload: 39 files named the way a service names them, with decoys, ambiguous
names, old versions, lock files and unreadable files, and the checklist they should produce.

Inspection dates: notice given 1 Feb 2024, on site 4-15 March 2024 (the audit window is the six
months before notice, 1 Aug 2023 to 1 Feb 2024).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from inspection.checklist import DocumentFile
from tests.documents.builders import (
    LOREM,
    child_rows,
    docx_bytes,
    ole_bytes,
    pdf_bytes,
    staffing_rows,
    xlsx_bytes,
)

NOTICE = date(2024, 2, 1)
ONSITE_START = date(2024, 3, 4)
ONSITE_END = date(2024, 3, 15)
BASE_TIME = datetime(2024, 2, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Fixture:
    path: str
    data: bytes
    modified: datetime

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]


def _pdf(title: str, pages: int = 2, body: str = LOREM) -> bytes:
    return pdf_bytes([f"{title}\n\n{body}\n{body}"] + [body] * (pages - 1))


def _meetings(rows: list[list[Any]]) -> bytes:
    return docx_bytes(
        title="Meetings during the inspection",
        sections=[("Introduction", 1)],
        tables=[[["Date", "Time", "Meeting", "Venue", "Chair"], *rows]],
        stored_pages=2,
    )


def _audit_rows(grades: list[str]) -> list[list[Any]]:
    types = ["Child in need", "Child protection", "Child looked after", "Care leaver", "CIN"]
    rows: list[list[Any]] = [
        ["Case file audits, August 2023 to January 2024"],
        ["Case ref", "Case type", "Allocated SW", "Team", "Date of audit", "Audit grade"],
    ]
    for i, grade in enumerate(grades):
        rows.append(
            [
                f"CR-2{i:05d}",
                types[i % len(types)],
                f"Worker {chr(65 + i % 20)}",
                ["North Team", "South Team", "Assessment Team"][i % 3],
                datetime(2023, 8 + i % 5, 3 + i),
                grade,
            ]
        )
    return rows


def _annex_a_part_one() -> bytes:
    sheets: dict[str, list[list[Any]]] = {
        "Headline figures": [["Measure", "Value"], ["Contacts", 4210], ["Referrals", 1302]],
        "Contacts": child_rows("10", 30),
        "Early Help": child_rows("11", 20),
        "Referrals": child_rows("12", 25),
        "Assessments": child_rows("13", 25),
        "Article 42 enquiries": child_rows("14", 12),
        "CIN": child_rows("15", 40),
        "CPP": child_rows("16", 18),
        "CLA": child_rows("17", 22, extra=["Placement type"]),
        "Care leavers": child_rows("18", 15),
        "Exploitation": child_rows("19", 6),
        "Missing & RHI": child_rows("20", 9),
        "Pre-proceedings": child_rows("21", 5),
        "Proceedings": child_rows("22", 4),
    }
    return xlsx_bytes(sheets)


def _annex_a_part_two() -> bytes:
    return xlsx_bytes(
        {
            "Children adopted": child_rows("30", 3),
            "Adoption benchmarking": [["Measure", "Jersey", "England"], ["A1 days", 510, 480]],
            "Fostering households": [
                ["Household ref", "Approval", "Places"],
                ["FH-001", "Mainstream", 2],
            ],
            "Demographics": [["Group", "Count"], ["Under 5", 120]],
            "Comparisons": [["Measure", "Jersey", "Statistical neighbours"], ["CLA rate", 52, 67]],
            "Connected carers": child_rows("31", 7),
            "Permanence": child_rows("32", 8),
        }
    )


def build() -> list[Fixture]:
    """The upload, oldest first."""
    t = BASE_TIME
    day = timedelta(days=1)
    ser_sections = [
        ("What do you know about the quality of your services?", 10),
        ("How is this measured?", 10),
        ("Plans for the next 12 months", 10),
    ]
    files: list[tuple[str, bytes, datetime]] = [
        # --- organisational structures: a folder upload and two names ---
        (
            "01 Organisational structures/CYPES org chart Jan 2024.pdf",
            _pdf("Children's Social Care structure: head of service, team managers"),
            t,
        ),
        ("Org chart - Fostering and Adoption.pdf", _pdf("Fostering and adoption"), t),
        (
            "List of managers.xlsx",
            xlsx_bytes(
                {
                    "Managers": [
                        ["Job title", "Team", "Reports to"],
                        ["Team manager", "North Team", "Head of Service"],
                    ]
                }
            ),
            t,
        ),
        # --- the SER: last year's, superseded by this year's ---
        (
            "SER 2023 v2.docx",
            docx_bytes(title="Self-Evaluation Report 2023", sections=ser_sections, stored_pages=19),
            datetime(2023, 3, 1, tzinfo=UTC),
        ),
        (
            "Self-Evaluation Report 2024 FINAL.docx",
            docx_bytes(title="Self-Evaluation Report 2024", sections=ser_sections, stored_pages=22),
            t + day,
        ),
        # --- child-level data in two workbooks; an ambiguous "Data Nov" ---
        ("Annex A child level data Q3.xlsx", _annex_a_part_one(), t + day),
        ("ChAT extract - adoption and fostering.xlsx", _annex_a_part_two(), t + day),
        ("Data Nov.xlsx", xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]}), t + day),
        # --- quality improvement ---
        ("QA annual report 2023-24.pdf", _pdf("Quality assurance annual report", 6), t + 2 * day),
        (
            "Service reviews/Front door review.docx",
            docx_bytes(title="Front door review", sections=[("Findings", 3)], stored_pages=4),
            t + 2 * day,
        ),
        # --- case audits: one grade not in the scale; an "Audits" sheet with a name column ---
        (
            "05 Case audits/Case file audits Aug 2023 - Jan 2024.xlsx",
            xlsx_bytes(
                {
                    "Audits": _audit_rows(
                        [
                            "Good",
                            "Requires improvement",
                            "Good",
                            "Amber",
                            "Inadequate",
                            "Outstanding",
                        ]
                    )
                }
            ),
            t + 2 * day,
        ),
        (
            "Audits.xlsx",
            xlsx_bytes(
                {
                    "Cases audited": [
                        [
                            "Case reference",
                            "Child name",
                            "Case type",
                            "Allocated social worker",
                            "Team",
                            "Audit date",
                            "Grade",
                        ],
                        [
                            "CR-300001",
                            "Alex Sampleton",
                            "CLA",
                            "Worker Q",
                            "South Team",
                            datetime(2023, 11, 2),
                            "Good",
                        ],
                        [
                            "CR-300002",
                            "Jo Examplewood",
                            "CIN",
                            "Worker R",
                            "North Team",
                            datetime(2023, 12, 7),
                            "Good",
                        ],
                    ]
                }
            ),
            t + 2 * day,
        ),
        ("05 Case audits/Audit tracker (protected).xlsx", ole_bytes(), t + 2 * day),
        # --- meetings and service user groups ---
        (
            "Meetings during the inspection/Strategic meetings 4-15 March.docx",
            _meetings(
                [
                    [
                        "Tuesday 5 March 2024",
                        "10:00",
                        "Corporate Parenting Board",
                        "Room 2",
                        "Chair A",
                    ],
                    ["07/03/2024", "14:00", "Safeguarding Partnership", "Room 1", "Chair B"],
                    ["2024-03-12", "09:30", "Improvement Board", "Room 2", "Chair C"],
                ]
            ),
            t + 3 * day,
        ),
        ("Meetings during the inspection/Operational meetings diary.doc", ole_bytes(), t + 3 * day),
        (
            "Participation - Children in Care Council dates.docx",
            _meetings(
                [
                    [
                        "28 February 2024",
                        "17:00",
                        "Children in Care Council",
                        "Youth centre",
                        "Youth worker",
                    ],
                    ["6 March 2024", "17:00", "Care leavers forum", "Youth centre", "Youth worker"],
                ]
            ),
            t + 3 * day,
        ),
        # --- staffing: the return, and a content-only match ---
        (
            "Staffing return Q3 2023-24.xlsx",
            xlsx_bytes({"Appendix 2": staffing_rows()}),
            t + 3 * day,
        ),
        (
            "Book1.xlsx",
            xlsx_bytes(
                {
                    "Caseloads": [
                        ["Team", "FTE", "Average caseload", "Vacancy rate"],
                        ["North Team", 12.5, 16, "12%"],
                    ]
                }
            ),
            t + 4 * day,
        ),
        # --- optional documents ---
        ("Strategic plan 2023-2026.pdf", _pdf("Children's services strategic plan"), t),
        (
            "Performance scorecard Dec 2023.xlsx",
            xlsx_bytes({"KPIs": [["Measure", "Value"], ["Re-referrals", "18%"]]}),
            t,
        ),
        ("ChAT dashboard Jan 2024.pdf", _pdf("ChAT dashboard"), t),
        (
            "Improvement plan - Jan 2024 update.docx",
            docx_bytes(title="Improvement plan", sections=[("Actions", 2)], stored_pages=3),
            t,
        ),
        ("Practice framework - Signs of Safety.pdf", _pdf("Practice framework"), t),
        ("Continuum of need thresholds.pdf", _pdf("Continuum of need"), t),
        (
            "CPB minutes Oct 2023.docx",
            docx_bytes(
                title="Corporate Parenting Board", sections=[("Minutes", 2)], stored_pages=2
            ),
            t,
        ),
        (
            "CPB minutes Jan 2024.docx",
            docx_bytes(
                title="Corporate Parenting Board", sections=[("Minutes", 2)], stored_pages=2
            ),
            t + day,
        ),
        ("Consultation findings - young people survey 2023.pdf", _pdf("Survey of young people"), t),
        (
            "Thematic audit - neglect (multi-agency).docx",
            docx_bytes(title="Neglect", sections=[("Findings", 2)], stored_pages=3),
            t,
        ),
        ("Complaints and compliments annual report 2022-23.pdf", _pdf("Complaints"), t),
        ("Sufficiency strategy 2023-2026.pdf", _pdf("Sufficiency"), t),
        # --- files to ignore ---
        ("~$lf-Evaluation Report 2024 FINAL.docx", b"\x0alocked by someone", t + day),
        ("Thumbs.db", b"\x00\x01thumbs", t),
        (".DS_Store", b"\x00\x00\x00\x01Bud1", t),
        ("01 Organisational structures/Org chart draft.pdf", b"", t),
        ("SER notes.tmp", b"temporary", t),
        (
            "Information requests/IR-003 response - supervision records.xlsx",
            xlsx_bytes({"Supervision": [["Case reference", "Date"], ["CR-100001", "01/03/2024"]]}),
            t,
        ),
        # --- decoys ---
        (
            "Staff Christmas party rota.docx",
            docx_bytes(title="Rota", sections=[("December", 1)], stored_pages=1),
            t,
        ),
        ("Inspection handbook 2023.pdf", _pdf("Inspection handbook"), t),
        ("Parking at the office.pdf", _pdf("Parking"), t),
    ]
    return [Fixture(path, data, modified) for path, data, modified in files]


# What the checklist must say about the upload above (checked by tests and the CLI test).
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "organisational_structure": (
        "received",
        [
            "01 Organisational structures/CYPES org chart Jan 2024.pdf",
            "List of managers.xlsx",
            "Org chart - Fostering and Adoption.pdf",
        ],
    ),
    "self_evaluation_report": ("received", ["Self-Evaluation Report 2024 FINAL.docx"]),
    # Waiting for the answer about 'Data Nov.xlsx'.
    "child_level_data": (
        "needs_attention",
        ["Annex A child level data Q3.xlsx", "ChAT extract - adoption and fostering.xlsx"],
    ),
    "quality_improvement_activity": (
        "received",
        ["QA annual report 2023-24.pdf", "Service reviews/Front door review.docx"],
    ),
    "case_audit_list": (
        "needs_attention",
        [
            "05 Case audits/Audit tracker (protected).xlsx",
            "05 Case audits/Case file audits Aug 2023 - Jan 2024.xlsx",
            "Audits.xlsx",
        ],
    ),
    "onsite_meetings": (
        "received",
        [
            "Meetings during the inspection/Operational meetings diary.doc",
            "Meetings during the inspection/Strategic meetings 4-15 March.docx",
        ],
    ),
    "service_user_groups": (
        "needs_attention",
        ["Participation - Children in Care Council dates.docx"],
    ),
    "staffing_data": ("needs_attention", ["Book1.xlsx", "Staffing return Q3 2023-24.xlsx"]),
    "strategic_plans": ("received", ["Strategic plan 2023-2026.pdf"]),
    "workforce_development_plans": ("missing", []),
    "performance_information": (
        "received",
        ["ChAT dashboard Jan 2024.pdf", "Performance scorecard Dec 2023.xlsx"],
    ),
    "transformation_plans": ("received", ["Improvement plan - Jan 2024 update.docx"]),
    "practice_model": ("received", ["Practice framework - Signs of Safety.pdf"]),
    "threshold_criteria": ("received", ["Continuum of need thresholds.pdf"]),
    "corporate_parenting_board_minutes": (
        "received",
        ["CPB minutes Jan 2024.docx", "CPB minutes Oct 2023.docx"],
    ),
    "consultation_findings": ("received", ["Consultation findings - young people survey 2023.pdf"]),
    "multi_agency_audits": ("received", ["Thematic audit - neglect (multi-agency).docx"]),
    "learning_from_feedback": (
        "received",
        ["Complaints and compliments annual report 2022-23.pdf"],
    ),
    "placements_sufficiency": ("received", ["Sufficiency strategy 2023-2026.pdf"]),
}
EXPECTED_SUPERSEDED = {"self_evaluation_report": ["SER 2023 v2.docx"]}
EXPECTED_UNMATCHED = [
    "Data Nov.xlsx",
    "Inspection handbook 2023.pdf",
    "Parking at the office.pdf",
    "Staff Christmas party rota.docx",
]
EXPECTED_IGNORED = [
    ".DS_Store",
    "01 Organisational structures/Org chart draft.pdf",
    "Information requests/IR-003 response - supervision records.xlsx",
    "SER notes.tmp",
    "Thumbs.db",
    "~$lf-Evaluation Report 2024 FINAL.docx",
]


def write(root: Path, fixtures: list[Fixture] | None = None) -> list[Fixture]:
    """Write the upload under `root`, with each file's modified time."""
    fixtures = fixtures if fixtures is not None else build()
    for fixture in fixtures:
        path = root / fixture.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fixture.data)
        stamp = fixture.modified.timestamp()
        os.utime(path, (stamp, stamp))
    return fixtures


def _loader(data: bytes) -> Callable[[], Any]:
    async def load() -> bytes:
        return data

    return load


def document_files(fixtures: list[Fixture] | None = None) -> list[DocumentFile]:
    """The upload as the Graph adapter would describe it (ids are stable across versions)."""
    fixtures = fixtures if fixtures is not None else build()
    return [
        DocumentFile(
            file_id=f"item-{index:03d}",
            name=fixture.name,
            folder=fixture.folder,
            size=len(fixture.data),
            modified=fixture.modified,
            web_url=f"https://example.invalid/files/{index}",
            load=_loader(fixture.data),
        )
        for index, fixture in enumerate(fixtures)
    ]
