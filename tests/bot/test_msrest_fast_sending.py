"""bot/msrest_fast.py: connector calls go out over aiohttp, with msrest's URLs, headers,
errors and answers (issue 7), against the loopback fake Bot Connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botframework.connector.auth import ClaimsIdentity, MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError  # type: ignore[attr-defined]

from bot.adapter import ReusingAuthentication, build_adapter
from bot.msrest_fast import AiohttpSender, SharedSession
from bot.msrest_fast import _send_over_aiohttp as send_over_aiohttp
from bot.sender import send_error
from settings import load_settings
from tests.fakes.connector import FakeConnector


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def authentication() -> AsyncIterator[ReusingAuthentication]:
    _adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""))
    yield authentication
    await authentication.close()


def _reply(text: str) -> Activity:
    return Activity(
        type="message",
        text=text,
        from_property=ChannelAccount(id="28:bot"),
        recipient=ChannelAccount(id="29:user"),
        conversation=ConversationAccount(id="a:chat-1"),
    )


async def _client(authentication: ReusingAuthentication, url: str) -> Any:
    factory = authentication.create_connector_factory(ClaimsIdentity({}, True))
    return await factory.create(url, None)


async def test_a_reply_goes_out_over_aiohttp_and_not_requests(
    authentication: ReusingAuthentication,
    connector: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_requests(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a connector call went through requests")

    monkeypatch.setattr(requests.Session, "send", no_requests)
    client = await _client(authentication, connector.url)
    assert isinstance(client.config.pipeline._sender, AiohttpSender)

    answer = await client.conversations.reply_to_activity("a:chat-1", "m1", _reply("Hello"))

    assert answer.id  # the connector's ResourceResponse, deserialised by msrest
    (call,) = connector.calls
    assert (call.method, call.path) == ("POST", "/v3/conversations/a:chat-1/activities/m1")
    assert call.body["text"] == "Hello" and call.body["recipient"] == {"id": "29:user"}
    assert call.authorization is None  # local mode: no app id, so no token


async def test_the_app_credentials_sign_every_call(connector: FakeConnector) -> None:
    credentials = MicrosoftAppCredentials("11111111-2222-4333-8444-555555555555", "secret")
    tokens = iter(["token-1", "token-2"])
    credentials.get_access_token = lambda force_refresh=False: next(tokens)  # type: ignore[method-assign]
    _adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""))
    client = await _client(authentication, connector.url)
    client.config.credentials = credentials
    sessions = SharedSession()
    try:
        assert send_over_aiohttp(client, sessions)
        await client.conversations.send_to_conversation("a:chat-1", _reply("one"))
        await client.conversations.send_to_conversation("a:chat-1", _reply("two"))
    finally:
        await sessions.close()
        await authentication.close()
    assert [c.authorization for c in connector.calls] == ["Bearer token-1", "Bearer token-2"]


async def test_a_refusal_keeps_its_status_and_retry_after(
    authentication: ReusingAuthentication, connector: FakeConnector
) -> None:
    """bot/sender.py retries on these; they must survive the aiohttp transport."""
    client = await _client(authentication, connector.url)
    connector.fail_next(429, retry_after=3)
    with pytest.raises(ErrorResponseException) as refused:
        await client.conversations.send_to_conversation("a:chat-1", _reply("busy"))
    assert send_error(refused.value).status == 429
    assert send_error(refused.value).retry_after == 3.0
    connector.fail_next(502)
    with pytest.raises(ErrorResponseException) as failed:
        await client.conversations.send_to_conversation("a:chat-1", _reply("bad gateway"))
    assert send_error(failed.value).status == 502


async def test_an_unreachable_connector_is_msrests_client_request_error(
    authentication: ReusingAuthentication,
) -> None:
    async with FakeConnector() as gone:
        url = gone.url  # closed on leaving: nothing listens there any more
    client = await _client(authentication, url)
    with pytest.raises(ClientRequestError):
        await client.conversations.send_to_conversation("a:chat-1", _reply("anyone?"))


async def test_closing_the_adapter_closes_the_shared_session(
    authentication: ReusingAuthentication, connector: FakeConnector
) -> None:
    client = await _client(authentication, connector.url)
    await client.conversations.send_to_conversation("a:chat-1", _reply("hi"))
    session = authentication._sessions.get()
    assert not session.closed
    await authentication.close()
    assert session.closed


async def test_the_environment_is_trusted_only_when_a_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With trust_env aiohttp reads ~/.netrc in a thread on every request (issue 7); it is
    needed only to honour a proxy, as requests did."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    direct, proxied = SharedSession(), SharedSession()
    assert not direct.get().trust_env
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert proxied.get().trust_env
    await direct.close()
    await proxied.close()
