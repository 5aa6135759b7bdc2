"""`inspection-bot demo`: what it seeds, that re-running changes nothing, and --reset."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.demo import (
    DEMO_CHANNEL_ID,
    DEMO_PEOPLE,
    channel_folder,
    demo_dates,
    seed_demo,
)
from cli.main import main
from cli.playground import demo_person, mock_tenant_yaml
from inspection.checklist import InspectionChecklist, ItemStatus
from inspection.clock import FixedClock, local_today
from inspection.frameworks import FrameworkRegistry
from inspection.model import InspectionStatus, Role
from inspection.requests import RequestLog
from store.checklist import SqlChecklistStore
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

# A Wednesday in term time, and a Monday after a Jersey bank holiday weekend.
WEDNESDAY = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted((p.relative_to(root).as_posix(), p.stat().st_mtime_ns) for p in root.rglob("*"))


async def _state(
    database: Database, frameworks: FrameworkRegistry, clock: FixedClock
) -> dict[str, Any]:
    repository = SqlInspectionRepository(database)
    inspections = await repository.list_all(include_closed=True)
    assert len(inspections) == 1, "the demo must be exactly one inspection"
    inspection = inspections[0]
    checklist = InspectionChecklist(SqlChecklistStore(database), frameworks, clock)
    state = await checklist.state(inspection)
    log = RequestLog(SqlRequestRepository(database), repository, frameworks, clock)
    assert inspection.id is not None
    requests = await log.all_requests(inspection.id, "inspectors")
    return {
        "inspection": inspection,
        "items": {item.key: item for item in state.items},
        "questions": state.questions,
        "requests": {r.ref: r for r in requests},
    }


async def test_demo_seeds_every_card(
    database: Database, frameworks: FrameworkRegistry, tmp_path: Path
) -> None:
    clock = FixedClock(WEDNESDAY)
    result = await seed_demo(database, frameworks, tmp_path, clock=clock)
    assert result.created
    seen = await _state(database, frameworks, clock)
    inspection = seen["inspection"]

    # A JCC full inspection, notice a few working days ago (Europe/Jersey), channel ready.
    framework = frameworks.get("jcc-children-social-care")
    today = local_today(clock, framework.zone)
    calendar = framework.calendar_for()
    assert inspection.framework == "jcc-children-social-care"
    assert inspection.inspection_type == "full"
    assert inspection.status == InspectionStatus.ACTIVE
    assert inspection.notice_date is not None
    assert 2 <= calendar.count_working_days(inspection.notice_date, today) <= 6
    assert inspection.notice_date < today < inspection.onsite_start
    assert inspection.channel is not None
    assert inspection.channel.channel_id == DEMO_CHANNEL_ID

    # Each demo person holds their role by the id the Teams emulator sends.
    for person in DEMO_PEOPLE:
        assert inspection.role_of(person.aad_object_id) == person.role

    # Some required documents received, some still missing; one file waits for an answer.
    items = seen["items"]
    for key in (
        "organisational_structure",
        "self_evaluation_report",
        "staffing_data",
        "onsite_meetings",
    ):
        assert items[key].status in (ItemStatus.RECEIVED, ItemStatus.NEEDS_ATTENTION), key
        assert items[key].files, key
    assert items["case_audit_list"].status == ItemStatus.MISSING
    assert len(seen["questions"]) == 1
    question = seen["questions"][0]
    assert "Data Nov.xlsx" in question.text
    assert len(question.options) >= 2
    assert (channel_folder(tmp_path) / "Data Nov.xlsx").is_file()

    # Requests in different states, one of them overdue.
    states = {ref: r.status.value for ref, r in seen["requests"].items()}
    assert states == {
        "IR-001": "open",
        "IR-002": "accepted",
        "IR-003": "withdrawn",
        "IR-004": "answered",
        "IR-005": "open",
    }
    assert seen["requests"]["IR-001"].due_on < today
    assert seen["requests"]["IR-005"].due_on >= today
    assert seen["requests"]["IR-004"].answers[0].files


async def test_running_it_again_changes_nothing(
    database: Database, frameworks: FrameworkRegistry, tmp_path: Path
) -> None:
    clock = FixedClock(WEDNESDAY)
    first = await seed_demo(database, frameworks, tmp_path, clock=clock)
    files_before = _tree(tmp_path)
    before = await _state(database, frameworks, clock)
    second = await seed_demo(database, frameworks, tmp_path, clock=clock)
    after = await _state(database, frameworks, clock)
    assert not second.created
    assert second.inspection_id == first.inspection_id
    assert after["inspection"] == before["inspection"]
    assert after["requests"].keys() == before["requests"].keys()
    assert len(after["questions"]) == 1
    assert _tree(tmp_path) == files_before


async def test_reset_starts_over(
    database: Database, frameworks: FrameworkRegistry, tmp_path: Path
) -> None:
    clock = FixedClock(WEDNESDAY)
    first = await seed_demo(database, frameworks, tmp_path, clock=clock)
    # An answer given while trying it: gone after --reset.
    before = await _state(database, frameworks, clock)
    checklist = InspectionChecklist(SqlChecklistStore(database), frameworks, clock)
    link_officer = next(p for p in DEMO_PEOPLE if p.role == Role.LINK_OFFICER)
    answered = await checklist.answer_question(
        before["inspection"],
        before["questions"][0].file_id,
        "staffing_data",
        by=link_officer.aad_object_id,
    )
    assert not answered.questions
    dropped = channel_folder(tmp_path) / "05 Case audits" / "extra.txt"
    dropped.write_text("a file someone dropped while trying it")
    # A week later, --reset: a new demo dated from the new today, nothing left of the old one.
    clock.set(datetime(2026, 3, 18, 10, 0, tzinfo=UTC))
    again = await seed_demo(database, frameworks, tmp_path, reset=True, clock=clock)
    assert again.created
    assert again.notice > first.notice
    assert not dropped.exists()
    seen = await _state(database, frameworks, clock)
    assert seen["inspection"].id == again.inspection_id
    assert len(seen["requests"]) == 5
    assert len(seen["questions"]) == 1


def test_demo_dates_skip_jersey_bank_holidays(frameworks: FrameworkRegistry) -> None:
    framework = frameworks.get("jcc-children-social-care")
    # Tuesday 12 May 2026: Liberation Day is Saturday 9 May, so no holiday interferes; the
    # Monday 4 May bank holiday does: four working days before 8 May is Friday 1 May.
    notice, start, end = demo_dates(framework, date(2026, 5, 8))
    assert notice == date(2026, 5, 1)
    calendar = framework.calendar_for()
    assert calendar.count_working_days(notice, start) >= 20  # 7.2: twenty working days' notice
    assert (end - start).days == 6  # five working days on site


def test_cli_demo_twice_then_reset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert main(["demo", "--data", str(data), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["created"] is True
    assert Path(first["files_folder"]).is_dir()
    assert main(["demo", "--data", str(data)]) == 0
    said = capsys.readouterr().out
    assert "Already there" in said and "--reset starts over" in said
    assert main(["demo", "--data", str(data), "--reset", "--json"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["created"] is True


def test_cli_demo_unusable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["demo", "--data", str(blocker / "data")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("inspection-bot: error: cannot use") and error[-1] == "\n"


def test_mock_tenant_names_the_demo_people_by_role() -> None:
    tenant = yaml.safe_load(mock_tenant_yaml())
    assert tenant["version"] == "0.1.1"
    assert len(tenant["users"]) == 5  # the emulator requires exactly five
    people = [tenant["currentUser"], *tenant["users"]]
    by_aad = {p.aad_object_id: p for p in DEMO_PEOPLE}
    assert [p["aadObjectId"] for p in people] == [p.aad_object_id for p in DEMO_PEOPLE]
    for entry in people:
        demo = by_aad[entry["aadObjectId"]]
        assert entry["id"] == demo.teams_id and entry["name"] == demo.name
    roles = {by_aad[p["aadObjectId"]].role for p in people}
    assert {Role.LEAD_INSPECTOR, Role.INSPECTOR, Role.LINK_OFFICER, Role.DIRECTOR} <= roles
    assert tenant["currentUser"]["aadObjectId"] == DEMO_PEOPLE[0].aad_object_id
    assert DEMO_PEOPLE[0].role == Role.LEAD_INSPECTOR
    ids = [tenant["personalChat"]["id"], tenant["groupChat"]["id"], tenant["team"]["id"]]
    assert len(tenant["team"]["channels"]) == 1
    ids.append(tenant["team"]["channels"][0]["id"])
    assert len(set(ids)) == 4  # the emulator refuses duplicate conversation ids
    assert tenant["team"]["channels"][0]["id"] == DEMO_CHANNEL_ID
    assert len(tenant["bot"]["name"]) <= 42


def test_mock_tenant_as_the_link_officer() -> None:
    link = demo_person("link")
    tenant = yaml.safe_load(mock_tenant_yaml(link))
    assert tenant["currentUser"]["aadObjectId"] == link.aad_object_id
    assert len(tenant["users"]) == 5
    assert DEMO_PEOPLE[0].aad_object_id in {u["aadObjectId"] for u in tenant["users"]}
    assert link.aad_object_id not in {u["aadObjectId"] for u in tenant["users"]}


def test_unknown_demo_person_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="lead, inspector, link, director, observer, outsider"):
        demo_person("boss")


async def test_an_interrupted_seeding_is_started_over(
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cli.demo

    async def power_cut(*_: object) -> None:
        raise RuntimeError("power cut")

    clock = FixedClock(WEDNESDAY)
    with monkeypatch.context() as patch:
        patch.setattr(cli.demo, "_seed_requests", power_cut)
        with pytest.raises(RuntimeError):
            await seed_demo(sqlite_database, frameworks, tmp_path, clock=clock)
    half = await SqlInspectionRepository(sqlite_database).by_channel(DEMO_CHANNEL_ID)
    assert half is not None and half.status == InspectionStatus.PLANNED
    again = await seed_demo(sqlite_database, frameworks, tmp_path, clock=clock)
    assert again.created
    seen = await _state(sqlite_database, frameworks, clock)
    assert seen["inspection"].status == InspectionStatus.ACTIVE
    assert len(seen["requests"]) == 5 and len(seen["questions"]) == 1
