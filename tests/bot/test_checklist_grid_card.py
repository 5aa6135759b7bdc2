"""The checklist card shows a returned factual accuracy grid's 9.7 warning (7.4, Appendix 4),
never the name it found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.features.checklist.cards import checklist_card
from inspection.checklist import DocumentFile, InMemoryChecklistStore, InspectionChecklist
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.request_export import FACTUAL_ACCURACY_FOLDER
from tests.inspection.test_privacy_requests import NAME, _no_name, _returned_grid
from tests.inspection.test_requests import INSPECTION


@pytest.mark.parametrize(
    ("comment", "warned"),
    [(f"{NAME} was placed in March", True), ("CR-104233 was placed in March", False)],
)
async def test_the_checklist_card_shows_the_grid_warning_without_the_name(
    frameworks: FrameworkRegistry, comment: str, warned: bool
) -> None:
    clock = FixedClock(datetime(2024, 4, 20, 10, 0, tzinfo=UTC))
    service = InspectionChecklist(InMemoryChecklistStore(), frameworks, clock)
    data = _returned_grid(comment)

    async def load() -> bytes:
        return data

    file = DocumentFile(
        "g1", "Factual accuracy feedback grid.xlsx", FACTUAL_ACCURACY_FOLDER, len(data),
        clock.now(), load=load,
    )  # fmt: skip
    state = await service.record_files(INSPECTION, [file])
    shown = str(checklist_card(INSPECTION, state, updated_at=clock.now()))
    assert (
        "Needs attention: Factual accuracy/Factual accuracy feedback grid.xlsx" in shown
    ) is warned
    _no_name(shown)
