"""The checklist card shows a returned factual accuracy grid's 9.7 warning (7.4, Appendix 4),
never the name it found."""

from __future__ import annotations

import pytest

from bot.features.checklist.cards import checklist_card
from inspection.frameworks import FrameworkRegistry
from tests.inspection.test_privacy_requests import GRID_AT, NAME, _no_name, returned_grid_state
from tests.inspection.test_requests import INSPECTION


@pytest.mark.parametrize(
    ("comment", "warned"),
    [(f"{NAME} was placed in March", True), ("CR-104233 was placed in March", False)],
)
async def test_the_checklist_card_shows_the_grid_warning_without_the_name(
    frameworks: FrameworkRegistry, comment: str, warned: bool
) -> None:
    state = await returned_grid_state(frameworks, comment)
    shown = str(checklist_card(INSPECTION, state, updated_at=GRID_AT))
    assert (
        "Needs attention: Factual accuracy/Factual accuracy feedback grid.xlsx" in shown
    ) is warned
    _no_name(shown)
