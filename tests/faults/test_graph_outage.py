"""Microsoft Graph answers 503 for as long as it likes (the loopback emulator, fault injected):
setting up the channel is refused with a clear message and nothing half-made is recorded;
when Graph is back the same command, in the same process, finishes the job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from graph.emulator import EmulatedTeam, GraphEmulator, seed_local
from inspection.clock import FixedClock
from inspection.model import Role
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.e2e.test_operations import sample
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import BotHarness, Person

# The emulator's synthetic people (graph.emulator.seed_local), as Teams users.
LEAD = Person("29:1graph-lead", "11111111-1111-4111-8111-111111111111", "Lead Inspector A")
LINK = Person("29:1graph-link", "33333333-3333-4333-8333-333333333333", "Link Officer C")
DIRECTOR = Person("29:1graph-dir", "44444444-4444-4444-8444-444444444444", "Director D")


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[tuple[GraphEmulator, EmulatedTeam]]:
    async with GraphEmulator(tmp_path / "graph-files", page_size=200) as emulator:
        yield emulator, seed_local(emulator)


@pytest.fixture
async def harness(
    tmp_path: Path, graph: tuple[GraphEmulator, EmulatedTeam]
) -> AsyncIterator[BotHarness]:
    emulator, team = graph
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        GRAPH_BASE_URL=emulator.base_url,
        GRAPH_TEAM_ID=team.id,
        GRAPH_CREDENTIAL="static",
        GRAPH_FILES_FOLDER_WAIT_MINUTES=0,
    )
    app = create_app(
        settings, clock=FixedClock(DEFAULT_NOW), retry_base_seconds=0.001, scheduler=False
    )
    async with FakeConnector() as connector:
        for person in (LEAD, LINK, DIRECTOR):
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        try:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])
        finally:
            await client.close()


async def eventually(harness: BotHarness, phrase: str, *, count: int = 1) -> str:
    """The `count`-th message containing `phrase`, waiting (bounded) for it to be sent."""
    for _ in range(2400):  # at most two minutes
        found = [t for t in harness.connector.texts() if phrase in t]
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {phrase!r}; sent: {harness.connector.texts()}")


async def test_channel_setup_waits_out_a_graph_outage(
    harness: BotHarness, graph: tuple[GraphEmulator, EmulatedTeam]
) -> None:
    emulator, team = graph
    inspection = await harness.inspection(
        channel_id=None,
        members=(
            LEAD.member(Role.LEAD_INSPECTOR),
            LINK.member(Role.LINK_OFFICER),
            DIRECTOR.member(Role.DIRECTOR),
        ),
    )
    # Graph is down for minutes: every call answers 503 (Retry-After 1 s keeps the test short;
    # the SDK's own retries still happen, then the bot gives up on this attempt).
    emulator.fail(503, times=None, retry_after=1)
    before = await (await harness.client.get("/metrics")).text()

    for attempt in range(2):  # the lead tries again while it is still down
        await harness.say("set up channel", as_=LEAD)
        # A long set-up may finish after Teams' 15 s turn limit: the answer can come later.
        told = await eventually(harness, "The channel is not set up yet", count=attempt + 1)
        assert "Microsoft Graph is unavailable" in told and "set up channel" in told
        assert not any("Sorry, something went wrong" in t for t in harness.connector.texts())
    stored = await harness.services.repository.get(inspection.id or 0)
    assert stored.channel is None, "no half-made channel is recorded"
    during = await (await harness.client.get("/metrics")).text()
    throttled = sample(during, "inspection_bot_graph_calls_total", outcome="throttled")
    assert throttled - sample(before, "inspection_bot_graph_calls_total", outcome="throttled") >= 2
    assert sample(during, "inspection_bot_graph_throttles_total") >= 2
    assert not team.channels, "nothing was created in Teams"
    assert emulator.count() >= 3

    emulator.clear_faults()
    await harness.say("set up channel", as_=LEAD)
    await eventually(harness, "is ready with")
    stored = await harness.services.repository.get(inspection.id or 0)
    assert stored.channel is not None
    assert len(team.channels) == 1
    # The people are in the channel and its folders exist.
    channel = emulator.channel(stored.channel.channel_id)
    member_ids = {m.user.id for m in channel.members}
    assert {LEAD.aad_object_id, LINK.aad_object_id, DIRECTOR.aad_object_id} <= member_ids
    folder = emulator.channel_folder(stored.channel.channel_id)
    assert any(folder.iterdir()), "one folder per required item"
