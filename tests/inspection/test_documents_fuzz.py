"""Random and corrupt bytes with document extensions never crash the checker."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspection.checklist import DocumentFile, assess_file
from inspection.documents.checks import CheckContext, run_checks
from inspection.documents.content import DocumentContent, Unreadable, read_content
from inspection.documents.matching import Matcher
from inspection.frameworks import builtin_frameworks
from tests.documents.builders import (
    csv_bytes,
    docx_bytes,
    pdf_bytes,
    staffing_rows,
    xlsx_bytes,
)

EXTENSIONS = [".pdf", ".docx", ".docm", ".xlsx", ".xlsm", ".csv", ".doc", ".xls", ".txt", ""]
CONTEXT = CheckContext(
    notice=date(2024, 2, 1), onsite_start=date(2024, 3, 4), onsite_end=date(2024, 3, 15)
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _valid() -> dict[str, bytes]:
    return {
        ".docx": docx_bytes(
            title="Self-Evaluation Report",
            sections=[("Summary", 2)],
            tables=[staffing_rows()[1:]],
            stored_pages=3,
        ),
        ".xlsx": xlsx_bytes(
            {"Appendix 2": staffing_rows(), "CIN": [["Case ref", "Name"], ["CR-1", "A B"]]}
        ),
        ".pdf": pdf_bytes(["Meetings: 5 March 2024", "Number of unallocated cases: 4"]),
        ".csv": csv_bytes([["Case ref", "Case type", "Audit date"], ["CR-1", "CIN", "01/09/2023"]]),
    }


def _check_everything(name: str, data: bytes) -> None:
    result = read_content(name, data)
    assert isinstance(result, DocumentContent | Unreadable)
    if isinstance(result, Unreadable):
        assert result.reason
        return
    framework = builtin_frameworks().get("jcc-children-social-care")
    for item in framework.checklist:
        run_checks(item, result, CONTEXT)
    Matcher(framework.checklist).by_content(result)


@FUZZ
@given(st.sampled_from(EXTENSIONS), st.binary(max_size=4096))
def test_random_bytes_never_crash(extension: str, data: bytes) -> None:
    _check_everything(f"upload{extension}", data)


@FUZZ
@given(
    st.sampled_from(EXTENSIONS),
    st.sampled_from(["%PDF-1.4\n", "PK\x03\x04", "\ufeffa,b\n"]),
    st.binary(max_size=2048),
)
def test_plausible_headers_then_garbage_never_crash(extension: str, head: str, data: bytes) -> None:
    _check_everything(f"upload{extension}", head.encode() + data)


@FUZZ
@given(
    st.sampled_from([".docx", ".xlsx", ".pdf", ".csv"]),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=20
    ),
    st.one_of(st.none(), st.integers(min_value=0)),
)
def test_corrupted_real_documents_never_crash(
    extension: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(_valid()[extension])
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _check_everything(f"upload{extension}", bytes(data))


@FUZZ
@given(st.text(max_size=120), st.text(max_size=60))
def test_any_file_name_and_folder_can_be_assessed(name: str, folder: str) -> None:
    framework = builtin_frameworks().get("jcc-children-social-care")

    async def load() -> bytes:
        return b"not really a document"

    file = DocumentFile("id", name or "x", folder, 21, datetime(2024, 2, 1, tzinfo=UTC), load=load)
    assessment = asyncio.run(assess_file(file, framework, CONTEXT))
    assert assessment.reason
