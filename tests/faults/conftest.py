"""Fault tests' harness: the same app as the end-to-end tests, the scheduler not started, so a
test decides exactly when reminders are sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inspection.clock import FixedClock
from tests.e2e.conftest import DEFAULT_NOW, running_bot
from tests.fakes.teams import BotHarness


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
async def quiet_bot(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, clock) as harness:
        yield harness
