"""`inspection-bot requests export|list|grid` against a real SQLite store."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cli.main import main
from inspection.clock import FixedClock
from inspection.frameworks import builtin_frameworks
from inspection.requests import Person, RequestLog
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

LEAD = Person("aad-lead", "Lead Inspector A")
LINK = Person("aad-link", "Link Officer C")


@pytest.fixture
def stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> int:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    code = main([
        "inspections", "create", "--framework", "jcc-children-social-care", "--type", "full",
        "--service", "Children's Social Work Service", "--onsite-start", "2024-03-04",
        "--onsite-end", "2024-03-08", "--notice", "2024-02-01", "--lead", LEAD.aad_object_id,
        "--link-officer", LINK.aad_object_id, "--json",
    ])  # fmt: skip
    assert code == 0
    inspection_id = int(json.loads(capsys.readouterr().out)["id"])

    async def fill() -> None:
        database = Database(url)
        log = RequestLog(
            SqlRequestRepository(database), SqlInspectionRepository(database),
            builtin_frameworks(), FixedClock(datetime(2024, 3, 4, 9, 0, tzinfo=UTC)),
        )  # fmt: skip
        first = await log.log(inspection_id, LEAD, "Chronology for CR-1001", theme="Neglect")
        await log.add_note(inspection_id, first.ref, LEAD, "inspectors only remark")
        await log.log(inspection_id, LEAD, "Staffing return for the duty team")
        await log.answer(inspection_id, "IR-002", LINK, "Attached")
        await database.dispose()

    asyncio.run(fill())
    return inspection_id


def test_export_xlsx(stored: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "log.xlsx"
    assert main(["requests", "export", "--inspection", str(stored), "--xlsx", str(target)]) == 0
    assert "Wrote 2 request(s)" in capsys.readouterr().out
    sheet = load_workbook(target)["Requests"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["IR-001", "IR-002"]
    assert sheet["B2"].value == "Chronology for CR-1001"
    assert sheet["H2"].value == datetime(2024, 3, 5)
    assert all("inspectors only" not in str(c.value) for r in sheet.iter_rows() for c in r)


def test_export_csv_for_inspectors(stored: int, tmp_path: Path) -> None:
    target = tmp_path / "log.csv"
    args = [
        "requests",
        "export",
        "--inspection",
        str(stored),
        "--csv",
        str(target),
        "--for",
        "inspectors",
    ]
    assert main(args) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r["Id"] for r in rows] == ["IR-001", "IR-002"]
    assert "inspectors only remark" in rows[0]["Internal notes (inspectors only)"]
    assert rows[1]["Status"] == "answered"


def test_list_filters(stored: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requests", "list", "--inspection", str(stored), "--open", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["requests"]] == ["IR-001"]
    assert data["requests"][0]["child_refs"] == ["CR-1001"]
    assert main(["requests", "list", "--inspection", str(stored), "--child", "CR-9999"]) == 0
    assert capsys.readouterr().out == "No requests match.\n"
    assert main(["requests", "list", "--inspection", str(stored)]) == 0
    out = capsys.readouterr().out
    assert "IR-001  due Tue 05 Mar" in out and "[answered]" in out


def test_grid(stored: int, tmp_path: Path) -> None:
    target = tmp_path / "grid.xlsx"
    assert main(["requests", "grid", "--inspection", str(stored), "--xlsx", str(target)]) == 0
    sheet = load_workbook(target).active
    assert sheet is not None and sheet["A7"].value == "Page"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["requests", "export", "--inspection", "1"],
            "one of the arguments --xlsx --csv is required",
        ),
        (
            ["requests", "export", "--inspection", "77", "--csv", "x.csv"],
            "there is no inspection 77",
        ),
        (
            ["requests", "export", "--inspection", "1", "--csv", "/nonexistent/dir/x.csv"],
            "is not a folder",
        ),
    ],
)
def test_errors_are_one_line(
    stored: int, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
