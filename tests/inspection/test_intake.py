"""`inspection.intake`: a sync of the channel's Files reaches the checklist, content is read
through the ChannelWorkspace port, and the result says what changed and what to ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.checklist import InMemoryChecklistStore, ItemStatus
from inspection.clock import FixedClock
from inspection.errors import Forbidden, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.intake import (
    ChecklistIntake,
    changes_to_record,
    document_file,
    question_recipients,
)
from inspection.model import Channel, Inspection, Member, Role
from inspection.workspace import ChangeKind, DriveFile, FileChange, SyncResult
from tests.documents.builders import docx_bytes, staffing_rows, xlsx_bytes

LINK = "aad-link"
LEAD = "aad-lead"
DIRECTOR = "aad-director"
T0 = datetime(2024, 2, 5, 9, 0, tzinfo=UTC)
CHANNEL = Channel("team-1", "channel-1", drive_id="drive-1", folder_id="folder-1")


class FakeWorkspace:
    """Only what intake uses of the ChannelWorkspace port: download, counted."""

    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self.known: list[DriveFile] = []  # what the last sync knows of

    async def files(self, inspection_id: int) -> tuple[DriveFile, ...]:
        return tuple(self.known)

    async def download(self, channel: Channel, item_id: str, *, max_bytes: int = 0) -> bytes:
        assert channel == CHANNEL
        self.downloads.append(item_id)
        if item_id not in self.content:
            raise NotFound("that file is no longer in the channel's Files")
        return self.content[item_id]


def _inspection(**changes: object) -> Inspection:
    inspection = Inspection(
        id=3,
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Care",
        onsite_start=date(2024, 3, 4),
        onsite_end=date(2024, 3, 15),
        actuals={"notice": date(2024, 2, 1)},
        members=(
            Member(LEAD, Role.LEAD_INSPECTOR),
            Member(LINK, Role.LINK_OFFICER),
            Member(DIRECTOR, Role.DIRECTOR),
        ),
        channel=CHANNEL,
    )
    return replace(inspection, **changes)  # type: ignore[arg-type]


def _change(
    item_id: str,
    path: str,
    size: int = 100,
    kind: ChangeKind = ChangeKind.ADDED,
    modified: datetime = T0,
) -> FileChange:
    folder, _, name = path.rpartition("/")
    return FileChange(
        item_id=item_id,
        name=name,
        folder=folder.split("/")[0],
        path=path,
        size=size,
        last_modified=modified,
        web_url=f"https://example.invalid/{item_id}",
        kind=kind,
    )


def _sync(*changes: FileChange, inspection_id: int = 3) -> SyncResult:
    return SyncResult(inspection_id=inspection_id, changes=tuple(changes), synced_at=T0)


@pytest.fixture
def directory() -> FakeWorkspace:
    return FakeWorkspace()


@pytest.fixture
def intake(frameworks: FrameworkRegistry, directory: FakeWorkspace) -> ChecklistIntake:
    clock = FixedClock(datetime(2024, 2, 12, 10, 0, tzinfo=UTC))
    return ChecklistIntake(
        InMemoryChecklistStore(),
        frameworks,
        clock,
        directory=directory,  # type: ignore[arg-type]
    )


def _put(directory: FakeWorkspace, change: FileChange, data: bytes) -> FileChange:
    directory.content[change.item_id] = data
    return replace(change, size=len(data))


# --- pure conversion ---------------------------------------------------------------------------


def test_document_file_keeps_the_whole_folder_path() -> None:
    nested = document_file(_change("a", "02 Self-Evaluation Report/Archive/SER 2023.docx"))
    assert (nested.folder, nested.name) == ("02 Self-Evaluation Report/Archive", "SER 2023.docx")
    assert nested.path == "02 Self-Evaluation Report/Archive/SER 2023.docx"
    top = document_file(_change("b", "Org chart.pdf"))
    assert (top.folder, top.size, top.web_url) == ("", 100, "https://example.invalid/b")
    unknown_size = document_file(replace(_change("c", "x.pdf"), size=None))
    assert unknown_size.size == 0


def test_changes_count_once_as_last_seen_and_deletions_are_removed() -> None:
    result = _sync(
        _change("a", "SER.docx"),
        _change("a", "02 Self-Evaluation Report/SER.docx", kind=ChangeKind.MOVED),
        _change("b", "Old.docx", kind=ChangeKind.DELETED),
        _change("c", "Gone then back.pdf", kind=ChangeKind.DELETED),
        _change("c", "Gone then back.pdf"),
    )
    files, removed = changes_to_record(result)
    assert [(f.file_id, f.path) for f in files] == [
        ("a", "02 Self-Evaluation Report/SER.docx"),
        ("c", "Gone then back.pdf"),
    ]
    assert removed == ["b"]


def test_questions_go_to_the_link_officer_else_the_lead_inspector() -> None:
    assert question_recipients(_inspection()) == (LINK,)
    no_link = _inspection(members=(Member(LEAD, Role.LEAD_INSPECTOR),))
    assert question_recipients(no_link) == (LEAD,)


# --- recording syncs -------------------------------------------------------------------------


async def test_a_sync_reaches_the_checklist_and_content_is_read_through_the_directory(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    inspection = _inspection()
    staffing = _put(
        directory,
        _change("s1", "08 Staffing data/Staffing return Jan 2024.xlsx"),
        xlsx_bytes({"Appendix 2": staffing_rows(blank=("Average caseload per Qualified SW",))}),
    )
    outcome = await intake.record_sync(inspection, _sync(staffing))
    assert outcome.changed
    assert outcome.recorded == ("08 Staffing data/Staffing return Jan 2024.xlsx",)
    assert directory.downloads == ["s1"]  # the content check read it
    assert outcome.state is not None
    item = outcome.state.item("staffing_data")
    assert item.status == ItemStatus.NEEDS_ATTENTION
    assert any("Average caseload per Qualified SW" in p for p in item.problems), item.problems

    # A new version with every answer filled in settles it.
    fixed = _put(
        directory,
        replace(staffing, last_modified=T0 + timedelta(days=1), kind=ChangeKind.MODIFIED),
        xlsx_bytes({"Appendix 2": staffing_rows()}),
    )
    outcome = await intake.record_sync(inspection, _sync(fixed))
    assert outcome.state is not None
    assert outcome.state.item("staffing_data").status == ItemStatus.RECEIVED


async def test_an_empty_sync_changes_nothing(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    outcome = await intake.record_sync(_inspection(), _sync())
    assert not outcome.changed and outcome.state is None and outcome.new_questions == ()
    assert directory.downloads == []


async def test_a_sync_of_another_inspection_is_refused(intake: ChecklistIntake) -> None:
    with pytest.raises(ValueError, match="inspection 9"):
        await intake.record_sync(_inspection(), _sync(inspection_id=9))


async def test_an_ambiguous_file_is_asked_about_once(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    inspection = _inspection()
    data_nov = _put(
        directory,
        _change("d1", "Data Nov.xlsx"),
        xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]}),
    )
    outcome = await intake.record_sync(inspection, _sync(data_nov))
    assert [q.text for q in outcome.new_questions] == [
        "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?"
    ]
    # The same file seen again (a resync) asks nothing new.
    again = await intake.record_sync(inspection, _sync(data_nov))
    assert again.new_questions == ()

    # The answer maps it, and the item's content checks run on it (read again).
    before = len(directory.downloads)
    state = await intake.answer_question(inspection, "d1", "staffing_data", by=LINK)
    assert state.questions == ()
    assert [f.path for f in state.item("staffing_data").files] == ["Data Nov.xlsx"]
    assert len(directory.downloads) > before


async def test_a_deleted_file_leaves_the_checklist(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    inspection = _inspection()
    org = _put(directory, _change("o1", "01 Organisational structures/Org chart.pdf"), b"%PDF-1.4")
    first = await intake.record_sync(inspection, _sync(org))
    assert first.state is not None
    assert first.state.item("organisational_structure").status == ItemStatus.RECEIVED
    gone = await intake.record_sync(
        inspection, _sync(replace(org, kind=ChangeKind.DELETED, size=None))
    )
    assert gone.changed and gone.removed == ("o1",) and gone.recorded == ()
    assert gone.state is not None
    assert gone.state.item("organisational_structure").status == ItemStatus.MISSING


def _meetings(rows: Sequence[Sequence[str]]) -> bytes:
    return docx_bytes(
        title="Meetings during the inspection",
        sections=[("Introduction", 1)],
        tables=[[["Date", "Time", "Meeting", "Venue", "Chair"], *rows]],
        stored_pages=2,
    )


async def test_recheck_after_the_onsite_dates_move(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    inspection = _inspection()
    meetings = _put(
        directory,
        _change("m1", "06 Meetings during the inspection/Strategic meetings.docx"),
        _meetings([["5 March 2024", "10:00", "Improvement Board", "Room 2", "Chair A"]]),
    )
    outcome = await intake.record_sync(inspection, _sync(meetings))
    assert outcome.state is not None
    assert outcome.state.item("onsite_meetings").status == ItemStatus.RECEIVED

    moved = _inspection(onsite_start=date(2024, 4, 8), onsite_end=date(2024, 4, 19))
    rechecked = await intake.recheck(moved)
    assert rechecked is not None
    item = rechecked.item("onsite_meetings")
    assert item.status == ItemStatus.NEEDS_ATTENTION
    assert any("outside the on-site period (8 Apr 2024" in p for p in item.problems), item.problems


async def test_recheck_without_channel_files_says_so_by_returning_none(
    intake: ChecklistIntake,
) -> None:
    assert await intake.recheck(_inspection(channel=Channel("team-1", "channel-1"))) is None
    assert await intake.recheck(_inspection(channel=None)) is None


async def test_without_a_directory_files_are_received_not_checked(
    frameworks: FrameworkRegistry,
) -> None:
    intake = ChecklistIntake(
        InMemoryChecklistStore(), frameworks, FixedClock(T0), directory_source=lambda: None
    )
    outcome = await intake.record_sync(
        _inspection(), _sync(_change("s1", "08 Staffing data/Staffing return.xlsx"))
    )
    assert outcome.state is not None
    item = outcome.state.item("staffing_data")
    assert any("content not checked" in note for note in item.notes), item.notes


async def test_roles_are_the_checklists(intake: ChecklistIntake, directory: FakeWorkspace) -> None:
    inspection = _inspection()
    with pytest.raises(Forbidden, match="link officer"):
        await intake.waive(inspection, "staffing_data", "not applicable", by=DIRECTOR)
    state = await intake.waive(inspection, "staffing_data", "no staff employed", by=LINK)
    item = state.item("staffing_data")
    assert item.status == ItemStatus.WAIVED and item.waiver is not None
    assert item.waiver.reason == "no staff employed"
    state = await intake.unwaive(inspection, "staffing_data", by=LEAD)
    assert state.item("staffing_data").status == ItemStatus.MISSING


async def test_reconcile_catches_up_with_what_a_failed_recording_missed(
    intake: ChecklistIntake, directory: FakeWorkspace
) -> None:
    inspection = _inspection()
    org = _put(directory, _change("o1", "01 Organisational structures/Org chart.pdf"), b"%PDF-1.4")
    old = _put(directory, _change("x1", "Old plan.pdf"), b"%PDF-1.4 old")
    await intake.record_sync(inspection, _sync(old))
    # The sync that brought the org chart and deleted the old plan was never recorded; the
    # directory's record of the channel is all that is left of it.
    directory.known = [org]
    outcome = await intake.reconcile(inspection)
    assert outcome.recorded == ("01 Organisational structures/Org chart.pdf",)
    assert outcome.removed == ("x1",)
    assert outcome.state is not None
    assert outcome.state.item("organisational_structure").status == ItemStatus.RECEIVED
    assert [f.path for f in outcome.state.unmatched] == []
    # In line now: nothing to do, nothing read again.
    before = len(directory.downloads)
    again = await intake.reconcile(inspection)
    assert not again.changed and again.state is None
    assert len(directory.downloads) == before


async def test_reconcile_without_channel_files_does_nothing(intake: ChecklistIntake) -> None:
    outcome = await intake.reconcile(_inspection(channel=None))
    assert not outcome.changed
