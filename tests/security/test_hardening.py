"""What an independent test of the running server found, each answered as a user would expect:
clear 4xx answers instead of 500s, nothing an attacker can slow down, nothing private leaked."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from settings import load_settings
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


async def test_a_media_type_that_only_mentions_json_is_refused(
    bot: BotHarness,  # noqa: F811
) -> None:
    response = await bot.client.post(
        "/api/messages",
        data=json.dumps(bot.activity("help")),
        headers={"Content-Type": "text/plain; q=application/json"},
    )
    assert response.status == 415
    assert "Content-Type: application/json" in (await response.json())["error"]
    assert bot.connector.calls == []


@pytest.fixture
async def notifications_client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    """The real app with Graph's change notifications mounted (GRAPH_CLIENT_STATE set); Graph
    itself is never called by these requests."""
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
        GRAPH_BASE_URL="http://127.0.0.1:9/v1.0",
        GRAPH_TEAM_ID="team-1",
        GRAPH_CLIENT_STATE="a-client-state-secret-of-32-chars",
    )
    app = create_app(settings, scheduler=False)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_deeply_nested_json_to_the_notifications_endpoint_is_a_400(
    notifications_client: TestClient[Any, Any],
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = await notifications_client.post(
        "/api/notifications", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "nested too deeply" in (await response.json())["error"]
    plain = await notifications_client.post(
        "/api/notifications", data="{}", headers={"Content-Type": "text/plain; q=application/json"}
    )
    assert plain.status == 415
    # The server still answers at once.
    assert (await notifications_client.get("/healthz")).status == 200
