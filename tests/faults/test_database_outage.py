"""The database goes away and comes back (PostgreSQL behind a loopback proxy the test cuts).

While it is away every turn is answered "I can't reach my records right now, try again in a
minute", /readyz says so, nothing is half-written, and when it is back the same process works
again: no restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import store.all_tables  # noqa: F401
from app import SERVICES, create_app
from inspection.clock import FixedClock
from inspection.errors import Unavailable
from inspection.model import Role
from settings import load_settings
from store.database import UNAVAILABLE_MESSAGE, Database
from store.tables import Base
from tests.conftest import _truncate
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, LEAD, LINK, BotHarness
from tests.faults.proxy import CuttableProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
async def proxied(postgres_url: str) -> AsyncIterator[tuple[CuttableProxy, str]]:
    target = make_url(postgres_url)
    async with CuttableProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        direct = Database(postgres_url)
        await _truncate(direct)
        await direct.dispose()
        yield proxy, url


@pytest.fixture
async def harness(proxied: tuple[CuttableProxy, str]) -> AsyncIterator[BotHarness]:
    _, url = proxied
    settings = load_settings(DATABASE_URL=url, MicrosoftAppId="", MicrosoftAppPassword="")
    app = create_app(
        settings, clock=FixedClock(DEFAULT_NOW), retry_base_seconds=0.001, scheduler=False
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


async def counts(database: Database) -> dict[str, int]:
    found: dict[str, int] = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            found[table.name] = int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
    return found


async def test_turns_during_an_outage_are_answered_and_the_bot_recovers(
    proxied: tuple[CuttableProxy, str], harness: BotHarness
) -> None:
    proxy, _ = proxied
    inspection = await harness.inspection()
    assert "Status:" in harness.texts(await harness.say("status", where="channel"))
    before = await counts(harness.services.database)

    proxy.cut()
    for text, person in (
        ("status", LINK),
        ("timeline", LEAD),
        ("move onsite 13 April to 17 April", LEAD),
    ):
        sent = await harness.say(text, as_=person, where="channel")
        assert harness.texts(sent) == UNAVAILABLE_MESSAGE, text
    ready = await harness.client.get("/readyz")
    assert ready.status == 503 and "database" in (await ready.json())["failing"]
    assert proxy.refused > 0, "the bot should have tried to reconnect"

    proxy.restore()
    # The same process, no restart: the pool drops its dead connections and reconnects.
    assert "Status:" in harness.texts(await harness.say("status", where="channel"))
    assert (await harness.client.get("/readyz")).status == 200
    after = await counts(harness.services.database)
    bookkeeping = {"bot_conversations", "bot_state"}  # references and dialog state
    assert {k: v for k, v in after.items() if k not in bookkeeping} == {
        k: v for k, v in before.items() if k not in bookkeeping
    }, "nothing was written during the outage"
    stored = await harness.services.repository.get(inspection.id or 0)
    assert stored.onsite_start == date(2026, 3, 23)


async def test_a_write_cut_half_way_leaves_nothing_behind(
    proxied: tuple[CuttableProxy, str], harness: BotHarness
) -> None:
    proxy, _ = proxied
    services = harness.services
    before = await counts(services.database)

    # The inspection row is sent; the connection dies as its members are about to be.
    proxy.cut_when(b"inspection_members")
    with pytest.raises(Unavailable, match="try again in a minute"):
        await services.inspections.create(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Half Written Service",
            onsite_start=date(2026, 4, 20),
            onsite_end=date(2026, 4, 24),
            notice=date(2026, 3, 9),
            members=(LEAD.member(Role.LEAD_INSPECTOR), LINK.member(Role.LINK_OFFICER)),
            allow_late_notice=True,
        )
    proxy.restore()

    assert await counts(services.database) == before
    assert await services.repository.list_all(include_closed=True) == []
    # And the same write succeeds once the database is back.
    created, _ = await services.inspections.create(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Written Whole Service",
        onsite_start=date(2026, 4, 20),
        onsite_end=date(2026, 4, 24),
        notice=date(2026, 3, 9),
        members=(LEAD.member(Role.LEAD_INSPECTOR), LINK.member(Role.LINK_OFFICER)),
        allow_late_notice=True,
    )
    assert len((await services.repository.get(created.id or 0)).members) == 2
