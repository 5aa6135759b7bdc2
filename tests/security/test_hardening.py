"""What an independent test of the running server found, each answered as a user would expect:
clear 4xx answers instead of 500s, nothing an attacker can slow down, nothing private leaked."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import bot, clock  # noqa: F401  (the harness fixtures)
from tests.fakes.teams import BotHarness


@pytest.mark.parametrize("huge", [10**25, "1" * 30, -(10**25)])
async def test_an_out_of_range_id_on_a_button_is_an_unknown_one(
    bot: BotHarness,  # noqa: F811
    huge: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bot.inspection()
    unknown = bot.texts(await bot.submit({"action": "checklist_refresh", "inspection_id": 999}))
    with caplog.at_level(logging.WARNING):
        sent = await bot.submit({"action": "checklist_refresh", "inspection_id": huge})
    assert bot.texts(sent) == unknown
    assert "no longer exists" in unknown
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
