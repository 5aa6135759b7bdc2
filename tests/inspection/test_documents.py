"""Content readers and content checks: each check with a passing and a failing document."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from fpdf import FPDF

from inspection.documents.checks import CheckContext, CheckResult, item_problems, run_checks
from inspection.documents.content import (
    DocumentContent,
    Limits,
    Unreadable,
    read_content,
)
from inspection.frameworks import ChecklistItemSpec, FrameworkRegistry
from tests.documents.builders import (
    LOREM,
    child_rows,
    csv_bytes,
    docx_bytes,
    ole_bytes,
    pdf_bytes,
    staffing_rows,
    xlsx_bytes,
)

CONTEXT = CheckContext(
    notice=date(2024, 2, 1), onsite_start=date(2024, 3, 4), onsite_end=date(2024, 3, 15)
)


@pytest.fixture(scope="module")
def items(frameworks: FrameworkRegistry) -> dict[str, ChecklistItemSpec]:
    return {i.key: i for i in frameworks.get("jcc-children-social-care").checklist}


def read(name: str, data: bytes, limits: Limits | None = None) -> DocumentContent:
    content = read_content(name, data, limits) if limits else read_content(name, data)
    assert isinstance(content, DocumentContent), content
    return content


def check(
    item: ChecklistItemSpec, *docs: tuple[str, bytes], ctx: CheckContext = CONTEXT
) -> CheckResult:
    """Run an item's checks over its files, as the checklist does, with item-level problems."""
    total = CheckResult()
    for name, data in docs:
        total.extend(run_checks(item, read(name, data), ctx))
    total.problems.extend(item_problems(item, total.found))
    return total


# --- 2.9: no more than 30 pages ---------------------------------------------------------------


def test_ser_page_count_word_stored_within_limit(items: dict[str, ChecklistItemSpec]) -> None:
    data = docx_bytes(title="SER", sections=[("Summary", 3)], stored_pages=30)
    assert read("SER.docx", data).pages == 30
    result = check(items["self_evaluation_report"], ("SER.docx", data))
    assert result.problems == []


def test_ser_page_count_word_stored_over_limit(items: dict[str, ChecklistItemSpec]) -> None:
    data = docx_bytes(title="SER", sections=[("Summary", 3)], stored_pages=34)
    result = check(items["self_evaluation_report"], ("SER.docx", data))
    assert result.problems == [
        "34 pages; the handbook allows no more than 30 (2.9). Shorten it, or move detail into "
        "appendices uploaded as separate files"
    ]


def test_ser_pages_estimated_when_word_stored_none(items: dict[str, ChecklistItemSpec]) -> None:
    long = docx_bytes(title="SER", sections=[("Summary", 1)], page_breaks=35)
    content = read("SER.docx", long)
    assert (content.pages, content.pages_approximate) == (36, True)
    result = check(items["self_evaluation_report"], ("SER.docx", long))
    assert result.problems[0].startswith(
        "about 36 pages (estimated from page breaks and words: Word did not store a page count)"
    )
    short = docx_bytes(title="SER", sections=[("Summary", 2)])
    result = check(items["self_evaluation_report"], ("SER.docx", short))
    assert result.problems == []
    assert result.notes == [
        "about 1 pages (estimated from page breaks and words: Word did not store a page count)"
    ]


def test_ser_pages_estimated_from_words_without_breaks(items: dict[str, ChecklistItemSpec]) -> None:
    data = docx_bytes(title="SER", sections=[("Body", 70)])
    words = 70 * len(LOREM.split()) + 2  # and the two headings
    content = read("SER.docx", data)
    assert (content.pages, content.pages_approximate) == (math.ceil(words / 500), True)


def test_stale_template_statistics_are_not_trusted() -> None:
    # python-docx's template says Pages=1, Words=0 whatever the document holds.
    data = docx_bytes(title="SER", sections=[("Body", 2)], page_breaks=40, keep_template_stats=True)
    content = read("SER.docx", data)
    assert (content.pages, content.pages_approximate) == (41, True)


def test_pdf_pages_counted(items: dict[str, ChecklistItemSpec]) -> None:
    ok = pdf_bytes(["Self-Evaluation Report"] * 30)
    assert check(items["self_evaluation_report"], ("SER.pdf", ok)).problems == []
    too_long = pdf_bytes(["Self-Evaluation Report"] * 31)
    assert (
        check(items["self_evaluation_report"], ("SER.pdf", too_long))
        .problems[0]
        .startswith("31 pages; the handbook allows no more than 30 (2.9)")
    )


# --- Appendix 1 -----------------------------------------------------------------------------------

ALL_SHEETS = {
    "Headline figures": [["Measure", "Value"], ["Contacts", 1]],
    "Contacts (6m)": child_rows("1", 3),
    "EH": child_rows("2", 3),
    "Referrals": child_rows("3", 3),
    "Assessments": child_rows("4", 3),
    "Art 42": child_rows("5", 3),
    "CIN": child_rows("6", 3),
    "CP plans": child_rows("7", 3),
    "LAC": child_rows("8", 3),
    "Care leavers": child_rows("9", 3),
    "Adopted": child_rows("10", 3),
    "Adoption scorecard": [["Measure", "Value"], ["A1", 1]],
    "Foster carers": [["Household", "Places"], ["FH-1", 2]],
    "Ethnicity": [["Group", "Count"], ["A", 1]],
    "Statistical neighbours": [["Measure", "Value"], ["Rate", 1]],
    "CSE & CCE": child_rows("11", 3),
    "Missing": child_rows("12", 3),
    "PLO": child_rows("13", 3),
    "Care proceedings": child_rows("14", 3),
    "Kinship": child_rows("15", 3),
    "Permanency": child_rows("16", 3),
}


def test_appendix_1_all_items_and_lists_present(items: dict[str, ChecklistItemSpec]) -> None:
    result = check(items["child_level_data"], ("Annex A.xlsx", xlsx_bytes(ALL_SHEETS)))
    assert result.problems == []
    assert len(result.found["appendix_1_coverage"]) == 21


def test_appendix_1_missing_items_and_lists_listed(items: dict[str, ChecklistItemSpec]) -> None:
    sheets = {
        k: v for k, v in ALL_SHEETS.items() if k not in ("Adoption scorecard", "EH", "Kinship")
    }
    result = check(items["child_level_data"], ("Annex A.xlsx", xlsx_bytes(sheets)))
    assert result.problems == [
        "2 of the 15 Appendix 1 items not found (as a sheet, table or heading): Early Help in "
        "the last 6 months; Adoption benchmarking",
        "1 of the 6 Appendix 1 lists not found: Connected Carers",
    ]


def test_appendix_1_counts_across_files_and_word_headings(
    items: dict[str, ChecklistItemSpec],
) -> None:
    first = {k: v for k, v in list(ALL_SHEETS.items())[:10]}
    headings = [(title, 1) for title in list(ALL_SHEETS)[10:]]
    second = docx_bytes(title="Child level data", sections=headings)
    result = check(items["child_level_data"], ("A.xlsx", xlsx_bytes(first)), ("B.docx", second))
    assert result.problems == []


def test_appendix_1_cells_are_not_sheets(items: dict[str, ChecklistItemSpec]) -> None:
    # "CLA" as a value in a row is not the CLA list.
    rows = [["Case reference", "Legal status"], ["CR-1", "CLA"], ["CR-2", "CIN"]]
    result = check(items["child_level_data"], ("data.xlsx", xlsx_bytes({"Sheet1": rows})))
    assert "Children Looked After (CLA)" in result.problems[0]


# --- 9.7: no children's names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["Child's name", "Forename", "Surname", "Name", "Full name", "Child name"]
)
def test_child_name_column_flagged(items: dict[str, ChecklistItemSpec], header: str) -> None:
    rows = [["Case reference", header, "Age"], ["CR-1", "Alex", 4], ["CR-2", "Sam", 6]]
    result = check(items["child_level_data"], ("CIN.xlsx", xlsx_bytes({"CIN": rows})))
    assert f"sheet 'CIN', column B ('{header}') is headed like a child's name" in result.problems[0]
    assert not any("Alex" in p or "Sam" in p for p in result.problems)


def test_full_names_in_an_unnamed_column_flagged_without_echo(
    items: dict[str, ChecklistItemSpec],
) -> None:
    rows: list[list[Any]] = [["Case reference", "Details", "Age"]]
    rows += [[f"CR-{i}", f"Testa{chr(97 + i)} Placeholderson", 5] for i in range(6)]
    result = check(items["child_level_data"], ("CIN.csv", csv_bytes(rows)))
    names_problem = [p for p in result.problems if "full names" in p]
    assert names_problem == [
        "column B ('Details'): 6 of 6 entries look like people's full names; children must be "
        "identified by case reference number only (9.7); replace them and upload the file again"
    ]
    assert "Placeholderson" not in names_problem[0]


def test_case_references_worker_names_and_care_terms_pass(
    items: dict[str, ChecklistItemSpec],
) -> None:
    rows: list[list[Any]] = [
        ["Case reference", "Social worker name", "Team", "Ethnicity", "Placement"]
    ]
    rows += [
        [f"CR-{i}", "Worker Exampleton", "North Team", "White British", "Foster Care"]
        for i in range(10)
    ]
    result = check(items["child_level_data"], ("CLA.xlsx", xlsx_bytes({"CLA": rows})))
    assert not any("9.7" in p for p in result.problems)


# --- 7.2: the case audit list -----------------------------------------------------------------

AUDIT_HEADER = ["Case ref", "Case type", "Allocated social worker", "Team", "Audit date", "Grade"]


def _audits(rows: Sequence[Any], header: list[str] = AUDIT_HEADER) -> bytes:
    return xlsx_bytes({"Audits": [header, *rows]})


GOOD_AUDITS: list[list[Any]] = [
    ["CR-1", "CIN", "Worker A", "North", datetime(2023, 9, 1), "Good"],
    ["CR-2", "Child protection", "Worker B", "South", "14/11/2023", "Requires improvement"],
    ["CR-3", "LAC", "Worker C", "CiC", "2024-01-10", "Inadequate"],
    ["CR-4", "Care leaver", "Worker D", "Leaving care", datetime(2024, 1, 31), None],
]


def test_case_audit_list_passes(items: dict[str, ChecklistItemSpec]) -> None:
    result = check(items["case_audit_list"], ("audits.xlsx", _audits(GOOD_AUDITS)))
    assert result.problems == []


def test_case_audit_list_as_csv_passes(items: dict[str, ChecklistItemSpec]) -> None:
    rows = [
        [c.strftime("%d/%m/%Y") if isinstance(c, datetime) else c for c in r] for r in GOOD_AUDITS
    ]
    result = check(items["case_audit_list"], ("audits.csv", csv_bytes([AUDIT_HEADER, *rows])))
    assert result.problems == []


def test_case_audit_list_failures_listed(items: dict[str, ChecklistItemSpec]) -> None:
    rows = [
        ["CR-1", "CIN", "Worker A", datetime(2023, 9, 1), "Good"],
        ["CR-2", "Adoption", "Worker B", datetime(2023, 6, 30), "Amber"],
        ["CR-3", "CLA", "Worker C", "not yet", "Good"],
        ["CR-4", "LAC", "Worker D", datetime(2024, 2, 20), "Outstanding"],
    ]
    header = ["Case ref", "Case type", "Allocated social worker", "Audit date", "Grade"]
    result = check(items["case_audit_list"], ("audits.xlsx", _audits(rows, header)))
    assert result.problems == [
        "no column in 'Audits' for: team (7.2); add the column(s) with those headings",
        "1 row(s) with a case type that is not child in need, child protection, child looked "
        "after or care leaver: row 3 (CR-2)",
        "1 row(s) with a grade that is not outstanding, good, requires improvement or "
        "inadequate: row 3 (CR-2)",
        "2 audit(s) dated outside the 6 months before notice (1 Aug 2023 to 1 Feb 2024, 7.2): "
        "row 3 (CR-2) 30 Jun 2023, row 5 (CR-4) 20 Feb 2024",
        "1 row(s) without a readable audit date: row 4 (CR-3)",
    ]


def test_case_audit_dates_need_the_notice_date(items: dict[str, ChecklistItemSpec]) -> None:
    result = check(
        items["case_audit_list"], ("audits.xlsx", _audits(GOOD_AUDITS)), ctx=CheckContext()
    )
    assert result.problems == []
    assert "audit dates not checked against the notice date: it is not known yet" in result.notes


def test_case_audit_list_without_a_table(items: dict[str, ChecklistItemSpec]) -> None:
    data = docx_bytes(title="Audits", sections=[("Summary", 1)])
    result = check(items["case_audit_list"], ("audits.docx", data))
    assert result.problems[0].startswith("no table of audited cases found")


# --- Appendix 2: staffing data -----------------------------------------------------------------


def test_staffing_all_answered(items: dict[str, ChecklistItemSpec]) -> None:
    result = check(items["staffing_data"], ("staffing.xlsx", xlsx_bytes({"A2": staffing_rows()})))
    assert result.problems == []
    assert len(result.found["appendix_2_answers"]) == 11


def test_staffing_blank_and_absent_answers(items: dict[str, ChecklistItemSpec]) -> None:
    rows = staffing_rows(blank=["What is the turnover rate", "No. FTE Unqualified SW"])
    rows = [r for r in rows if not str(r[0]).startswith("Number of unallocated")]
    result = check(items["staffing_data"], ("staffing.xlsx", xlsx_bytes({"A2": rows})))
    assert result.problems == [
        "2 Appendix 2 question(s) left blank: No. FTE Unqualified SW in the Service; What is "
        "the turnover rate for qualified, newly qualified and unqualified social workers?",
        "1 Appendix 2 question(s) not found: Number of unallocated cases",
    ]


def test_staffing_tbc_is_not_an_answer(items: dict[str, ChecklistItemSpec]) -> None:
    rows = [
        [q, "TBC" if str(q).startswith("Average caseload per Qualified") else a]
        for q, a in staffing_rows()
    ]
    result = check(items["staffing_data"], ("staffing.xlsx", xlsx_bytes({"A2": rows})))
    assert result.problems == [
        "1 Appendix 2 question(s) left blank: Average caseload per Qualified SW"
    ]


def test_staffing_in_a_word_table_and_in_text(items: dict[str, ChecklistItemSpec]) -> None:
    rows = staffing_rows()[1:]
    assert check(items["staffing_data"], ("s.docx", docx_bytes(tables=[rows]))).problems == []
    lines = "\n".join(f"{q}: {a}" for q, a in staffing_rows()[2:])
    assert check(items["staffing_data"], ("s.pdf", pdf_bytes([lines]))).problems == []


def test_staffing_questions_across_the_header(items: dict[str, ChecklistItemSpec]) -> None:
    questions = [q for q, _ in staffing_rows()[2:]]
    answers = [a for _, a in staffing_rows()[2:]]
    answers[6] = None  # unallocated cases
    result = check(items["staffing_data"], ("s.xlsx", xlsx_bytes({"A2": [questions, answers]})))
    assert result.problems == ["1 Appendix 2 question(s) left blank: Number of unallocated cases"]


# --- 7.2: meetings during the on-site period ------------------------------------------------------


def _meetings(*dates: Any) -> bytes:
    rows = [["Date", "Meeting", "Venue"]] + [[d, "Board", "Room 1"] for d in dates]
    return docx_bytes(title="Meetings", tables=[rows])


def test_meeting_dates_inside_the_window(items: dict[str, ChecklistItemSpec]) -> None:
    data = _meetings("Monday 4 March 2024", "08/03/2024", "15 Mar", "2024-03-11")
    assert check(items["onsite_meetings"], ("m.docx", data)).problems == []


def test_meeting_dates_outside_the_window(items: dict[str, ChecklistItemSpec]) -> None:
    data = _meetings("Monday 4 March 2024", "1 March 2024", "18/03/2024")
    assert check(items["onsite_meetings"], ("m.docx", data)).problems == [
        "2 date(s) outside the on-site period (4 Mar 2024 to 15 Mar 2024): 1 Mar 2024, "
        "18 Mar 2024; list only meetings in that period or correct the dates"
    ]


def test_meetings_without_dates(items: dict[str, ChecklistItemSpec]) -> None:
    data = docx_bytes(title="Meetings", sections=[("To be arranged", 1)])
    problems = check(items["service_user_groups"], ("m.docx", data)).problems
    assert problems == [
        "no dates found: give the date of each meeting in the on-site period "
        "(4 Mar 2024 to 15 Mar 2024)"
    ]


def test_meeting_dates_in_a_spreadsheet_and_a_pdf(items: dict[str, ChecklistItemSpec]) -> None:
    sheet = xlsx_bytes({"Groups": [["Group", "Date"], ["Youth forum", datetime(2024, 3, 6)]]})
    assert check(items["service_user_groups"], ("g.xlsx", sheet)).problems == []
    pdf = pdf_bytes(["Youth forum: 20 March 2024"])
    assert "20 Mar 2024" in check(items["service_user_groups"], ("g.pdf", pdf)).problems[0]


def test_meeting_dates_need_the_onsite_dates(items: dict[str, ChecklistItemSpec]) -> None:
    result = check(
        items["onsite_meetings"], ("m.docx", _meetings("1 May 2024")), ctx=CheckContext()
    )
    assert result.problems == []
    assert result.notes == ["dates not checked: the on-site dates are not known"]


# --- readers: what cannot be checked, and why ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "SER.doc",
            ole_bytes(),
            "a legacy Word document (.doc): its content cannot be checked; save it as .docx",
        ),
        ("Data.xls", ole_bytes(), "a legacy Excel workbook (.xls)"),
        ("SER.docx", ole_bytes(), "password-protected (encrypted)"),
        ("Data.xlsx", ole_bytes(), "password-protected (encrypted)"),
        ("SER.docx", b"PK\x03\x04garbage", "damaged"),
        ("SER.docx", b"just some text", "not a valid .docx file"),
        ("SER.pdf", b"%PDF-1.7\n garbage", "PDF"),
        ("SER.pdf", b"hello", "not a valid PDF"),
        ("Photo.jpg", b"\xff\xd8\xff", "not a format whose content is checked"),
        ("SER.docm", b"", "empty"),
    ],
)
def test_unreadable_files_say_why(name: str, data: bytes, reason: str) -> None:
    result = read_content(name, data)
    assert isinstance(result, Unreadable)
    assert reason in result.reason


def test_macro_enabled_word_document_is_not_opened() -> None:
    result = read_content("SER.docm", docx_bytes(title="SER"))
    assert isinstance(result, Unreadable) and ".docm" in result.reason


def test_macro_enabled_workbook_is_read_without_its_macros() -> None:
    content = read("Staffing.xlsm", xlsx_bytes({"A2": staffing_rows()}))
    assert content.tables[0].name == "A2"


def test_password_protected_pdf() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 10, "Self-Evaluation Report")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    result = read_content("SER.pdf", bytes(pdf.output()))
    assert result == Unreadable("the PDF is password-protected; upload a copy without a password")


def test_oversized_file_refused_before_reading() -> None:
    result = read_content("SER.docx", docx_bytes(title="SER"), Limits(max_file_bytes=1000))
    assert isinstance(result, Unreadable) and "MB checked" in result.reason


def _zip_with(name: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(name, "w", force_zip64=True) as member:
            chunk = b"\0" * 1_048_576
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_decompression_bomb_refused_by_ratio() -> None:
    bomb = _zip_with("word/document.xml", 20 * 1_048_576)
    assert len(bomb) < 100_000
    result = read_content("SER.docx", bomb)
    assert isinstance(result, Unreadable) and "compression bomb" in result.reason


def test_decompression_bomb_refused_by_total_size() -> None:
    bomb = _zip_with("xl/worksheets/sheet1.xml", 8 * 1_048_576)
    result = read_content(
        "Data.xlsx", bomb, Limits(max_unzipped_bytes=4 * 1_048_576, max_member_ratio=10_000)
    )
    assert isinstance(result, Unreadable) and "expands to 8 MB" in result.reason


def test_zip_encrypted_members_refused() -> None:
    data = bytearray(xlsx_bytes({"S": [["a", "b"]]}))
    # Set the "encrypted" flag of the first local header and its central directory entry.
    data[6] |= 1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1
    result = read_content("Data.xlsx", bytes(data))
    assert isinstance(result, Unreadable) and "password" in result.reason


def test_huge_sheet_is_truncated_with_a_note() -> None:
    rows = [["Case reference", "Age"]] + [[f"CR-{i}", 5] for i in range(300)]
    content = read("Data.xlsx", xlsx_bytes({"CIN": rows}), Limits(max_rows_per_sheet=100))
    assert len(content.tables[0].rows) == 99
    assert content.notes == ["sheet 'CIN': only the first 100 rows were checked"]


def test_csv_with_semicolons_and_windows_encoding() -> None:
    data = "Case ref;Case type;Équipe\r\nCR-1;CIN;Nord\r\n".encode("cp1252")
    content = read("audits.csv", data)
    assert content.tables[0].header == ["Case ref", "Case type", "Équipe"]
    assert content.tables[0].rows == [["CR-1", "CIN", "Nord"]]


def test_header_found_below_a_title_line() -> None:
    rows = [["Case audits April to September"], [], AUDIT_HEADER, GOOD_AUDITS[0]]
    content = read("audits.xlsx", xlsx_bytes({"Audits": rows}))
    table = content.tables[0]
    assert table.header == AUDIT_HEADER
    assert table.first_row_number == 4
    assert content.headings == ["Case audits April to September"]


def _pdf_with_page_stream(stream: bytes) -> bytes:
    """A one-page PDF whose content stream is `stream` (already Flate-compressed)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_decompression_bomb_stops_at_the_stream_limit() -> None:
    import zlib

    bomb = _pdf_with_page_stream(zlib.compress(b"0" * 48 * 1_048_576, 9))
    assert len(bomb) < 100_000
    content = read("SER.pdf", bomb, Limits(max_pdf_stream_bytes=4 * 1_048_576))
    assert content.pages == 1
    assert content.notes == ["the text of page 1 was not read: it expands beyond the size checked"]
    # The same page under the limit is read.
    fine = _pdf_with_page_stream(zlib.compress(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET"))
    assert read("SER.pdf", fine).notes == []


def test_a_date_of_birth_is_not_the_audit_date(items: dict[str, ChecklistItemSpec]) -> None:
    header = ["Case ref", "Date of birth", "Case type", "Allocated social worker", "Team", "Grade"]
    rows = [["CR-1", datetime(2015, 4, 1), "CIN", "Worker A", "North", "Good"]]
    result = check(items["case_audit_list"], ("audits.xlsx", _audits(rows, header)))
    assert result.problems == [
        "no column in 'Audits' for: audit date (7.2); add the column(s) with those headings"
    ]


def test_appendix_1_lists_one_per_file_named_by_the_file(
    items: dict[str, ChecklistItemSpec],
) -> None:
    files = [(f"{title}.csv", csv_bytes(child_rows("1", 2))) for title in ALL_SHEETS]
    result = check(items["child_level_data"], *files)
    assert result.problems == []


def test_appendix_1_bold_headings_and_section_rows(items: dict[str, ChecklistItemSpec]) -> None:
    import docx as python_docx

    document = python_docx.Document()
    for title in list(ALL_SHEETS)[:10]:
        document.add_paragraph().add_run(title).bold = True  # typed, not a heading style
        document.add_paragraph("CR-1 and CR-2 are open.")
    buffer = io.BytesIO()
    document.save(buffer)
    # The other lists as sections of one sheet: a label row, then the rows of that list.
    rows: list[list[Any]] = [["Case reference", "Age"]]
    for title in list(ALL_SHEETS)[10:]:
        rows += [[title], ["CR-1", 4], ["CR-2", 7]]
    result = check(
        items["child_level_data"],
        ("lists.docx", buffer.getvalue()),
        ("more.xlsx", xlsx_bytes({"Sheet1": rows})),
    )
    assert result.problems == []


def test_a_huge_word_document_is_not_loaded_whole() -> None:
    data = docx_bytes(title="SER", sections=[("Body", 40)])
    result = read_content("SER.docx", data, Limits(max_docx_xml_bytes=10_000))
    assert isinstance(result, Unreadable)
    assert result.reason.endswith("MB checked; split it into smaller files")
    not_word = xlsx_bytes({"S": [["a", "b"]]})
    result = read_content("SER.docx", not_word)
    assert result == Unreadable("the file is not a Word document (it has no document part)")
