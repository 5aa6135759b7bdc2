"""Install, uninstall and every turn keep the stored conversation references right."""

from __future__ import annotations

import pytest

from inspection.conversations import ConversationRef
from tests.fakes.teams import CHANNEL_ID, LINK, TEAM_ID, BotHarness, content
from tests.payloads import load


def _at(bot: BotHarness, name: str) -> dict[str, object]:
    payload = load(name)
    payload["serviceUrl"] = bot.connector.url
    return payload


async def test_personal_install_welcomes_and_stores_the_reference(bot: BotHarness) -> None:
    sent = await bot.send(_at(bot, "installation_update_add"))
    assert "Hello, I'm the inspection bot" in content(sent[0])
    ref = await bot.services.conversations.personal_for(LINK.aad_object_id)
    assert ref is not None
    assert ref.conversation_id == "a:1personal-chat-link"
    assert ref.service_url == bot.connector.url
    assert ref.reference["conversation"]["id"] == "a:1personal-chat-link"
    assert ref.reference["serviceUrl"] == bot.connector.url


async def test_uninstall_forgets_the_reference_and_sends_nothing(bot: BotHarness) -> None:
    await bot.send(_at(bot, "installation_update_add"))
    sent = await bot.send(_at(bot, "installation_update_remove"))
    assert sent == []
    assert await bot.services.conversations.personal_for(LINK.aad_object_id) is None


async def test_added_to_a_team_welcomes_in_the_team(bot: BotHarness) -> None:
    sent = await bot.send(_at(bot, "conversation_update_bot_added"))
    assert "new inspection" in content(sent[0])
    assert sent[0].conversation_id == TEAM_ID
    ref = await bot.services.conversations.channel(TEAM_ID)
    assert ref is not None and ref.team_id == TEAM_ID


async def test_removed_from_a_team_forgets_every_channel(bot: BotHarness) -> None:
    await bot.send(_at(bot, "conversation_update_bot_added"))
    await bot.say("help", where="channel")
    assert await bot.services.conversations.channel(CHANNEL_ID) is not None
    sent = await bot.send(_at(bot, "conversation_update_bot_removed"))
    assert sent == []
    assert await bot.services.conversations.channel(CHANNEL_ID) is None
    assert await bot.services.conversations.channel(TEAM_ID) is None


async def test_every_turn_stores_the_channel_root_not_the_thread(bot: BotHarness) -> None:
    await bot.say("help", where="channel")
    ref = await bot.services.conversations.channel(CHANNEL_ID)
    assert ref is not None
    assert ref.conversation_id == CHANNEL_ID
    assert ";messageid=" not in ref.reference["conversation"]["id"]
    assert ref.team_id == TEAM_ID and ref.tenant_id == "tenant-1"
    await bot.say("help", as_=LINK)
    assert await bot.services.conversations.personal_for(LINK.aad_object_id) is not None


async def test_reinstall_after_another_instance_forgot_saves_again(bot: BotHarness) -> None:
    await bot.send(_at(bot, "installation_update_add"))
    # Another instance handled an uninstall: the row is gone, this instance's cache is not.
    await bot.services.conversations.forget("a:1personal-chat-link")
    await bot.send(_at(bot, "installation_update_add"))
    assert await bot.services.conversations.personal_for(LINK.aad_object_id) is not None


def _install_pair(bot: BotHarness, where: str) -> list[dict[str, object]]:
    """What Teams sends for one install: installationUpdate and conversationUpdate."""
    if where == "team":
        update = _at(bot, "conversation_update_bot_added")
        install = _at(bot, "installation_update_add")
        for key in ("conversation", "channelData", "from"):
            install[key] = update[key]
        return [install, update]
    install = _at(bot, "installation_update_add")
    update = _at(bot, "conversation_update_bot_added")
    for key in ("conversation", "channelData", "from"):
        update[key] = install[key]
    return [install, update]


async def test_one_install_greets_once_per_conversation(bot: BotHarness) -> None:
    for where in ("personal", "team"):
        sent: list[object] = []
        for payload in _install_pair(bot, where):
            sent += await bot.send(payload)  # type: ignore[arg-type]
        greetings = [s for s in sent if "Hello, I'm the inspection bot" in content(s)]  # type: ignore[arg-type]
        assert len(greetings) == 1, (where, len(greetings))


async def test_reinstall_after_removal_greets_again(bot: BotHarness) -> None:
    for payload in _install_pair(bot, "personal"):
        await bot.send(payload)  # type: ignore[arg-type]
    await bot.send(_at(bot, "installation_update_remove"))
    sent = await bot.send(_at(bot, "installation_update_add"))
    assert "Hello, I'm the inspection bot" in content(sent[0])


async def test_the_pair_in_either_order_greets_once(bot: BotHarness) -> None:
    sent: list[object] = []
    for payload in reversed(_install_pair(bot, "personal")):
        sent += await bot.send(payload)  # type: ignore[arg-type]
    greetings = [s for s in sent if "Hello, I'm the inspection bot" in content(s)]  # type: ignore[arg-type]
    assert len(greetings) == 1


async def test_a_second_install_event_greets_again(bot: BotHarness) -> None:
    # Microsoft's Teams emulator installs on page load and again on request: each greets once.
    for _ in range(2):
        sent: list[object] = []
        for payload in _install_pair(bot, "personal"):
            sent += await bot.send(payload)  # type: ignore[arg-type]
        greetings = [s for s in sent if "Hello, I'm the inspection bot" in content(s)]  # type: ignore[arg-type]
        assert len(greetings) == 1


async def test_a_reinstall_after_a_members_first_pair_greets_again(bot: BotHarness) -> None:
    """The emulator's page load may announce members first, then the installation; a new
    install seconds later is a new install, not that pair's second half."""
    for _ in range(2):
        sent: list[object] = []
        for payload in reversed(_install_pair(bot, "personal")):
            sent += await bot.send(payload)  # type: ignore[arg-type]
        greetings = [s for s in sent if "Hello, I'm the inspection bot" in content(s)]  # type: ignore[arg-type]
        assert len(greetings) == 1


async def test_an_unchanged_reference_is_written_once_and_a_changed_one_again(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 7: a turn whose reference is what was stored writes nothing (and does not build
    it); a new service URL or a renamed person is written at once."""
    store = bot.services.conversations
    saved: list[str] = []
    save = store.save

    async def counted(ref: ConversationRef) -> None:
        saved.append(ref.service_url)
        await save(ref)

    monkeypatch.setattr(store, "save", counted)
    for _ in range(3):
        await bot.say("help", where="channel")  # a new ;messageid= every time
        await bot.say("help", as_=LINK)
    assert len(saved) == 2

    moved = bot.activity("help", as_=LINK)
    moved["serviceUrl"] = bot.connector.url.rstrip("/") + "/moved/"
    await bot.post(moved)
    renamed = bot.activity("help", as_=LINK)
    renamed["from"]["name"] = "Test Link (Acting)"
    await bot.send(renamed)
    assert len(saved) == 4 and saved[2].endswith("/moved/")
    ref = await store.personal_for(LINK.aad_object_id)
    assert ref is not None and ref.reference["user"]["name"] == "Test Link (Acting)"
