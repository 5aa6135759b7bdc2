"""`inspection-bot demo [--reset]`: a JCC full inspection with something on every card.

The demo inspection is made for local runs (`inspection-bot local`, `./dev run --demo`):

- notice was given a few working days ago (today in Europe/Jersey), so the upload deadline
  (7.2: ten working days from notice) is still ahead and on-site is four weeks away;
- its channel is the Teams emulator's inspection channel, and its people are the emulator's
  mock users, by the same fixed ids (`DEMO_PEOPLE`), so each role can be tried in the emulator;
- some required documents are already in the channel's Files (a folder on disk, served by the
  in-process Graph emulator), and one file, "Data Nov.xlsx", is waiting for the link officer to
  say what it is;
- five information requests (7.3), one in each state: overdue, open, answered, accepted and
  withdrawn.

Running it again changes nothing; `--reset` deletes the demo inspection and its files and
starts over. Synthetic people only (placeholders by role), children only by case reference (9.7).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import CliError, print_json, run
from cli.demo_files import DemoFile, demo_files
from inspection.checklist import DocumentFile, InspectionChecklist
from inspection.clock import Clock, FixedClock, SystemClock, local_today
from inspection.frameworks import Framework, FrameworkRegistry
from inspection.inspections import InspectionService
from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
from inspection.requests import LinkedFile, Person, RequestLog
from inspection.workspace import channel_folders
from store.database import Database

if TYPE_CHECKING:
    from graph.emulator import GraphEmulator
    from graph.emulator_drive import EmulatedDrive

FRAMEWORK = "jcc-children-social-care"
SERVICE = "Harbour View Children's Social Care"
LOCAL_DATA_DIR = Path("data")

# The Teams emulator's mock tenant and the Graph emulator's team share these ids, so that a
# message typed in the emulator's inspection channel is about the demo inspection.
TENANT_ID = "00000000-0000-4000-8000-0000000000aa"
BOT_ID = "00000000-0000-4000-8000-00000000b07a"
TEAM_AAD_ID = "00000000-0000-4000-8000-000000007ea1"  # graph.emulator.seed_local's team
TEAM_CONVERSATION_ID = "19:inspectorate-general@thread.tacv2"
TEAM_NAME = "Inspectorate"
DEMO_CHANNEL_ID = "19:demo-inspection-channel@thread.tacv2"
DEMO_CHANNEL_NAME = "Inspection - Harbour View"
DEMO_DRIVE_ID = "b!DemoInspectionChannelFiles"
PERSONAL_CHAT_ID = "personal-chat-demo"
GROUP_CHAT_ID = "group-chat-demo"
GROUP_CHAT_NAME = "Inspection team and service"


@dataclass(frozen=True)
class DemoPerson:
    teams_id: str  # the id the Teams emulator sends as `from.id`
    aad_object_id: str  # the Entra object id roles are looked up by
    name: str
    role: Role | None  # None: in the team, no role in the inspection
    email: str


def _person(key: str, aad: str, name: str, role: Role | None) -> DemoPerson:
    slug = name.lower().replace(" ", ".")
    return DemoPerson(f"user-{key}", aad, name, role, f"{slug}@inspectorate.example")


# Placeholders by role, never real names (9.7). The first is the emulator's current user.
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    _person(
        "lead", "11111111-1111-4111-8111-111111111111", "Lead Inspector A", Role.LEAD_INSPECTOR
    ),
    _person("inspector", "22222222-2222-4222-8222-222222222222", "Inspector B", Role.INSPECTOR),
    _person("link", "33333333-3333-4333-8333-333333333333", "Link Officer C", Role.LINK_OFFICER),
    _person("director", "44444444-4444-4444-8444-444444444444", "Director D", Role.DIRECTOR),
    _person("observer", "55555555-5555-4555-8555-555555555555", "Observer E", Role.OBSERVER),
    _person("outsider", "66666666-6666-4666-8666-666666666666", "Team Member F", None),
)


def person(role: Role) -> DemoPerson:
    return next(p for p in DEMO_PEOPLE if p.role == role)


NOTICE_WORKING_DAYS_AGO = 4
# 7.2: notice no less than twenty working days before on-site; a little more, as in practice.
ONSITE_AFTER_NOTICE = 22
ONSITE_WORKING_DAYS = 5


@dataclass(frozen=True)
class DemoResult:
    inspection_id: int
    created: bool
    notice: date
    onsite_start: date
    onsite_end: date
    files_folder: Path
    files: int
    question: str | None
    requests: dict[str, str]

    def to_json(self) -> dict[str, object]:
        return {
            "inspection_id": self.inspection_id,
            "created": self.created,
            "service": SERVICE,
            "notice": self.notice.isoformat(),
            "onsite_start": self.onsite_start.isoformat(),
            "onsite_end": self.onsite_end.isoformat(),
            "files_folder": str(self.files_folder),
            "files": self.files,
            "question": self.question,
            "requests": self.requests,
        }


# --- the command ---------------------------------------------------------------------------
def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="seed a demo JCC inspection for local runs (files, a question, requests)",
        description="Seed the demo inspection used by `inspection-bot local --demo`. Running it "
        "again changes nothing; --reset deletes the demo inspection and its files first.",
    )
    parser.add_argument("--reset", action="store_true", help="delete the demo and start over")
    parser.add_argument(
        "--data", type=Path, default=LOCAL_DATA_DIR, help="the local run's folder (default ./data)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run(_demo))


async def _demo(args: argparse.Namespace) -> int:
    result = await seed_local_demo(args.data, reset=args.reset)
    if args.json:
        print_json(result.to_json())
    else:
        sys.stdout.write(describe(result))
    return 0


def local_paths(data: Path) -> tuple[str, Path]:
    """The database URL and Graph emulator folder `inspection-bot local --data` uses."""
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot use {data} for the demo: {exc.strerror}") from None
    url = f"sqlite+aiosqlite:///{(data / 'inspection-bot.db').resolve()}"
    return url, (data / "graph-files").resolve()


async def seed_local_demo(
    data: Path, *, reset: bool = False, clock: Clock | None = None
) -> DemoResult:
    url, files_root = local_paths(data)
    database = Database(url)
    try:
        await database.migrate()
        return await seed_demo(
            database, FrameworkRegistry.load(), files_root, reset=reset, clock=clock
        )
    finally:
        await database.dispose()


def describe(result: DemoResult) -> str:
    what = "Seeded" if result.created else "Already there (nothing changed; --reset starts over):"
    lines = [
        f"{what} the demo inspection of {SERVICE} (number {result.inspection_id}).",
        f"  notice given {result.notice:%a %d %b %Y}; on site {result.onsite_start:%a %d %b %Y} "
        f"to {result.onsite_end:%a %d %b %Y}",
        f"  {result.files} document(s) in its channel's Files: {result.files_folder}",
    ]
    if result.question:
        lines.append(f"  waiting for the link officer: {result.question}")
    if result.requests:
        states = ", ".join(f"{ref} {status}" for ref, status in result.requests.items())
        lines.append(f"  information requests: {states}")
    lines.append(
        f'  In the Teams emulator, open the team\'s "{DEMO_CHANNEL_NAME}" channel and type '
        "@Inspection bot status; `local --demo --teams-user link` makes you the link officer."
    )
    return "\n".join(lines) + "\n"


# --- seeding -------------------------------------------------------------------------------
def demo_dates(framework: Framework, today: date) -> tuple[date, date, date]:
    calendar = framework.calendar_for()
    notice = calendar.subtract_working_days(today, NOTICE_WORKING_DAYS_AGO)
    start = calendar.add_working_days(notice, ONSITE_AFTER_NOTICE)
    end = calendar.add_working_days(start, ONSITE_WORKING_DAYS - 1)
    return notice, start, end


def channel_folder(files_root: Path) -> Path:
    """Where the demo channel's Files are on disk (drop documents here)."""
    return files_root / DEMO_DRIVE_ID / DEMO_CHANNEL_NAME


def item_folders(framework: Framework) -> dict[str, str]:
    return {spec.item_key: spec.name for spec in channel_folders(framework) if spec.item_key}


async def seed_demo(
    database: Database,
    registry: FrameworkRegistry,
    files_root: Path,
    *,
    reset: bool = False,
    clock: Clock | None = None,
) -> DemoResult:
    """Seed the demo (idempotent); `reset` deletes it first. The database must be migrated."""
    from store.checklist import SqlChecklistStore
    from store.inspections import SqlInspectionRepository

    the_clock = clock or SystemClock()
    framework = registry.get(FRAMEWORK)
    repository = SqlInspectionRepository(database)
    folder = channel_folder(files_root)
    existing = await repository.by_channel(DEMO_CHANNEL_ID)
    # The demo becomes active only once fully seeded: a planned one was interrupted.
    interrupted = existing is not None and existing.status == InspectionStatus.PLANNED
    if existing is not None and (reset or interrupted):
        await delete_inspection(database, existing)
        existing = None
    if reset or interrupted:
        shutil.rmtree(files_root / DEMO_DRIVE_ID, ignore_errors=True)
    checklist = InspectionChecklist(SqlChecklistStore(database), registry, the_clock)
    if existing is not None:
        return await _summary(existing, checklist, database, registry, folder, created=False)

    today = local_today(the_clock, framework.zone)
    notice, start, end = demo_dates(framework, today)
    members = tuple(
        Member(p.aad_object_id, p.role, p.name, p.email) for p in DEMO_PEOPLE if p.role is not None
    )
    service = InspectionService(repository, registry, the_clock)
    inspection, _ = await service.create(
        framework=FRAMEWORK,
        inspection_type="full",
        service_name=SERVICE,
        onsite_start=start,
        onsite_end=end,
        notice=notice,
        members=members,
    )
    drive = _demo_drive(files_root)
    root, files = _write_files(drive, framework, demo_files(start, item_folders(framework)))
    inspection = await repository.update(
        replace(
            inspection,
            channel=Channel(
                team_id=TEAM_AAD_ID,
                channel_id=DEMO_CHANNEL_ID,
                drive_id=DEMO_DRIVE_ID,
                folder_id=root,
                membership_type="private",
            ),
        )
    )
    await checklist.record_files(inspection, [document for _, document in files])
    await _seed_requests(database, registry, inspection, notice, today, files)
    inspection = await repository.update(replace(inspection, status=InspectionStatus.ACTIVE))
    return await _summary(inspection, checklist, database, registry, folder, created=True)


def _demo_drive(files_root: Path) -> EmulatedDrive:
    from graph.emulator_drive import EmulatedDrive

    return EmulatedDrive(DEMO_DRIVE_ID, files_root / DEMO_DRIVE_ID)


def _write_files(
    drive: EmulatedDrive, framework: Framework, files: list[DemoFile]
) -> tuple[str, list[tuple[DemoFile, DocumentFile]]]:
    """The channel folder with every numbered folder a real set-up makes (7.2), and the files.

    Written through the emulator's drive, so the ids are the ones Graph sync will report."""
    root = drive.create_folder("root", DEMO_CHANNEL_NAME, "replace")
    folders = {"": root.id}
    for spec in channel_folders(framework):
        folders[spec.name] = drive.create_folder(root.id, spec.name, "replace").id
    written = []
    for file in files:
        parent = folders.get(file.folder) or drive.create_folder(root.id, file.folder, "replace").id
        item = drive.write_file(parent, file.name, file.content)

        async def load(content: bytes = file.content) -> bytes:
            return content

        document = DocumentFile(
            file_id=item.id,
            name=file.name,
            folder=file.folder,
            size=len(file.content),
            modified=item.modified,
            load=load,
        )
        written.append((file, document))
    return root.id, written


def _at(day: date, hour: int, zone: object) -> FixedClock:
    local = datetime.combine(day, time(hour, 30), tzinfo=zone)  # type: ignore[arg-type]
    return FixedClock(local.astimezone(UTC))


async def _seed_requests(
    database: Database,
    registry: FrameworkRegistry,
    inspection: Inspection,
    notice: date,
    today: date,
    files: list[tuple[DemoFile, DocumentFile]],
) -> None:
    """Five requests (7.3), logged and answered on the days they would have been."""
    from store.inspections import SqlInspectionRepository
    from store.request_log import SqlRequestRepository

    framework = registry.get(inspection.framework)
    calendar = framework.calendar_for()
    zone = framework.zone
    assert inspection.id is not None
    number = inspection.id
    clock = _at(notice, 10, zone)
    log = RequestLog(
        SqlRequestRepository(database), SqlInspectionRepository(database), registry, clock
    )
    lead, inspector = person(Role.LEAD_INSPECTOR), person(Role.INSPECTOR)
    link = person(Role.LINK_OFFICER)
    as_lead = Person(lead.aad_object_id, lead.name)
    as_inspector = Person(inspector.aad_object_id, inspector.name)
    as_link = Person(link.aad_object_id, link.name)
    day1 = calendar.add_working_days(notice, 1)
    # IR-001: open, and overdue (due two working days after notice).
    await log.log(
        number,
        as_lead,
        "Please provide the supervision records for CR-104233 for the last six months.",
        due_on=calendar.add_working_days(notice, 2),
        theme="Supervision",
        confirm=True,
    )
    # IR-002: accepted (answered the next day, accepted by the lead inspector).
    await log.log(
        number,
        as_inspector,
        "How many children are placed off-island, and in which kinds of placement?",
        theme="Placements",
        confirm=True,
    )
    clock.set(_at(day1, 11, zone).now())
    await log.answer(
        number, 2, as_link, "Six: four in residential care and two in foster care.", confirm=True
    )
    await log.accept(number, 2, as_lead)
    # IR-003: withdrawn (the staffing return already answers it).
    await log.log(
        number,
        as_inspector,
        "Please send the agency social worker numbers by team.",
        theme="Staffing",
        confirm=True,
    )
    await log.withdraw(number, 3, as_inspector, reason="the staffing return answers this")
    # IR-004: answered with a file, waiting for an inspector to accept it.
    yesterday = calendar.previous_working_day(today, inclusive=False)
    clock.set(_at(yesterday, 9, zone).now())
    await log.log(
        number,
        as_lead,
        "Please share the minutes of the last two Improvement Board meetings.",
        theme="Governance",
        confirm=True,
    )
    meetings = next((d for spec, d in files if spec.expected_item == "onsite_meetings"), None)
    await log.answer(
        number,
        4,
        as_link,
        "The meetings schedule is in the channel; the minutes follow by Friday.",
        files=[LinkedFile(meetings.name, item_id=meetings.file_id, drive_id=DEMO_DRIVE_ID)]
        if meetings
        else (),
        confirm=True,
    )
    # IR-005: open, due in the days ahead: the one to answer in the emulator.
    clock.set(_at(yesterday, 14, zone).now())
    await log.log(
        number,
        as_inspector,
        "Please provide the case file audit tool and the audit schedule for this year.",
        theme="Quality assurance",
        confirm=True,
    )


async def _summary(
    inspection: Inspection,
    checklist: InspectionChecklist,
    database: Database,
    registry: FrameworkRegistry,
    folder: Path,
    *,
    created: bool,
) -> DemoResult:
    from store.inspections import SqlInspectionRepository
    from store.request_log import SqlRequestRepository

    assert inspection.id is not None
    state = await checklist.state(inspection)
    log = RequestLog(
        SqlRequestRepository(database), SqlInspectionRepository(database), registry, SystemClock()
    )
    found = await log.all_requests(inspection.id, "inspectors")
    received = sum(len(item.files) for item in state.items) + len(state.unmatched)
    notice = inspection.notice_date or inspection.onsite_start
    return DemoResult(
        inspection_id=inspection.id,
        created=created,
        notice=notice,
        onsite_start=inspection.onsite_start,
        onsite_end=inspection.onsite_end,
        files_folder=folder,
        files=received,
        question=state.questions[0].text if state.questions else None,
        requests={r.ref: r.status.value for r in found},
    )


async def delete_inspection(database: Database, inspection: Inspection) -> None:
    """Every row of the inspection, in every table that refers to it (as `purge` finds them)."""
    from cli.purge import _apply, plan_tables

    assert inspection.id is not None
    plans = plan_tables()
    async with database.session() as session:
        await _apply(session, plans, inspection.id)


# --- the Graph emulator side ---------------------------------------------------------------
def add_demo_channel(emulator: GraphEmulator) -> Path:
    """Give the in-process Graph emulator the demo channel, its people and its Files (kept on
    disk under a fixed drive id, so they survive restarts). Returns the channel's folder."""
    from graph.emulator import EmulatedChannel, Membership  # type: ignore[attr-defined]
    from graph.emulator_drive import EmulatedDrive

    team = emulator.teams.get(TEAM_AAD_ID)
    if team is None:
        team = emulator.add_team(TEAM_NAME, team_id=TEAM_AAD_ID)
    users = {}
    for p in DEMO_PEOPLE:
        users[p.aad_object_id] = emulator.users.get(p.aad_object_id) or emulator.add_user(
            p.name, user_id=p.aad_object_id, email=p.email
        )
        if not any(m.user.id == p.aad_object_id for m in team.members):
            team.members.append(
                Membership("MCMj" + p.aad_object_id.replace("-", ""), users[p.aad_object_id], [])
            )
    drive = emulator.drives.get(DEMO_DRIVE_ID)
    if drive is None:
        drive = EmulatedDrive(DEMO_DRIVE_ID, emulator.folder / DEMO_DRIVE_ID)
        emulator.drives[DEMO_DRIVE_ID] = drive
    folder = drive.create_folder("root", DEMO_CHANNEL_NAME, "replace")
    if DEMO_CHANNEL_ID not in team.channels:
        team.channels[DEMO_CHANNEL_ID] = EmulatedChannel(
            DEMO_CHANNEL_ID,
            DEMO_CHANNEL_NAME,
            f"Inspection of {SERVICE}",
            "private",
            drive,
            datetime.now(UTC) - timedelta(days=7),
            members=[
                Membership(
                    "MCMc" + p.aad_object_id.replace("-", ""),
                    users[p.aad_object_id],
                    ["owner"] if p.role == Role.LEAD_INSPECTOR else [],
                )
                for p in DEMO_PEOPLE
                if p.role is not None
            ],
            folder_id=folder.id,
        )
    return drive.disk_path(folder)
