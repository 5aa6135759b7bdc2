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


class _SlowKeys:
    """An OpenID metadata endpoint that answers only after `delay` seconds (on its own thread:
    the bot fetches keys with a blocking client)."""

    def __init__(self, delay: float) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        pause = threading.Event()
        self.pause = pause

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pause.wait(delay)
                self.send_response(503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/openid"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.pause.set()
        self.server.shutdown()
        self.server.server_close()


async def _secured(tmp_path: Any, **settings: Any) -> Client:
    from aiohttp.test_utils import TestServer

    from app import create_app
    from settings import load_settings

    config = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-a-real-secret",
        **settings,
    )
    client: Client = TestClient(TestServer(create_app(config)))
    await client.start_server()
    return client


async def test_unreachable_signing_keys_are_a_503_with_retry_after(
    tmp_path: Any, issuer: TokenIssuer, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token that claims the Bot Framework's issuer while its key endpoint is down: not the
    caller's fault, so not a 401, and not a 500 either."""
    from botframework.connector.auth import ChannelValidation

    monkeypatch.setattr(
        ChannelValidation, "open_id_metadata_endpoint", "http://127.0.0.1:9/.well-known/x"
    )
    client = await _secured(tmp_path)
    try:
        token = issuer.sign(issuer.claims(APP_ID, connector.url))
        response = await client.post(
            "/api/messages",
            json=message(connector.url),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "signing keys" in (await response.json())["error"]
        assert connector.calls == []
    finally:
        await client.close()


async def test_slow_signing_keys_never_stop_the_server(
    tmp_path: Any, issuer: TokenIssuer, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the key endpoint hangs, health checks answer, the token check gives up with a 503
    after its limit, and further tokens are answered at once instead of queueing."""
    import asyncio

    from botframework.connector.auth import ChannelValidation

    slow = _SlowKeys(delay=30.0)
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", slow.url)
    client = await _secured(tmp_path, BOT_TOKEN_CHECK_SECONDS=1)
    try:
        token = issuer.sign(issuer.claims(APP_ID, connector.url))
        headers = {"Authorization": f"Bearer {token}"}
        stuck = asyncio.ensure_future(
            client.post("/api/messages", json=message(connector.url), headers=headers)
        )
        await asyncio.sleep(0.2)
        health = await client.get("/healthz")
        assert health.status == 200
        assert not stuck.done(), "the health check was answered while the token check waits"
        first = await stuck
        assert first.status == 503 and "Retry-After" in first.headers
        again = await client.post("/api/messages", json=message(connector.url), headers=headers)
        assert again.status == 503
        assert connector.calls == []
    finally:
        slow.close()
        await client.close()
