"""`inspection-bot check-documents`: the CLI contract of issue 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.documents import fixture_set

FRAMEWORK = ["--framework", "jcc-children-social-care"]
DATES = ["--notice", "2024-02-01", "--onsite-start", "2024-03-04", "--onsite-end", "2024-03-15"]


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("upload")
    fixture_set.write(root)
    return root


def test_json_report_of_a_realistic_upload(
    upload: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-documents", str(upload), *FRAMEWORK, *DATES, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"items", "unmatched", "ignored"} <= set(report)
    for item in report["items"]:
        assert {"key", "title", "required", "status", "files", "problems"} <= set(item)
    got = {i["key"]: (i["status"], i["files"]) for i in report["items"]}
    assert got == fixture_set.EXPECTED
    assert [i["key"] for i in report["items"] if i["required"]] == [
        "organisational_structure",
        "self_evaluation_report",
        "child_level_data",
        "quality_improvement_activity",
        "case_audit_list",
        "onsite_meetings",
        "service_user_groups",
        "staffing_data",
    ]
    assert len(report["items"]) == 19
    assert [u["path"] for u in report["unmatched"]] == fixture_set.EXPECTED_UNMATCHED
    assert [i["path"] for i in report["ignored"]] == fixture_set.EXPECTED_IGNORED
    assert all(entry["reason"] for entry in report["unmatched"] + report["ignored"])
    orgs = next(i for i in report["items"] if i["key"] == "organisational_structure")
    assert orgs["matches"][0] == {
        "path": "01 Organisational structures/CYPES org chart Jan 2024.pdf",
        "reason": "uploaded to the '01 Organisational structures' folder",
        "confidence": 0.95,
    }
    audits = next(i for i in report["items"] if i["key"] == "case_audit_list")
    assert any("row 6 (CR-200003)" in p for p in audits["problems"])


def test_without_dates_the_date_checks_say_so(
    upload: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-documents", str(upload), *FRAMEWORK, "--json"]) == 0
    items = {i["key"]: i for i in json.loads(capsys.readouterr().out)["items"]}
    groups = items["service_user_groups"]
    assert groups["status"] == "received"
    assert any("the on-site dates are not known" in n for n in groups["notes"])
    assert any("notice date" in n for n in items["case_audit_list"]["notes"])


def test_readable_checklist(upload: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-documents", str(upload), *FRAMEWORK, *DATES]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Required documents: 4 received, 4 need attention, 0 missing, 0 waived\n")
    assert "  [x] Self-Evaluation Report (received)\n" in out
    assert "        superseded: SER 2023 v2.docx (superseded by" in out
    assert "  [ ] Workforce development plans (missing)\n" in out
    assert "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?" in out
    assert "  Thumbs.db: a Windows thumbnail cache (Thumbs.db)\n" in out


def test_an_empty_folder_is_all_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-documents", str(tmp_path), *FRAMEWORK, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {i["status"] for i in report["items"]} == {"missing"}
    assert report["unmatched"] == [] and report["ignored"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/folder", *FRAMEWORK], "/no/such/folder: no such folder"),
        (["{tmp}", "--framework", "nope"], "unknown framework 'nope'; known frameworks:"),
        (["{tmp}", *FRAMEWORK, "--onsite-start", "2024-03-04"], "give both --onsite-start"),
        (
            ["{tmp}", *FRAMEWORK, "--onsite-start", "2024-03-04", "--onsite-end", "2024-03-01"],
            "--onsite-end is before --onsite-start",
        ),
        (["{tmp}", *FRAMEWORK, "--notice", "1/2/2024"], "is not a date; use YYYY-MM-DD"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["check-documents", *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
