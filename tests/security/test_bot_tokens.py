"""Incoming Bot Framework tokens, checked by the real app (authentication on).

Each refusal also asserts that nothing reached the bot: no reply was sent to the connector.
The valid case proves the same app, key and endpoint do accept a good token, so every refusal
below is caused by the one thing that is wrong with its token.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.connector import FakeConnector
from tests.security.conftest import APP_ID, OUTBOUND_TOKEN, message
from tests.security.openid import TokenIssuer, new_key

Client = TestClient[Any, Any]


async def post(client: Client, activity: dict[str, Any], token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await client.post("/api/messages", json=activity, headers=headers)
    return response.status


async def test_a_valid_token_is_accepted_and_answered(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    activity = message(connector.url)
    token = issuer.sign(issuer.claims(APP_ID, connector.url))

    assert await post(secured_client, activity, token) == 200

    assert connector.delivered, "the bot should have answered an authenticated message"
    assert connector.delivered[0].authorization == f"Bearer {OUTBOUND_TOKEN}"
    assert issuer.requests_served >= 2, "the keys must come from the loopback metadata endpoint"


async def test_no_token_is_refused(secured_client: Client, connector: FakeConnector) -> None:
    assert await post(secured_client, message(connector.url), None) == 401
    assert connector.calls == []


async def test_an_expired_token_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    now = int(time.time())
    # Beyond the five minutes of clock skew the SDK allows.
    claims = issuer.claims(APP_ID, connector.url, iat=now - 7200, nbf=now - 7200, exp=now - 3600)

    assert await post(secured_client, message(connector.url), issuer.sign(claims)) == 401
    assert connector.calls == []


async def test_a_token_for_another_bot_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    claims = issuer.claims("11111111-2222-4333-8444-555555555555", connector.url)

    assert await post(secured_client, message(connector.url), issuer.sign(claims)) == 401
    assert connector.calls == []


async def test_a_token_from_another_issuer_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    claims = issuer.claims(APP_ID, connector.url, iss="https://issuer.invalid.example")

    assert await post(secured_client, message(connector.url), issuer.sign(claims)) == 401
    assert connector.calls == []


async def test_a_token_for_another_service_url_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    # Signed for the real connector; the activity asks the bot to answer somewhere else.
    claims = issuer.claims(APP_ID, "https://smba.trafficmanager.net/emea/")

    assert await post(secured_client, message(connector.url), issuer.sign(claims)) == 401
    assert connector.calls == []


async def test_alg_none_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    token = issuer.unsigned(issuer.claims(APP_ID, connector.url))

    assert await post(secured_client, message(connector.url), token) == 401
    assert connector.calls == []


async def test_a_tampered_payload_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    # A real token for another bot, its audience rewritten to ours, the signature kept.
    original = issuer.claims("11111111-2222-4333-8444-555555555555", connector.url)
    token = issuer.tampered(original, aud=APP_ID)

    assert await post(secured_client, message(connector.url), token) == 401
    assert connector.calls == []


async def test_a_token_signed_by_another_key_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    # Right claims and key id, but signed with a key the issuer never published.
    token = issuer.sign(issuer.claims(APP_ID, connector.url), key=new_key())

    assert await post(secured_client, message(connector.url), token) == 401
    assert connector.calls == []


async def test_a_key_not_endorsed_for_teams_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    issuer.endorsements = ("webchat",)
    token = issuer.sign(issuer.claims(APP_ID, connector.url))

    assert await post(secured_client, message(connector.url), token) == 401
    assert connector.calls == []


@pytest.mark.parametrize("scheme", ["Basic", "bearer", ""])
async def test_a_token_in_the_wrong_scheme_is_refused(
    secured_client: Client, issuer: TokenIssuer, connector: FakeConnector, scheme: str
) -> None:
    token = issuer.sign(issuer.claims(APP_ID, connector.url))
    response = await secured_client.post(
        "/api/messages",
        json=message(connector.url),
        headers={"Authorization": f"{scheme} {token}".strip()},
    )

    assert response.status == 401
    assert connector.calls == []
