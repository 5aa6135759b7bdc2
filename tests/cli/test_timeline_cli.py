"""The `timeline` and `inspections` commands: the contract other tools depend on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

JCC_ARGS = [
    "timeline", "--framework", "jcc-children-social-care", "--type", "full",
    "--onsite-start", "2024-03-04", "--onsite-end", "2024-03-08",
]  # fmt: skip


def test_json_has_every_milestone_with_key_date_title_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*JCC_ARGS, "--notice", "2024-02-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = [m["key"] for m in data["milestones"]]
    for key in ("notice_latest", "notice", "documents_due", "onsite_start", "kit_meeting",
                "onsite_end", "final_feedback", "draft_report_due", "factual_accuracy_due",
                "publication_due"):  # fmt: skip
        assert key in keys
    by_key = {m["key"]: m for m in data["milestones"]}
    assert by_key["documents_due"] == {
        **by_key["documents_due"],
        "date": "2024-02-15",
        "source": "7.2",
        "title": "Required documents uploaded to the inspection channel",
    }
    assert by_key["notice"]["actual"] is True
    assert keys.count("kit_meeting") == 5


def test_readable_table_names_both_draft_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(JCC_ARGS) == 0
    out = capsys.readouterr().out
    assert "Fri 05 Apr 2024  Draft report sent" in out
    assert "Tue 09 Apr 2024: 20 working days after onsite end" in out
    assert "10.7" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--onsite-start", "2024-02-30"], "is not a date; use YYYY-MM-DD"),
        (["--framework", "nope"], "unknown framework 'nope'"),
        (["--type", "thematic"], "no inspection type 'thematic'"),
        (["--onsite-end", "2024-03-01"], "is before its start"),
        (["--notice", "2024-02-06"], "later than the latest date 2024-02-05"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = list(JCC_ARGS)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(argv))
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_late_notice_allowed_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*JCC_ARGS, "--notice", "2024-02-06", "--allow-late-notice", "--json"]) == 0
    captured = capsys.readouterr()
    assert "warning: late" in captured.err
    by_key = {m["key"]: m for m in json.loads(captured.out)["milestones"]}
    assert by_key["documents_due"]["date"] == "2024-02-20"


def test_monthly_cycle_takes_a_month(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["timeline", "--framework", "guernsey-audit-cycle", "--type", "monthly",
            "--month", "2024-03", "--json"]  # fmt: skip
    assert main(argv) == 0
    by_key = {m["key"]: m["date"] for m in json.loads(capsys.readouterr().out)["milestones"]}
    assert by_key["audits_due"] == "2024-03-20"


def test_inspections_create_then_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    argv = ["inspections", "create", "--framework", "jcc-children-social-care", "--type", "full",
            "--service", "Children's Social Work Service", "--onsite-start", "2024-03-04",
            "--onsite-end", "2024-03-08", "--notice", "2024-02-01", "--lead", "aad-lead",
            "--link-officer", "aad-link", "--director", "aad-dir", "--json"]  # fmt: skip
    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["id"] == 1
    assert main(["inspections", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["inspections"]
    assert [(i["id"], i["service"], i["notice"]) for i in listed] == [
        (1, "Children's Social Work Service", "2024-02-01")
    ]
    roles = {m["role"] for m in listed[0]["members"]}
    assert roles == {"lead_inspector", "link_officer", "director"}


def test_create_refuses_bad_dates_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    argv = ["inspections", "create", "--framework", "jcc-children-social-care", "--type",
            "focused", "--service", "Fostering Service", "--onsite-start", "2024-03-04",
            "--onsite-end", "2024-03-08", "--json"]  # fmt: skip
    assert main(argv) == 2
    assert "up to 3 working days" in capsys.readouterr().err
    assert main(["inspections", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"inspections": []}


def test_console_script_runs_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *JCC_ARGS, "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["framework"] == "jcc-children-social-care"
