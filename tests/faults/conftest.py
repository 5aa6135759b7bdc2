"""Fault tests' harness: the real app (auth off, SQLite) with the scheduler NOT started, so a
test decides exactly when reminders are sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from inspection.clock import FixedClock
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, BotHarness


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
async def quiet_bot(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
    )
    app = create_app(settings, clock=clock, retry_base_seconds=0.001, scheduler=False)
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        try:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])
        finally:
            await client.close()
