"""The endpoint itself: activities in, replies out, bad requests refused, health."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from settings import load_settings
from tests.fakes.teams import LEAD, LINK, BotHarness, content
from tests.payloads import load


async def test_personal_help_is_answered_through_the_connector(bot: BotHarness) -> None:
    sent = await bot.say("help")
    assert len(sent) == 1
    assert sent[0].conversation_id == f"a:1personal-{LEAD.teams_id}"
    assert "What I can do" in content(sent[0])
    assert "help" in content(sent[0])


async def test_channel_mention_is_stripped_and_slash_is_optional(bot: BotHarness) -> None:
    for text in ("help", "/help", "HELP"):
        sent = await bot.say(text, where="channel")
        assert "What I can do" in content(sent[0]), text


async def test_unknown_input_gets_closest_commands(bot: BotHarness) -> None:
    sent = await bot.say("hlep")
    assert 'I didn\'t understand "hlep"' in content(sent[0])
    assert "`help`" in content(sent[0])


async def test_empty_text_gets_a_greeting(bot: BotHarness) -> None:
    sent = await bot.say("   ")
    assert "Type `help`" in content(sent[0])


async def test_missing_text_gets_a_greeting(bot: BotHarness) -> None:
    payload = bot.activity(None)
    sent = await bot.send(payload)
    assert "Type `help`" in content(sent[0])


async def test_ten_thousand_characters_get_a_clear_reply(bot: BotHarness) -> None:
    sent = await bot.say("status " + "x" * 10_000)
    assert "10,007 characters" in content(sent[0])


async def test_malformed_requests_are_4xx(bot: BotHarness) -> None:
    cases: list[tuple[object, int]] = [
        (b"{not json", 400),
        ([], 400),
        ({"type": "message"}, 400),
        ({**bot.activity("help"), "text": 42}, 400),
        ({**bot.activity("help"), "entities": "nope"}, 400),
        ({**bot.activity("help"), "from": None}, 400),
        ({**bot.activity("help"), "serviceUrl": "ftp://x"}, 400),
    ]
    for payload, expected in cases:
        status, body = await bot.post(payload)  # type: ignore[arg-type]
        assert status == expected, payload
        assert body["error"]
    assert bot.connector.calls == []


async def test_wrong_content_type_and_oversized_body(bot: BotHarness) -> None:
    response = await bot.client.post(
        "/api/messages", data="hello", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415
    big = b'{"type": "message", "text": "' + b"x" * 600_000 + b'"}'
    status, _ = await bot.post(big)
    assert status == 413


async def test_healthz_reports_database(bot: BotHarness) -> None:
    response = await bot.client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["checks"]["database"] == "ok"


async def test_healthz_names_the_failing_part(tmp_path: Path) -> None:
    settings = load_settings(DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings, migrate=False)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["failing"] == ["database"]


async def test_unauthenticated_activity_is_refused_with_an_app_id(tmp_path: Path) -> None:
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}",
        MicrosoftAppId="11111111-2222-4333-8444-555555555555",
        MicrosoftAppPassword="not-a-real-secret",
    )
    app = create_app(settings)
    payload = load("personal_message")
    payload["serviceUrl"] = "http://127.0.0.1:9/"  # never reached
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/messages", json=payload)
        assert response.status == 401
        forged = await client.post(
            "/api/messages", json=payload, headers={"Authorization": "Bearer not.a.token"}
        )
        assert forged.status == 401


async def test_did_you_mean_buttons_run_the_command(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("stauts", as_=LINK)
    [card] = sent[0].cards
    buttons = {a["title"]: a["data"] for a in card["actions"]}
    assert buttons["status"] == {"action": "run_command", "text": "status"}
    sent = await bot.submit(buttons["status"], as_=LINK)
    assert "Status: Children's Residential Service" in content(sent[0])
    # A forged button cannot smuggle in arbitrary text.
    sent = await bot.submit({"action": "run_command", "text": "what's overdue?"}, as_=LINK)
    assert "not valid (text)" in content(sent[0])


async def test_activities_the_bot_does_not_act_on_are_accepted_quietly(bot: BotHarness) -> None:
    for kind in ("typing", "messageReaction", "event", "endOfConversation"):
        payload = bot.activity(None)
        payload["type"] = kind
        status, _ = await bot.post(payload)
        assert status == 200, kind
    update = load("conversation_update_bot_added")
    update["serviceUrl"] = bot.connector.url
    update["membersAdded"] = [{"id": "29:someone-else"}]
    status, _ = await bot.post(update)
    assert status == 200
    assert bot.connector.calls == []
