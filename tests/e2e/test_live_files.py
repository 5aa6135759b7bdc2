"""Live files through the real app: with GRAPH_NOTIFICATION_URL set the bot subscribes to the
new channel's drive by itself, and a file dropped into the channel reaches the checklist card
through the emulator's change notification, with polling off. Without the URL (local runs)
nothing is subscribed and the files are polled."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from graph.emulator import GraphEmulator, seed_local
from inspection.clock import FixedClock
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.e2e.test_checklist import _in_channel, _inspection, _puts
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, LINK, BotHarness, content

SECRET = "a-client-state-secret-of-32-chars"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _until(check: Any, *, seconds: float = 10.0) -> None:
    """Wait for `check()` to hold (a bound on the wait, not a timing assertion)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[GraphEmulator]:
    """The emulator playing Microsoft Graph on loopback, noticing dropped files at once."""
    running = GraphEmulator(tmp_path / "graph", private_provisioning_404s=0)
    seed_local(running)
    await running.start()
    running.watch(0.2)
    try:
        yield running
    finally:
        await running.stop()


@asynccontextmanager
async def _bot(
    tmp_path: Path, emulator: GraphEmulator, clock: FixedClock, **settings: Any
) -> AsyncIterator[BotHarness]:
    [team] = emulator.teams.values()
    port = _free_port()
    config = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
        GRAPH_BASE_URL=emulator.base_url,
        GRAPH_TEAM_ID=team.id,
        GRAPH_CLIENT_STATE=SECRET,
        **{
            key: value.replace("{port}", str(port)) if isinstance(value, str) else value
            for key, value in settings.items()
        },
    )
    # Polling off: only a notification can bring the file in.
    app = create_app(config, clock=clock, scheduler=False, retry_base_seconds=0.001)
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app, host="127.0.0.1", port=port)) as client:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])


async def test_an_upload_reaches_the_card_through_a_change_notification(
    tmp_path: Path, emulator: GraphEmulator
) -> None:
    clock = FixedClock(DEFAULT_NOW)
    emulator.now = clock.now  # subscription expiry judged on the bot's clock
    async with _bot(
        tmp_path,
        emulator,
        clock,
        GRAPH_NOTIFICATION_URL="http://127.0.0.1:{port}/api/notifications",
        GRAPH_SUBSCRIPTION_CHECK_SECONDS=1,
    ) as bot:
        poller = bot.services.file_sync
        assert poller is not None and not poller.running
        assert bot.services.subscriptions is not None
        inspection = await _inspection(bot)
        assert inspection.id is not None and inspection.channel is not None
        await _in_channel(bot, inspection, "checklist")
        card = await bot.services.board.cards.get(inspection.id)
        assert card is not None
        # Subscribed on set-up: the upkeep finds the new channel's Files within its interval.
        await _until(lambda: len(emulator.subscriptions) == 1)
        [subscription] = emulator.subscriptions.values()
        assert subscription.resource == f"/drives/{inspection.channel.drive_id}/root"
        mode = await poller.files_mode(inspection.id)
        assert mode.mode == "live" and mode.text.startswith("Files: live")
        # The sync the upkeep runs after subscribing is over before the file arrives, so only
        # the change notification can bring it in.
        await poller.sync_now(inspection.id)

        mark = len(bot.connector.calls)
        folder = emulator.channel_folder(inspection.channel.channel_id)
        folder = folder / "01 Organisational structures"
        (folder / "Org chart.pdf").write_bytes(b"%PDF-1.4 org chart")
        await _until(lambda: bool(_puts(bot.since(mark))))
        [update] = _puts(bot.since(mark))
        assert update.path.endswith(f"/activities/{card.activity_id}")
        assert "Required: 1 of 8 received" in content(update)
        await _until(lambda: (subscription.id, "change", 202) in emulator.deliveries)


async def test_without_a_notification_url_nothing_is_subscribed(
    tmp_path: Path, emulator: GraphEmulator
) -> None:
    clock = FixedClock(DEFAULT_NOW)
    emulator.now = clock.now
    async with _bot(tmp_path, emulator, clock) as bot:
        inspection = await _inspection(bot)
        assert inspection.id is not None
        assert bot.services.subscriptions is None
        assert bot.services.file_sync is not None
        mode = await bot.services.file_sync.files_mode(inspection.id)
        assert mode.mode == "polling"
        assert mode.text == (
            "Files: checked every 5 minutes (no change notifications for this channel; "
            "`sync files` checks now)."
        )
        assert emulator.subscriptions == {}


async def test_a_file_dropped_before_the_subscription_is_synced_once_it_exists(
    tmp_path: Path, emulator: GraphEmulator
) -> None:
    clock = FixedClock(DEFAULT_NOW)
    emulator.now = clock.now
    refused = emulator.fail(400, method="POST", path="^/subscriptions$", times=None)
    async with _bot(
        tmp_path,
        emulator,
        clock,
        GRAPH_NOTIFICATION_URL="http://127.0.0.1:{port}/api/notifications",
        GRAPH_SUBSCRIPTION_CHECK_SECONDS=1,
    ) as bot:
        inspection = await _inspection(bot)
        assert inspection.id is not None and inspection.channel is not None
        await _in_channel(bot, inspection, "checklist")
        await _until(lambda: emulator.count("POST", "^/subscriptions$") >= 1)
        mark = len(bot.connector.calls)
        folder = emulator.channel_folder(inspection.channel.channel_id)
        (folder / "01 Organisational structures" / "Org chart.pdf").write_bytes(b"%PDF-1.4 x")
        await emulator.notify_changes()  # no subscription yet: nobody is told
        assert _puts(bot.since(mark)) == [] and emulator.subscriptions == {}
        emulator.faults.remove(refused)
        # The next check subscribes, then syncs what changed while there was none.
        await _until(lambda: bool(_puts(bot.since(mark))))
        [update] = _puts(bot.since(mark))
        assert "Required: 1 of 8 received" in content(update)
        assert len(emulator.subscriptions) == 1
        assert [d for d in emulator.deliveries if d[1] == "change"] == []


async def test_status_tells_inspectors_how_the_files_are_watched(
    tmp_path: Path, emulator: GraphEmulator
) -> None:
    clock = FixedClock(DEFAULT_NOW)
    emulator.now = clock.now
    async with _bot(tmp_path, emulator, clock) as bot:
        inspection = await _inspection(bot)
        assert inspection.id is not None
        said = bot.texts(await bot.say("status", where="channel"))
        assert "Files: checked every 5 minutes" in said
        provider = bot.texts(await bot.say("status", as_=LINK, where="personal"))
        assert "Files:" not in provider  # how the bot watches the files is for inspectors
