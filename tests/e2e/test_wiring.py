"""create_app wires the real collaborators: request log and checklist counts in `status`,
the scheduler in /healthz, and channel set-up through the in-process Graph emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from inspection.clock import FixedClock
from inspection.notifier import DeliveryStatus, OutgoingMessage, Recipient
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, INSPECTOR, LINK, BotHarness, content


async def test_status_counts_come_from_the_checklist_and_request_log(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("status", where="channel")
    text = content(sent[0])
    # JCC: eight required items (Appendix 1), nothing uploaded yet, no requests logged.
    assert "0 of 8 required received, 8 missing" in text
    assert "0 open, 0 overdue" in text


async def test_healthz_reports_the_running_scheduler(tmp_path: Path) -> None:
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    app = create_app(settings, clock=FixedClock(DEFAULT_NOW), scheduler=True)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 200, body
        assert body["checks"]["scheduler"] == "ok"
    assert not app[SERVICES].scheduler.running  # stopped with the app


@pytest.fixture
async def local_bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
    app = create_app(
        settings,
        clock=FixedClock(DEFAULT_NOW),
        scheduler=False,
        graph_emulator=tmp_path / "graph-files",
        retry_base_seconds=0.001,
    )
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app)) as client:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])


async def test_new_inspection_sets_up_the_channel_through_graph(local_bot: BotHarness) -> None:
    sent = await local_bot.say(
        f'new inspection "Fostering Service" onsite 20 April to 24 April '
        f"link officer <at>{LINK.name}</at> team <at>{INSPECTOR.name}</at>",
        where="channel",
        mentions=(LINK, INSPECTOR),
    )
    text = local_bot.texts(sent)
    assert "Setting up the channel and its files" in text
    assert "Inspection of Fostering Service stored" in text
    assert 'Channel "Inspection - Fostering Service - Apr 2026" is ready' in text
    [stored] = await local_bot.services.repository.list_all()
    assert stored.channel is not None and stored.channel.drive_id
    assert stored.status.value == "active"
    # The welcome card went to the new channel as a new conversation (not a reply here).
    welcome = [c for c in local_bot.connector.calls if c.path == "/v3/conversations"]
    assert welcome and "Required documents" in content(welcome[0])
    # ... and the scheduler can post there from now on, without anyone writing in it first.
    ref = await local_bot.services.conversations.channel(stored.channel.channel_id)
    assert ref is not None and ref.team_id == stored.channel.team_id
    assert ref.reference["conversation"]["id"] == stored.channel.channel_id
    assert ref.reference["serviceUrl"] == local_bot.connector.url
    notifier = local_bot.services.notifier
    assert notifier is not None
    delivery = await notifier.send(
        OutgoingMessage(Recipient.channel(stored.id or 0), "Uploads are due on Friday.")
    )
    assert delivery.status == DeliveryStatus.SENT
    last = local_bot.connector.calls[-1]
    assert last.conversation_id == stored.channel.channel_id
    assert last.text == "Uploads are due on Friday."
