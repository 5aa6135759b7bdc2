"""A turn longer than Teams waits (15 s) is acknowledged early and finishes afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import BACKGROUND_TURNS, SERVICES, create_app
from inspection.clock import FixedClock
from inspection.workspace import ChannelSetup, ChannelSetupResult, Progress
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import EVERYONE, LINK, BotHarness, content


class GatedWorkspace:
    """Sets up a channel only when the test opens the gate (a slow SharePoint, on demand)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def setup_channel(
        self, request: ChannelSetup, progress: Progress | None = None
    ) -> ChannelSetupResult:
        self.started.set()
        await self.gate.wait()
        return ChannelSetupResult(
            team_id=request.team_id,
            channel_id="19:new-channel@thread.tacv2",
            display_name=f"Inspection - {request.service_name}",
            membership_type="private",
            drive_id="drive-1",
            folder_id="folder-1",
            web_url=None,
            folders=(),
        )

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} is not expected in this test")


@pytest.fixture
async def gated(tmp_path: Path) -> AsyncIterator[tuple[BotHarness, GatedWorkspace, Any]]:
    directory = GatedWorkspace()
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}")
    app = create_app(
        settings,
        clock=FixedClock(DEFAULT_NOW),
        directory=directory,  # type: ignore[arg-type]
        scheduler=False,
        turn_ack_seconds=0.05,
        retry_base_seconds=0.001,
    )
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app)) as client:
            harness = BotHarness(client=client, connector=connector, services=app[SERVICES])
            yield harness, directory, app[BACKGROUND_TURNS]


async def test_slow_channel_setup_is_acknowledged_then_finished(
    gated: tuple[BotHarness, GatedWorkspace, Any],
) -> None:
    bot, directory, background = gated
    payload = bot.activity(
        'new inspection "Slow Service" onsite 20 April to 24 April '
        f"link officer <at>{LINK.name}</at>",
        where="channel",
        mentions=(LINK,),
    )
    status, _ = await bot.post(payload)
    assert status == 202  # answered before Teams gives up; the turn goes on
    await directory.started.wait()
    assert len(background) == 1
    directory.gate.set()
    await background.drain()
    texts = [content(c) for c in bot.connector.delivered]
    assert any("Setting up the channel" in t for t in texts)
    assert any("Inspection of Slow Service stored" in t for t in texts)
    [stored] = await bot.services.repository.list_all()
    assert stored.channel is not None and stored.channel.channel_id == "19:new-channel@thread.tacv2"
