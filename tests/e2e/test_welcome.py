"""`welcome`: the inspection's welcome card shown again (issue 9), end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICES, create_app
from inspection.clock import FixedClock
from settings import load_settings
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import DIRECTOR, EVERYONE, LEAD, LINK, OUTSIDER, BotHarness, content


async def test_welcome_shows_the_card_to_the_lead_inspector_in_the_channel(
    bot: BotHarness,
) -> None:
    await bot.inspection()
    sent = await bot.say("welcome", as_=LEAD, where="channel")
    assert len(sent) == 1
    text = content(sent[0])
    assert "Inspection of Children's Residential Service" in text
    # Who is who, by role.
    assert "Test Lead" in text and "Test Link" in text and "Test Director" in text
    assert "Mon 23 Mar 2026 to Fri 27 Mar 2026" in text
    assert "Uploads due" in text and "Mon 09 Mar 2026" in text  # 7.2: ten working days
    # The JCC checklist's eight required documents, numbered (7.2).
    assert "Required documents (8)" in text
    assert "\n8. " in text and "\n9. " not in text
    assert "Next deadlines" in text
    assert sent[0].cards[0]["type"] == "AdaptiveCard"


async def test_welcome_for_the_link_officer_in_a_personal_chat(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("/welcome", as_=LINK)
    text = content(sent[0])
    assert "Inspection of Children's Residential Service" in text
    assert "Required documents (8)" in text
    assert "Uploads due" in text


async def test_welcome_follows_re_planning(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("move onsite 13 April to 17 April", where="channel")
    sent = await bot.say("welcome", as_=DIRECTOR, where="channel")
    text = content(sent[0])
    assert "Mon 13 Apr 2026 to Fri 17 Apr 2026" in text
    assert "Mon 23 Mar 2026" not in text


async def test_an_outsider_sees_nothing(bot: BotHarness) -> None:
    await bot.inspection()
    for where in ("personal", "groupChat", "other-channel"):
        sent = await bot.say("welcome", as_=OUTSIDER, where=where)  # type: ignore[arg-type]
        text = bot.texts(sent)
        assert "Residential" not in text
        assert "Required documents" not in text


async def test_help_lists_welcome(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("help", as_=LINK)
    assert "welcome" in bot.texts(sent)


@pytest.fixture
async def refusing_bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The real app with the Graph emulator, and a connector that refuses every new
    conversation: the welcome post to a new channel fails (as in Microsoft's Teams emulator)."""
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
    app = create_app(
        settings,
        clock=FixedClock(DEFAULT_NOW),
        scheduler=False,
        graph_emulator=tmp_path / "graph-files",
        retry_base_seconds=0.001,
    )
    connector = FakeConnector()

    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"code": "Forbidden", "message": "not a member of that channel"}},
            status=403,
        )

    connector._create_conversation = refuse  # type: ignore[method-assign,assignment]
    async with connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app)) as client:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])


async def test_when_the_welcome_post_fails_the_lead_is_told_to_type_welcome(
    refusing_bot: BotHarness,
) -> None:
    sent = await refusing_bot.say(
        f'new inspection "Fostering Service" onsite 20 April to 24 April '
        f"link officer <at>{LINK.name}</at>",
        where="channel",
        mentions=(LINK,),
    )
    text = refusing_bot.texts(sent)
    assert "Inspection of Fostering Service stored" in text
    assert "I couldn't post the welcome card there; type `welcome` in it" in text
    assert "Required documents (8)" not in text  # it really was not posted
    # Asked for, the card comes; here from the lead inspector's personal chat.
    sent = await refusing_bot.say("welcome", as_=LEAD)
    text = content(sent[0])
    assert "Inspection of Fostering Service" in text
    assert "Required documents (8)" in text
    assert "Mon 20 Apr 2026 to Fri 24 Apr 2026" in text


async def test_welcome_in_a_group_chat(bot: BotHarness) -> None:
    await bot.inspection()
    # Everyone in the chat is in the inspection: the card is shown in the chat itself.
    bot.connector.members.pop(OUTSIDER.teams_id)
    sent = await bot.say("welcome", as_=LINK, where="groupChat")
    assert sent[0].conversation_id == "19:group-chat@thread.v2"
    assert "Required documents (8)" in content(sent[0])
