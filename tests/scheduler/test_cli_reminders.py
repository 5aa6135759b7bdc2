"""`inspection-bot reminders --inspection <id> --on YYYY-MM-DD --json`: a dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main


@pytest.fixture
def stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> int:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "inspections",
            "create",
            "--framework",
            "jcc-children-social-care",
            "--type",
            "full",
            "--service",
            "Synthetic service",
            "--onsite-start",
            "2026-04-20",
            "--onsite-end",
            "2026-04-24",
            "--notice",
            "2026-03-16",
            "--lead",
            "lead-1",
            "--link-officer",
            "lo-1",
            "--director",
            "dir-1",
            "--json",
        ]
    )
    assert code == 0
    identifier: int = json.loads(capsys.readouterr().out)["id"]
    return identifier


def test_dry_run_of_the_upload_deadline(stored: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "--inspection", str(stored), "--on", "2026-03-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2026-03-30" and data["timezone"] == "Europe/Jersey"
    assert data["undelivered"] == []
    by_recipient = {(m["to"]["kind"], m["to"].get("aad_object_id")): m for m in data["messages"]}
    assert set(by_recipient) == {("channel", None), ("person", "lo-1")}
    channel = by_recipient[("channel", None)]
    assert channel["time"] == "09:00" and channel["at_utc"] == "2026-03-30T08:00:00+00:00"
    assert channel["mentions"] == ["lo-1"]
    assert [item["rule"] for item in channel["items"]] == ["documents_due"]
    assert channel["items"][0]["step"] == "today"
    # Nothing uploaded: every required item is missing.
    assert "8 required items missing" in channel["items"][0]["line"]
    assert by_recipient[("person", "lo-1")]["to"]["role"] == "link officer"


def test_dry_run_sends_and_records_nothing(stored: int, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(["reminders", "--inspection", str(stored), "--on", "2026-03-30", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)["messages"]) == 2


def test_a_quiet_day_and_the_readable_output(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "--inspection", str(stored), "--on", "2026-03-28"]) == 0
    assert "No reminders for inspection" in capsys.readouterr().out
    assert main(["reminders", "--inspection", str(stored), "--on", "2026-04-02"]) == 0
    out = capsys.readouterr().out
    assert "09:00 to the channel:" in out
    assert "to dir-1 (director):" in out
    assert "For information" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--inspection", "99", "--on", "2026-03-30"], "there is no inspection 99"),
        (["--inspection", "x", "--on", "2026-03-30"], "is not an inspection id"),
        (["--inspection", "1", "--on", "30/03/2026"], "use YYYY-MM-DD"),
        (["--on", "2026-03-30"], "--inspection"),
    ],
)
def test_bad_input_is_one_clear_line(
    stored: int, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["reminders", *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_areas_for_improvement_from_the_command_line(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["improvements", "add", "--inspection", str(stored), "--json"]
    assert main([*add, "--text", "Care plans reviewed on time", "--months", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["reference"] == "AFI-1"
    assert main([*add, "--text", "Supervision recorded", "--months", "4"]) == 2
    assert "choose one of: 3, 6, 9, 12 months" in capsys.readouterr().err
    assert main(["improvements", "list", "--inspection", str(stored)]) == 0
    assert "AFI-1 (3 months, due from publication (not recorded yet))" in capsys.readouterr().out
    progress = ["improvements", "progress", "--inspection", str(stored), "--ref", "AFI-1"]
    assert main([*progress, "--text", "Audited monthly", "--completed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["completed_on"] is not None
    assert main(["improvements", "list", "--inspection", str(stored), "--json"]) == 0
    [area] = json.loads(capsys.readouterr().out)["areas"]
    assert area["progress"] == "Audited monthly" and area["deadline"] is None
