"""The checklist over a realistic upload: every item's status and files, questions, waivers,
explicit mappings, new versions, deletions and the history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inspection.checklist import (
    ChecklistState,
    DocumentFile,
    InMemoryChecklistStore,
    InspectionChecklist,
    ItemStatus,
    ignored_reason,
    question_text,
)
from inspection.clock import FixedClock
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from tests.documents import fixture_set
from tests.documents.builders import SER_SECTIONS, docx_bytes, staffing_rows, xlsx_bytes

LINK = "aad-link-officer"
LEAD = "aad-lead-inspector"
INSPECTOR = "aad-inspector"
DIRECTOR = "aad-director"


def _inspection() -> Inspection:
    return Inspection(
        id=7,
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Children's Social Care",
        onsite_start=fixture_set.ONSITE_START,
        onsite_end=fixture_set.ONSITE_END,
        actuals={"notice": fixture_set.NOTICE},
        members=(
            Member(LEAD, Role.LEAD_INSPECTOR),
            Member(INSPECTOR, Role.INSPECTOR),
            Member(LINK, Role.LINK_OFFICER),
            Member(DIRECTOR, Role.DIRECTOR),
        ),
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 2, 12, 10, 0, tzinfo=UTC))


@pytest.fixture
def service(frameworks: FrameworkRegistry, clock: FixedClock) -> InspectionChecklist:
    return InspectionChecklist(InMemoryChecklistStore(), frameworks, clock)


@pytest.fixture(scope="module")
def upload() -> list[DocumentFile]:
    return fixture_set.document_files()


def _by_path(files: list[DocumentFile], path: str) -> DocumentFile:
    return next(f for f in files if f.path == path)


def assert_expected(state: ChecklistState) -> None:
    for key, (status, files) in fixture_set.EXPECTED.items():
        item = state.item(key)
        assert (item.status.value, [f.path for f in item.files]) == (status, files), key
    assert {i.key for i in state.items} == set(fixture_set.EXPECTED)


async def test_every_item_of_a_realistic_upload(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    state = await service.record_files(_inspection(), upload)

    assert_expected(state)
    assert [f.path for f in state.item("self_evaluation_report").superseded] == (
        fixture_set.EXPECTED_SUPERSEDED["self_evaluation_report"]
    )
    assert [f.path for f in state.unmatched] == fixture_set.EXPECTED_UNMATCHED
    assert [f.path for f in state.ignored] == fixture_set.EXPECTED_IGNORED
    assert state.required_counts() == {
        "received": 4,
        "missing": 0,
        "needs_attention": 4,
        "waived": 0,
    }
    assert state.counts["missing"] == 1
    assert not state.complete


async def test_each_match_has_a_reason_from_folder_name_or_content(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    state = await service.record_files(_inspection(), upload)
    reasons = {f.path: f.reason for item in state.items for f in item.files}
    assert reasons["01 Organisational structures/CYPES org chart Jan 2024.pdf"] == (
        "uploaded to the '01 Organisational structures' folder"
    )
    assert reasons["Org chart - Fostering and Adoption.pdf"] == "its name contains 'org chart'"
    assert "content mentions" in reasons["Book1.xlsx"]  # a name that says nothing
    assert "'caseload'" in reasons["Book1.xlsx"]
    assert "content mentions" in reasons["Audits.xlsx"]  # ambiguous name settled by content
    assert reasons["ChAT dashboard Jan 2024.pdf"] == "its name contains 'chat dashboard'"


async def test_problems_are_in_words_the_link_officer_can_act_on(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    state = await service.record_files(_inspection(), upload)
    audits = state.item("case_audit_list")
    assert any(
        p.startswith("Audits.xlsx: sheet 'Cases audited', column B ('Child name') is headed like")
        for p in audits.problems
    )
    # 9.7: the names in that column are never repeated.
    assert not any("Sampleton" in p or "Examplewood" in p for p in audits.problems)
    assert any("grade" in p and "row 6 (CR-200003)" in p for p in audits.problems)
    assert any("password-protected" in n for n in audits.notes)
    groups = state.item("service_user_groups").problems
    assert groups == (
        "Participation - Children in Care Council dates.docx: 1 date(s) outside the on-site "
        "period (4 Mar 2024 to 15 Mar 2024): 28 Feb 2024; list only meetings in that period or "
        "correct the dates",
    )
    meetings = state.item("onsite_meetings")
    assert meetings.status == ItemStatus.RECEIVED
    assert any("legacy Word document (.doc)" in n for n in meetings.notes)


async def test_ambiguous_file_becomes_a_question_and_the_answer_settles_it(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    state = await service.record_files(inspection, upload)
    assert [q.text for q in state.new_questions] == [
        "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?"
    ]
    question = state.questions[0]
    assert [key for key, _ in question.options] == ["child_level_data", "staffing_data"]

    # Seeing the same files again asks nothing new.
    again = await service.record_files(inspection, upload)
    assert again.new_questions == ()
    assert len(again.questions) == 1

    answered = await service.answer_question(inspection, question.file_id, "staffing_data", by=LINK)
    assert answered.questions == ()
    assert answered.item("child_level_data").status == ItemStatus.RECEIVED
    staffing = answered.item("staffing_data")
    assert "Data Nov.xlsx" in [f.path for f in staffing.files]
    assert staffing.status == ItemStatus.RECEIVED
    with pytest.raises(InspectionError, match="already answered"):
        await service.answer_question(inspection, question.file_id, "child_level_data", by=LINK)


async def test_answer_none_of_these_moves_the_file_to_ignored(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    state = await service.record_files(inspection, upload)
    answered = await service.answer_question(inspection, state.questions[0].file_id, None, by=LINK)
    assert "Data Nov.xlsx" in [f.path for f in answered.ignored]
    assert answered.item("staffing_data").status == ItemStatus.RECEIVED


async def test_explicit_mapping_beats_folder_and_name(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    await service.record_files(inspection, upload)
    party = _by_path(upload, "Staff Christmas party rota.docx")
    state = await service.map_file(
        inspection, party.file_id, "workforce_development_plans", by=LINK
    )
    item = state.item("workforce_development_plans")
    assert item.status == ItemStatus.RECEIVED
    assert [f.path for f in item.files] == ["Staff Christmas party rota.docx"]
    assert item.files[0].reason == f"{LINK} said this file is this item"
    # A file in the org structures folder that is really the staffing return.
    chart = _by_path(upload, "01 Organisational structures/CYPES org chart Jan 2024.pdf")
    moved = await service.map_file(inspection, chart.file_id, "staffing_data", by=LEAD)
    assert chart.path in [f.path for f in moved.item("staffing_data").files]
    assert chart.path not in [f.path for f in moved.item("organisational_structure").files]


async def test_mapping_reruns_the_items_content_checks(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    await service.record_files(inspection, upload)
    rota = _by_path(upload, "Staff Christmas party rota.docx")
    state = await service.map_file(inspection, rota.file_id, "staffing_data", by=LINK)
    # The rota answers none of Appendix 2, but the staffing return does: still complete.
    assert not any("Appendix 2" in p for p in state.item("staffing_data").problems)
    state = await service.map_file(inspection, rota.file_id, "onsite_meetings", by=LINK)
    assert any(
        p.startswith("Staff Christmas party rota.docx: no dates found")
        for p in state.item("onsite_meetings").problems
    )


async def test_bad_mapping_and_waiver_input_is_explained(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    await service.record_files(inspection, upload)
    with pytest.raises(NotFound, match="did you mean 'staffing_data'"):
        await service.map_file(inspection, upload[0].file_id, "staffing return", by=LINK)
    with pytest.raises(NotFound, match="not in the inspection's Files"):
        await service.map_file(inspection, "no-such-id", "staffing_data", by=LINK)
    with pytest.raises(Forbidden, match="only the lead inspector or link officer can waive"):
        await service.waive(inspection, "self_evaluation_report", "unchanged", by=DIRECTOR)
    with pytest.raises(Forbidden):
        await service.map_file(inspection, upload[0].file_id, "staffing_data", by="stranger")
    with pytest.raises(InspectionError, match="say why Self-Evaluation Report is not needed"):
        await service.waive(inspection, "self_evaluation_report", "   ", by=LINK)
    with pytest.raises(InspectionError, match="keep it under 500"):
        await service.waive(inspection, "self_evaluation_report", "x" * 501, by=LINK)


async def test_waiver_with_reason_then_a_file_arrives(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    state = await service.record_files(inspection, [])
    assert state.item("self_evaluation_report").status == ItemStatus.MISSING
    assert [i.key for i in state.missing_required()] == [
        "organisational_structure",
        "self_evaluation_report",
        "child_level_data",
        "quality_improvement_activity",
        "case_audit_list",
        "onsite_meetings",
        "service_user_groups",
        "staffing_data",
    ]
    state = await service.waive(
        inspection,
        "self_evaluation_report",
        "SER not significantly changed since last year",
        by=LEAD,
    )
    item = state.item("self_evaluation_report")
    assert item.status == ItemStatus.WAIVED
    assert item.waiver is not None and item.waiver.reason == (
        "SER not significantly changed since last year"
    )
    assert "self_evaluation_report" not in [i.key for i in state.missing_required()]

    data = docx_bytes(title="Self-Evaluation Report", sections=SER_SECTIONS, stored_pages=12)
    state = await service.record_files(inspection, [_file("f1", "SER 2024.docx", data, clock)])
    item = state.item("self_evaluation_report")
    assert item.status == ItemStatus.RECEIVED and item.waiver is not None

    state = await service.unwaive(inspection, "self_evaluation_report", by=LINK)
    assert state.item("self_evaluation_report").waiver is None


def _file(
    file_id: str, name: str, data: bytes, clock: FixedClock, folder: str = ""
) -> DocumentFile:
    async def load() -> bytes:
        return data

    return DocumentFile(file_id, name, folder, len(data), clock.now(), load=load)


async def test_a_newer_version_supersedes_and_history_is_kept(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    first = xlsx_bytes({"Appendix 2": staffing_rows(blank=["Number of unallocated cases"])})
    state = await service.record_files(
        inspection, [_file("s1", "Staffing return v1.xlsx", first, clock)]
    )
    staffing = state.item("staffing_data")
    assert staffing.status == ItemStatus.NEEDS_ATTENTION
    assert staffing.problems == (
        "1 Appendix 2 question(s) left blank: Number of unallocated cases",
    )

    clock.advance(timedelta(days=1))
    second = xlsx_bytes({"Appendix 2": staffing_rows()})
    state = await service.record_files(
        inspection, [_file("s2", "Staffing return v2 FINAL.xlsx", second, clock)]
    )
    staffing = state.item("staffing_data")
    assert staffing.status == ItemStatus.RECEIVED
    assert [f.path for f in staffing.files] == ["Staffing return v2 FINAL.xlsx"]
    assert [(f.path, f.reason) for f in staffing.superseded] == [
        ("Staffing return v1.xlsx", "superseded by Staffing return v2 FINAL.xlsx")
    ]

    # Deleting the newer one brings the older back.
    state = await service.record_files(inspection, [], removed=["s2"])
    assert [f.path for f in state.item("staffing_data").files] == ["Staffing return v1.xlsx"]

    kinds = [(e.kind, e.file_id) for e in await service.history(inspection)]
    assert kinds == [
        ("matched", "s1"),
        ("matched", "s2"),
        ("superseded", "s1"),
        ("removed", "s2"),
    ]


async def test_a_changed_file_is_reassessed_an_unchanged_one_is_not(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    calls = 0
    data = xlsx_bytes({"Appendix 2": staffing_rows(blank=["Average caseload per Qualified SW"])})

    async def load() -> bytes:
        nonlocal calls
        calls += 1
        return data

    file = DocumentFile("x1", "Staffing data.xlsx", "", len(data), clock.now(), load=load)
    await service.record_files(inspection, [file])
    await service.record_files(inspection, [file])
    assert calls == 1
    data = xlsx_bytes({"Appendix 2": staffing_rows()})
    clock.advance(timedelta(hours=1))
    changed = replace(file, size=len(data), modified=clock.now())
    state = await service.record_files(inspection, [changed])
    assert calls == 2
    assert state.item("staffing_data").status == ItemStatus.RECEIVED
    assert [e.kind for e in await service.history(inspection)] == ["matched", "updated"]


@pytest.mark.parametrize(
    ("name", "size", "why"),
    [
        ("~$ER 2024.docx", 162, "Office lock file"),
        ("Thumbs.db", 10, "thumbnail cache"),
        (".DS_Store", 10, ".DS_Store"),
        ("desktop.ini", 10, "desktop.ini"),
        ("SER.docx", 0, "empty"),
        ("upload.tmp", 10, "temporary"),
        ("report.docx.crdownload", 10, "temporary"),
        ("~WRL0001.tmp", 10, "temporary"),
        (".~lock.Staffing.xlsx#", 10, "LibreOffice lock"),
        ("._SER.docx", 10, "resource fork"),
    ],
)
def test_files_nobody_uploaded_on_purpose_are_ignored_with_why(
    name: str, size: int, why: str
) -> None:
    reason = ignored_reason(DocumentFile("id", name, size=size))
    assert reason is not None and why in reason


def test_answers_to_information_requests_belong_to_the_request_log() -> None:
    answer = DocumentFile("id", "SER.docx", "Information requests/IR-004", size=100)
    assert ignored_reason(answer) == (
        "in the 'Information requests' folder: answers to information requests are tracked in "
        "the request log, not the checklist"
    )


def test_real_documents_are_not_ignored() -> None:
    assert ignored_reason(DocumentFile("id", "SER 2024.docx", size=100)) is None
    assert ignored_reason(DocumentFile("id", "Data~Nov.xlsx", size=100)) is None


def test_question_wording() -> None:
    assert question_text("Data Nov.xlsx", ["Child-level data lists", "Staffing data"]) == (
        "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?"
    )
    assert question_text("Plan.docx", ["Strategic plans", "Workforce plans", "ChAT"]) == (
        "Is 'Plan.docx' the strategic plans, the workforce plans or the ChAT?"
    )


async def test_state_of_an_unsaved_inspection_is_refused(service: InspectionChecklist) -> None:
    with pytest.raises(NotFound, match="not been stored"):
        await service.state(replace(_inspection(), id=None))


def test_resolve_item_for_what_people_say(service: InspectionChecklist) -> None:
    inspection = _inspection()
    assert [i.key for i in service.resolve_item(inspection, "the staffing return")] == [
        "staffing_data"
    ]
    assert [i.key for i in service.resolve_item(inspection, "SER")] == ["self_evaluation_report"]
    assert [i.key for i in service.resolve_item(inspection, "staffing_data")] == ["staffing_data"]
    assert [i.key for i in service.resolve_item(inspection, "the data")] == [
        "child_level_data",
        "staffing_data",
    ]


async def test_content_settles_an_ambiguous_name(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    sheets = {
        "CIN": [["Case reference", "Age"], ["CR-1", 4]],
        "CLA": [["Case reference"], ["CR-2"]],
    }
    data = xlsx_bytes(sheets)
    state = await service.record_files(_inspection(), [_file("d1", "Data Nov.xlsx", data, clock)])
    assert state.questions == ()
    item = state.item("child_level_data")
    assert [f.path for f in item.files] == ["Data Nov.xlsx"]
    assert "content mentions" in item.files[0].reason
    # Only 2 of the 21 Appendix 1 items and lists are there: said so.
    assert item.status == ItemStatus.NEEDS_ATTENTION
    assert item.problems[0].startswith("13 of the 15 Appendix 1 items not found")


async def test_an_oversized_file_is_received_without_downloading_it(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    async def load() -> bytes:
        raise AssertionError("an oversized file must not be downloaded")

    huge = DocumentFile("h1", "SER 2024.pdf", "", 80 * 1_048_576, clock.now(), load=load)
    state = await service.record_files(_inspection(), [huge])
    item = state.item("self_evaluation_report")
    assert item.status == ItemStatus.RECEIVED
    assert item.notes == (
        "SER 2024.pdf: received, content not checked: the file is 80 MB, over the 50 MB "
        "checked; split it or remove images",
    )


async def test_a_download_failure_is_received_not_checked(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    async def load() -> bytes:
        raise OSError(104, "Connection reset by peer")

    file = DocumentFile("f1", "Staffing return.xlsx", "", 1000, clock.now(), load=load)
    state = await service.record_files(_inspection(), [file])
    assert state.item("staffing_data").notes == (
        "Staffing return.xlsx: received, content not checked: its content could not be "
        "fetched: Connection reset by peer",
    )


async def test_find_files_by_what_people_call_them(
    service: InspectionChecklist, upload: list[DocumentFile]
) -> None:
    inspection = _inspection()
    await service.record_files(inspection, upload)
    assert [f.path for f in await service.find_files(inspection, "data  nov")] == ["Data Nov.xlsx"]
    assert [f.path for f in await service.find_files(inspection, "CPB minutes")] == [
        "CPB minutes Jan 2024.docx",
        "CPB minutes Oct 2023.docx",
    ]
    assert await service.find_files(inspection, "Thumbs") == []
    assert await service.find_files(inspection, " ") == []


class FakeDocumentReader:
    """Fetches files again by id, as the Graph adapter would."""

    def __init__(self, files: list[DocumentFile]) -> None:
        self._loaders = {f.file_id: f.load for f in files}
        self.reads: list[str] = []

    async def read(self, file: DocumentFile) -> bytes:
        self.reads.append(file.file_id)
        load = self._loaders[file.file_id]
        assert load is not None
        return await load()


async def test_recheck_after_the_onsite_dates_move(
    frameworks: FrameworkRegistry, clock: FixedClock, upload: list[DocumentFile]
) -> None:
    reader = FakeDocumentReader(upload)
    checklist = InspectionChecklist(InMemoryChecklistStore(), frameworks, clock, reader=reader)
    inspection = _inspection()
    state = await checklist.record_files(inspection, upload)
    assert state.item("service_user_groups").status == ItemStatus.NEEDS_ATTENTION
    assert reader.reads == []  # every file came with its own loader

    # On site a week earlier: 28 Feb is in, the meetings of 12 March are out.
    moved = replace(
        inspection,
        onsite_start=fixture_set.ONSITE_START - timedelta(days=7),
        onsite_end=fixture_set.ONSITE_END - timedelta(days=7),
    )
    state = await checklist.recheck(moved)
    assert state.item("service_user_groups").status == ItemStatus.RECEIVED
    meetings = state.item("onsite_meetings")
    assert meetings.status == ItemStatus.NEEDS_ATTENTION
    assert any("12 Mar 2024" in p for p in meetings.problems)
    # Only files of items with content checks were fetched again.
    fetched = {f.path for f in upload if f.file_id in reader.reads}
    assert "Strategic plan 2023-2026.pdf" not in fetched
    assert "Participation - Children in Care Council dates.docx" in fetched
    kinds = [e.kind for e in await checklist.history(inspection)]
    assert kinds.count("rechecked") == 2


async def test_recheck_needs_a_reader(service: InspectionChecklist) -> None:
    with pytest.raises(InspectionError, match="cannot be fetched again here"):
        await service.recheck(_inspection())


async def test_an_appendix_in_the_ser_folder_does_not_supersede_the_ser(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    ser = docx_bytes(title="Self-Evaluation Report", sections=SER_SECTIONS, stored_pages=20)
    appendix = xlsx_bytes({"Data": [["Measure", "Value"], ["Contacts", 10]]})
    files = [_file("a", "SER 2024.docx", ser, clock, folder="02 Self-Evaluation Report")]
    clock.advance(timedelta(hours=1))
    files += [
        _file("b", "SER appendix - data.xlsx", appendix, clock, "02 Self-Evaluation Report"),
        _file("c", "Front door data.xlsx", appendix, clock, "02 Self-Evaluation Report"),
    ]
    clock.advance(timedelta(hours=1))
    files.append(_file("d", "Self-Evaluation Report FINAL.docx", ser, clock))
    state = await service.record_files(_inspection(), files)
    item = state.item("self_evaluation_report")
    assert [f.path for f in item.files] == [
        "02 Self-Evaluation Report/Front door data.xlsx",
        "02 Self-Evaluation Report/SER appendix - data.xlsx",
        "Self-Evaluation Report FINAL.docx",
    ]
    assert [(f.path, f.reason) for f in item.superseded] == [
        (
            "02 Self-Evaluation Report/SER 2024.docx",
            "superseded by Self-Evaluation Report FINAL.docx",
        )
    ]


# --- content before names (2.2, Appendix 1, Appendix 2, 7.2) -------------------------------------

# Notes of another meeting: what a mis-named upload usually is.
_OTHER_MEETING = docx_bytes(
    title="Fostering Panel: notes of the meeting on 3 May",
    sections=[("Attendees", 1), ("Apologies", 1), ("Matters arising", 2), ("Actions", 1)],
    stored_pages=3,
)
_OTHER_SHEET = xlsx_bytes(
    {"Rota": [["Day", "Duty worker", "Venue"], ["Monday", "Team manager", "Office"]]}
)

MISNAMED = [
    # (file name, content, item it suggests, what the question must say the content lacks)
    ("SER 2024 final.docx", _OTHER_MEETING, "self_evaluation_report", "three key questions of 2.2"),
    ("Child level data Nov 2024.xlsx", _OTHER_SHEET, "child_level_data", "Appendix 1"),
    ("Staffing return Q3.xlsx", _OTHER_SHEET, "staffing_data", "Appendix 2"),
    ("Case audit list Jun-Nov.xlsx", _OTHER_SHEET, "case_audit_list", "7.2"),
]


@pytest.mark.parametrize(("name", "content", "key", "lacks"), MISNAMED)
async def test_a_misnamed_document_is_a_question_not_received(
    service: InspectionChecklist, clock: FixedClock, name: str, content: bytes, key: str,
    lacks: str,
) -> None:  # fmt: skip
    inspection = _inspection()
    state = await service.record_files(inspection, [_file("m1", name, content, clock)])
    item = state.item(key)
    assert item.status == ItemStatus.NEEDS_ATTENTION and item.files == ()
    [question] = state.new_questions
    assert question.options == ((key, item.title),)
    # What the name suggested, and what the content lacks.
    assert f"'{name}': its name suggests the {item.title}" in question.text
    assert lacks in question.text and question.text.endswith("?")
    assert any(question.text in problem for problem in item.problems)

    # The link officer says it is the item after all: it counts, as a person said so.
    answered = await service.answer_question(inspection, "m1", key, by=LINK)
    assert [f.path for f in answered.item(key).files] == [name]
    assert answered.questions == ()


async def test_a_misnamed_document_can_be_set_aside(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    await service.record_files(inspection, [_file("m1", "SER.docx", _OTHER_MEETING, clock)])
    state = await service.answer_question(inspection, "m1", None, by=LINK)
    assert state.item("self_evaluation_report").status == ItemStatus.MISSING
    assert [f.path for f in state.ignored] == ["SER.docx"]


async def test_a_folder_does_not_make_other_content_the_item(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    folder = "02 Self-Evaluation Report"
    file = _file("m1", "Notes 3 May.docx", _OTHER_MEETING, clock, folder=folder)
    state = await service.record_files(inspection, [file])
    [question] = state.questions
    assert "its folder suggests the Self-Evaluation Report" in question.text
    assert state.item("self_evaluation_report").status == ItemStatus.NEEDS_ATTENTION


async def test_a_report_with_the_key_questions_is_received(
    service: InspectionChecklist, clock: FixedClock
) -> None:
    inspection = _inspection()
    ser = docx_bytes(title="Self-Evaluation Report", sections=SER_SECTIONS, stored_pages=20)
    state = await service.record_files(inspection, [_file("s1", "SER 2024.docx", ser, clock)])
    item = state.item("self_evaluation_report")
    assert item.status == ItemStatus.RECEIVED and state.questions == ()
    # One key question left out: received, with a note saying which (2.2).
    partial = docx_bytes(title="Self-Evaluation Report", sections=SER_SECTIONS[:2], stored_pages=20)
    state = await service.record_files(inspection, [_file("s2", "SER 2025.docx", partial, clock)])
    item = state.item("self_evaluation_report")
    assert item.status == ItemStatus.RECEIVED
    assert any("1 of the 3 key questions of 2.2 not found" in note for note in item.notes)
