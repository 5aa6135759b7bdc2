"""The `bot` fixture: the real app on an ephemeral port, a FakeConnector as Teams, a fixed clock.

Other engineers' end-to-end tests use it too: `from tests.fakes.teams import LEAD, LINK, ...`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from inspection.clock import FixedClock
from settings import load_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, BotHarness

# Monday 2 March 2026, 09:00 in Jersey (UTC in winter).
DEFAULT_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@asynccontextmanager
async def running_bot(
    tmp_path: Path, clock: FixedClock, directory: Any = None
) -> AsyncIterator[BotHarness]:
    """The real app (auth off, SQLite, the scheduler not started: a test decides when reminders
    go) behind a test server, with a FakeConnector playing Teams; `directory` stands in for
    Microsoft Graph (none by default)."""
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
    )
    app = create_app(
        settings, clock=clock, directory=directory, retry_base_seconds=0.001, scheduler=False
    )
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        try:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])
        finally:
            await client.close()


@pytest.fixture
async def bot(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, clock) as harness:
        yield harness


@pytest.fixture
async def graph_bot(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    """The bot with a FakeWorkspace as Microsoft Graph (`graph_bot.services.directory`)."""
    from tests.fakes.request_log import FakeWorkspace

    async with running_bot(tmp_path, clock, FakeWorkspace()) as harness:
        yield harness
