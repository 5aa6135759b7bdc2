"""`chase`, "Show overdue", "what's due this week", "Snooze 1 day"."""

from __future__ import annotations

from datetime import date, timedelta

from inspection.clock import FixedClock
from inspection.requests import Person
from scheduler.runtime import ReminderScheduler
from tests.fakes.teams import CHANNEL_ID, INSPECTOR, LEAD, LINK, OUTSIDER, BotHarness, content


async def _overdue_request(bot: BotHarness, clock: FixedClock) -> None:
    inspection = await bot.inspection(notice=date(2026, 2, 9))
    assert bot.services.requests is not None
    await bot.services.requests.log(
        inspection.id or 0,
        Person(LEAD.aad_object_id, LEAD.name),
        "Supervision records for the last three months",
        due_on=date(2026, 3, 3),
        confirm=True,
    )
    clock.advance(timedelta(days=3))  # Thursday 5 March: due Tuesday, 2 working days late


async def test_chase_posts_to_the_channel_and_the_link_officer(
    bot: BotHarness, clock: FixedClock
) -> None:
    await _overdue_request(bot, clock)
    await bot.say("help", as_=LINK)  # the link officer has a personal chat with the bot
    sent = await bot.say("chase", as_=INSPECTOR, where="channel")
    texts = bot.texts(sent)
    assert "Chased" in texts and "sent to the channel and Test Link (link officer)" in texts
    # Documents were due ten working days after notice (7.2): every required one is missing.
    cards = [c for c in sent if "Chase:" in content(c)]
    assert {c.conversation_id.split(";")[0] for c in cards} == {
        CHANNEL_ID,
        f"a:1personal-{LINK.teams_id}",
    }
    chase = content(cards[0])
    assert "IR-001: Supervision records" in chase
    assert "2 working day(s) ago" in chase
    assert "Missing: " in chase


async def test_chase_is_for_inspectors_only(bot: BotHarness, clock: FixedClock) -> None:
    await _overdue_request(bot, clock)
    sent = await bot.say("chase", as_=LINK, where="channel")
    assert "Only the lead inspector or inspector can use `chase`" in content(sent[0])


async def test_nothing_overdue_means_no_chase(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("chase", where="channel")
    assert "Nothing is overdue" in content(sent[0])
    assert len(sent) == 1


async def test_show_overdue_button_and_phrasing(bot: BotHarness, clock: FixedClock) -> None:
    await _overdue_request(bot, clock)
    sent = await bot.submit({"action": "show_overdue"}, as_=LINK)
    assert "IR-001" in content(sent[0])
    sent = await bot.say("what's overdue?", as_=LINK)
    assert "IR-001" in content(sent[0])


async def test_whats_due_this_week(bot: BotHarness) -> None:
    inspection = await bot.inspection(notice=date(2026, 2, 23))
    assert bot.services.requests is not None
    await bot.services.requests.log(
        inspection.id or 0,
        Person(LEAD.aad_object_id, LEAD.name),
        "Staff rota for March",
        due_on=date(2026, 3, 4),
        confirm=True,
    )
    sent = await bot.say("What's due this week?", as_=LINK)
    text = content(sent[0])
    assert "from Mon 02 Mar to Sun 08 Mar" in text
    assert "IR-001 Staff rota for March" in text
    sent = await bot.say("anything due next week", as_=LINK)
    assert "Mon 09 Mar to Sun 15 Mar" in content(sent[0])


async def test_snooze_button_without_a_scheduler_says_so(bot: BotHarness) -> None:
    inspection = await bot.inspection()
    data = {
        "action": "snooze_reminders",
        "inspection_id": inspection.id,
        "series": ["documents|all|channel|provider"],
    }
    sent = await bot.submit(data, as_=LINK)
    assert "nothing to snooze" in content(sent[0])
    sent = await bot.submit({**data, "series": "all"}, as_=LINK)
    assert "not valid (series)" in content(sent[0])


async def test_snooze_button_updates_the_card_in_place(bot: BotHarness) -> None:
    inspection = await bot.inspection()
    bot.services.scheduler = ReminderScheduler(bot.services.dispatcher, bot.services.frameworks)
    data = {
        "action": "snooze_reminders",
        "inspection_id": inspection.id,
        "series": ["documents_due|all|channel|provider"],
    }
    sent = await bot.submit(data, as_=LINK, where="channel", reply_to="reminder-card-7")
    assert sent[0].method == "PUT"
    assert sent[0].path.endswith("/activities/reminder-card-7")
    assert "snoozed these reminders until the end of Tue 03 Mar 2026" in content(sent[0])
    # Someone else's personal reminders cannot be snoozed, nor another inspection's.
    other = {**data, "series": [f"documents_due|all|person:{LEAD.aad_object_id}|provider"]}
    sent = await bot.submit(other, as_=LINK)
    assert "not others'" in content(sent[0])
    sent = await bot.submit(data, as_=OUTSIDER)
    assert "only people in this inspection" in content(sent[0])
