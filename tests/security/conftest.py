"""The real aiohttp app with authentication ON, trusting a loopback token issuer.

Only the tests point botframework-connector at the loopback issuer (monkeypatch), and only the
tests stub the bot's own outgoing token (Entra ID is not reachable here).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import ChannelValidation, MicrosoftAppCredentials

from app import create_app
from settings import load_settings
from tests.fakes.connector import FakeConnector
from tests.security.openid import TokenIssuer

APP_ID = "00000000-0000-4000-8000-00000000b07a"
OUTBOUND_TOKEN = "outbound-token-for-tests"
_ids = itertools.count(1)


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenIssuer]:
    server = TokenIssuer().start()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", server.metadata_url)
    monkeypatch.setattr(
        MicrosoftAppCredentials,
        "get_access_token",
        lambda self, force_refresh=False: OUTBOUND_TOKEN,
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def secured_client(
    tmp_path: Path, issuer: TokenIssuer
) -> AsyncIterator[TestClient[Any, Any]]:
    """The bot as deployed: an app id and password set, so every request must carry a token."""
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-a-real-secret",
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def message(service_url: str, text: str = "help", **extra: Any) -> dict[str, Any]:
    """A personal-chat message as Teams sends it (synthetic ids)."""
    number = next(_ids)
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"1700000000{number:03d}",
        "timestamp": "2026-01-05T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {
            "id": "29:synthetic-user-1",
            "name": "Test User One",
            "aadObjectId": "aad-user-0001",
        },
        "conversation": {
            "id": f"a:synthetic-personal-{number}",
            "conversationType": "personal",
            "tenantId": "tenant-0001",
        },
        "recipient": {"id": f"28:{APP_ID}", "name": "Inspection bot"},
        "text": text,
        "textFormat": "plain",
        "locale": "en-GB",
        "channelData": {"tenant": {"id": "tenant-0001"}},
    }
    activity.update(extra)
    return activity
