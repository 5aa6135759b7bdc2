"""The bot's follow-up question ("Who is the link officer?") waits in a dialog: the same
person's next message answers it once; "cancel" drops it; after 15 minutes it is forgotten."""

from __future__ import annotations

from datetime import timedelta

from inspection.clock import FixedClock
from tests.e2e.conftest import bot, clock  # noqa: F401  (the harness fixtures)
from tests.fakes.teams import LINK, BotHarness, content

ASK = 'new inspection "Fostering Service" onsite 20 April to 24 April'


async def _asked(bot: BotHarness) -> None:  # noqa: F811
    sent = await bot.say(ASK, where="channel")
    assert "Who is the link officer" in content(sent[0])


async def _answer(bot: BotHarness) -> str:  # noqa: F811
    return bot.texts(await bot.say(f"<at>{LINK.name}</at>", where="channel", mentions=(LINK,)))


async def test_the_answer_finishes_the_command_once(bot: BotHarness) -> None:  # noqa: F811
    await _asked(bot)
    assert "Inspection of Fostering Service stored" in await _answer(bot)
    assert "Inspection of" not in await _answer(bot)  # answered means gone
    assert len(await bot.services.repository.list_all()) == 1


async def test_cancel_drops_the_question(bot: BotHarness) -> None:  # noqa: F811
    await _asked(bot)
    said = bot.texts(await bot.say("cancel", where="channel"))
    assert "stopped waiting for that answer" in said
    assert "Inspection of" not in await _answer(bot)
    assert await bot.services.repository.list_all() == []


async def test_the_question_is_forgotten_after_15_minutes(
    bot: BotHarness,  # noqa: F811
    clock: FixedClock,  # noqa: F811
) -> None:
    await _asked(bot)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert "Inspection of" not in await _answer(bot)
    assert await bot.services.repository.list_all() == []


async def test_a_question_answered_within_15_minutes_is_kept(
    bot: BotHarness,  # noqa: F811
    clock: FixedClock,  # noqa: F811
) -> None:
    await _asked(bot)
    clock.advance(timedelta(minutes=14))
    assert "Inspection of Fostering Service stored" in await _answer(bot)
