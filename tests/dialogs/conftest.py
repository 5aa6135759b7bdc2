"""The real app (as tests/e2e) plus a restart: `apps.start()` builds a new `create_app` on the
same database, as a second instance or a restarted one would be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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


@dataclass
class Apps:
    database_url: str
    clock: FixedClock
    connector: FakeConnector
    clients: list[TestClient[Any, Any]] = field(default_factory=list)

    async def start(self) -> BotHarness:
        """A new instance of the app on the same database and the same fake Teams."""
        settings = load_settings(
            DATABASE_URL=self.database_url, MicrosoftAppId="", MicrosoftAppPassword=""
        )
        app = create_app(settings, clock=self.clock, retry_base_seconds=0.001, scheduler=False)
        client = TestClient(TestServer(app))
        await client.start_server()
        self.clients.append(client)
        return BotHarness(client=client, connector=self.connector, services=app[SERVICES])

    async def stop(self, harness: BotHarness) -> None:
        await harness.client.close()
        self.clients.remove(harness.client)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
async def apps(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Apps]:
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        found = Apps(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", clock, connector)
        try:
            yield found
        finally:
            for client in list(found.clients):
                await client.close()


@pytest.fixture
async def bot(apps: Apps) -> BotHarness:
    return await apps.start()
