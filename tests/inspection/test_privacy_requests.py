"""The guard where free text enters (9.7): requests, answers, follow-ups, internal notes, the
factual accuracy grid's comments and file names shown in cards. A flagged text is stored only
once the person confirms, exactly as they confirmed it, and no warning, card text or log line
repeats the name. Synthetic names only."""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime

import pytest

from inspection.checklist import (
    ChecklistState,
    DocumentFile,
    InMemoryChecklistStore,
    InspectionChecklist,
)
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection
from inspection.request_export import FACTUAL_ACCURACY_FOLDER, factual_accuracy_grid
from inspection.requests import (
    LinkedFile,
    NeedsConfirmation,
    RequestLog,
    normalise_case_ref,
)
from tests.fakes.request_log import FakeInspectionRepository, FakeRequestRepository
from tests.inspection.test_requests import INSPECTION, LEAD, LINK

NAME = "Kacper Wiśniewski"
NAMED = f"Please send the care plan for {NAME}"


def _log(frameworks: FrameworkRegistry) -> RequestLog:
    clock = FixedClock(datetime(2024, 3, 5, 10, 0, tzinfo=UTC))
    return RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(INSPECTION), frameworks, clock
    )


def _no_name(text: str) -> None:
    assert "Kacper" not in text and "Wiśniewski" not in text, text


async def test_a_request_naming_a_child_waits_for_confirmation(
    frameworks: FrameworkRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = _log(frameworks)
    with pytest.raises(NeedsConfirmation) as caught:
        await log.log(1, LEAD, NAMED)
    _no_name(str(caught.value))
    assert "9.7" in str(caught.value) and '"K…"' in str(caught.value)
    assert await log.find(1, LEAD) == []  # nothing stored
    stored = await log.log(1, LEAD, NAMED, confirm=True)
    assert stored.text == NAMED  # as the person confirmed it
    _no_name(caplog.text)


async def test_an_answer_a_follow_up_and_a_note_are_checked(
    frameworks: FrameworkRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = _log(frameworks)
    request = await log.log(1, LEAD, "Please send the chronology for CR-104233")
    answer = "The chronology for kacper is attached"
    with pytest.raises(NeedsConfirmation) as caught:
        await log.answer(1, request.ref, LINK, answer)
    _no_name(str(caught.value))
    answered = await log.answer(1, request.ref, LINK, answer, confirm=True)
    assert answered.answers[-1].text == answer

    follow = "Please add the school report for Kacper"
    with pytest.raises(NeedsConfirmation) as caught:
        await log.follow_up(1, request.ref, LEAD, follow)
    _no_name(str(caught.value))
    followed = await log.follow_up(1, request.ref, LEAD, follow, confirm=True)
    assert followed.follow_ups[-1].text == follow

    note = "Internal note: the LO says Kacper's plan is with the manager"
    with pytest.raises(NeedsConfirmation) as caught:
        await log.add_note(1, request.ref, LEAD, note)
    _no_name(str(caught.value))
    assert (await log.get(1, request.ref, LEAD)).notes == ()
    noted = await log.add_note(1, request.ref, LEAD, note, confirm=True)
    assert noted.notes[-1].text == note
    assert (await log.add_note(1, request.ref, LEAD, "chase again on Monday")).notes[-1]
    _no_name(caplog.text)


async def test_a_similar_request_is_quoted_without_its_confirmed_name(
    frameworks: FrameworkRegistry,
) -> None:
    log = _log(frameworks)
    text = "Please send the care plan and the last LAC review minutes"
    await log.log(1, LEAD, f"{text} for Kacper", confirm=True)
    with pytest.raises(NeedsConfirmation, match="This looks like IR-001") as caught:
        await log.log(1, LEAD, text)
    message = str(caught.value)
    _no_name(message)
    assert "[case reference]" in message


async def test_the_framework_proper_nouns_apply_in_the_request_log(
    frameworks: FrameworkRegistry,
) -> None:
    log = _log(frameworks)  # a JCC inspection: Heathfield is a place (rule file, privacy:)
    stored = await log.log(1, LEAD, "Visits to Heathfield are recorded weekly")
    assert stored.ref == "IR-001"
    assert log.check_privacy(INSPECTION, "Visits to Heathfield are recorded weekly") == ()


def test_a_name_given_as_a_case_reference_is_not_repeated() -> None:
    with pytest.raises(Exception, match="not a case reference") as caught:
        normalise_case_ref(NAME)
    _no_name(str(caught.value))


def test_file_names_shown_in_cards_are_display_safe() -> None:
    linked = LinkedFile(f"Chronology {NAME}.docx")
    _no_name(linked.display_name)
    assert linked.display_name == "Chronology [case reference].docx"
    assert LinkedFile("Supervision policy.pdf").display_name == "Supervision policy.pdf"


async def test_checklist_questions_and_paths_never_repeat_a_name(
    frameworks: FrameworkRegistry,
) -> None:
    clock = FixedClock(datetime(2024, 2, 20, 10, 0, tzinfo=UTC))
    service = InspectionChecklist(InMemoryChecklistStore(), frameworks, clock)
    inspection = INSPECTION

    async def load() -> bytes:
        from tests.documents.builders import xlsx_bytes

        return xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]})

    file = DocumentFile("f1", f"Data Nov {NAME}.xlsx", "", 100, clock.now(), load=load)
    state = await service.record_files(inspection, [file])
    [question] = state.questions  # "Is 'Data Nov ...' A or B?" is posted in the channel
    assert question.text.startswith("Is 'Data Nov [case reference].xlsx' the ")
    _no_name(question.display_path)
    [unmatched] = state.unmatched
    _no_name(unmatched.display_path)
    _no_name(unmatched.reason)


def _returned_grid(comment: str) -> bytes:
    from openpyxl import load_workbook

    inspection = Inspection(
        "jcc-children-social-care", "full", "Children's Social Care",
        date(2024, 3, 4), date(2024, 3, 15),
    )  # fmt: skip
    data = factual_accuracy_grid(
        inspection, draft_received=date(2024, 4, 1), comments_due=date(2024, 4, 29)
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    sheet["A8"], sheet["B8"] = 4, 2
    sheet["D8"] = "the plan was reviewed on time"
    sheet["E8"] = comment
    sheet["A9"], sheet["E9"] = 7, "The Corporate Parenting Board met four times, not three"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GRID_AT = datetime(2024, 4, 20, 10, 0, tzinfo=UTC)


async def returned_grid_state(frameworks: FrameworkRegistry, comment: str) -> ChecklistState:
    """The checklist after the provider returned the grid with `comment` in it."""
    service = InspectionChecklist(InMemoryChecklistStore(), frameworks, FixedClock(GRID_AT))
    data = _returned_grid(comment)

    async def load() -> bytes:
        return data

    file = DocumentFile(
        "g1", "Factual accuracy feedback grid.xlsx", FACTUAL_ACCURACY_FOLDER, len(data),
        GRID_AT, load=load,
    )  # fmt: skip
    return await service.record_files(INSPECTION, [file])


@pytest.mark.parametrize(
    ("comment", "warned"),
    [(f"{NAME} was placed in March, not April", True), ("CR-104233 was placed in March", False)],
)
async def test_the_returned_grid_comments_are_checked(
    frameworks: FrameworkRegistry, comment: str, warned: bool
) -> None:
    state = await returned_grid_state(frameworks, comment)
    [ignored] = state.ignored
    assert "factual accuracy grid" in ignored.reason
    assert ("9.7" in ignored.reason) is warned
    if warned:
        assert "row 8 (Comments)" in ignored.reason and '"K…"' in ignored.reason
    _no_name(ignored.reason)
    assert all(item.files == () for item in state.items)  # not a checklist document
