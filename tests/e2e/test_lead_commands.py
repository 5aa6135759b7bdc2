"""Lead inspector commands, end to end: Teams JSON in, connector traffic out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from inspection.model import Role
from inspection.notifier import Recipient
from inspection.reminders import ReminderItem
from store.outbox import SqlOutbox
from tests.fakes.teams import (
    CHANNEL_ID,
    DIRECTOR,
    INSPECTOR,
    LEAD,
    LINK,
    OUTSIDER,
    TEAM_ID,
    BotHarness,
    content,
)


async def test_status_in_the_channel(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("status", where="channel")
    assert len(sent) == 1
    text = content(sent[0])
    assert "Status: Children's Residential Service" in text
    assert "Checklist" in text and "Information requests" in text
    # Monday 2 March 2026: the next milestone is the documents deadline (10 working days).
    assert "Next deadlines" in text
    assert sent[0].conversation_id.startswith(CHANNEL_ID)


async def test_slash_status_in_a_personal_chat_for_the_link_officer(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("/status", as_=LINK)
    assert "Status: Children's Residential Service" in content(sent[0])


async def test_timeline_shows_past_and_next(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("timeline", where="channel")
    text = content(sent[0])
    assert "Timeline: Children's Residential Service" in text
    assert "[done]" in text  # notice given 23 Feb is past on 2 March
    assert "[next]" in text
    assert "Mon 23 Mar 2026" in text


async def test_outsider_sees_nothing_from_a_personal_chat(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("status", as_=OUTSIDER)
    text = content(sent[0])
    assert "don't have a role in any open inspection" in text
    assert "Residential" not in text


async def test_link_officer_cannot_move_onsite(bot: BotHarness) -> None:
    inspection = await bot.inspection()
    sent = await bot.say("move onsite 30 March to 3 April", as_=LINK, where="channel")
    text = content(sent[0])
    assert "Only the lead inspector can use `move onsite`" in text
    assert "you are the link officer" in text
    stored = await bot.services.repository.get(inspection.id or 0)
    assert stored.onsite_start == date(2026, 3, 23)


async def test_move_onsite_replans(bot: BotHarness) -> None:
    inspection = await bot.inspection()
    sent = await bot.say("move onsite 13 April to 17 April", where="channel")
    text = content(sent[0])
    assert "On site is now Mon 13 Apr 2026 to Fri 17 Apr 2026" in text
    stored = await bot.services.repository.get(inspection.id or 0)
    assert (stored.onsite_start, stored.onsite_end) == (date(2026, 4, 13), date(2026, 4, 17))


async def test_move_onsite_bad_dates_are_explained(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("move onsite soonish", where="channel")
    assert "not two dates I understand" in content(sent[0])
    sent = await bot.say("move onsite 31 February to 3 March", where="channel")
    assert "not a real date" in content(sent[0])
    sent = await bot.say("move onsite", where="channel")
    assert "give the new on-site dates" in content(sent[0])
    # 6 April 2026 is Easter Monday, a Jersey bank holiday.
    sent = await bot.say("move onsite 6 April to 10 April", where="channel")
    assert "not a working day (Easter Monday)" in content(sent[0])


async def test_notice_given_and_draft_sent(bot: BotHarness) -> None:
    inspection = await bot.inspection(notice=None)
    sent = await bot.say("notice given last Friday", where="channel")
    assert "Recorded: notice given on Fri 27 Feb 2026" in content(sent[0])
    sent = await bot.say("draft sent tomorrow", where="channel")
    assert "is in the future" in content(sent[0])
    sent = await bot.say("draft sent yesterday", where="channel")
    assert "Recorded: draft report sent on Sun 01 Mar 2026" in content(sent[0])
    stored = await bot.services.repository.get(inspection.id or 0)
    assert stored.actuals == {"notice": date(2026, 2, 27), "draft_sent": date(2026, 3, 1)}


async def test_new_inspection_one_line_form_resolves_mentions(bot: BotHarness) -> None:
    sent = await bot.say(
        'new inspection "Fostering Service" onsite 20 April to 22 April focused '
        f"notice 2 March link officer <at>{LINK.name}</at> director <at>{DIRECTOR.name}</at> "
        f"team <at>{INSPECTOR.name}</at>",
        where="other-channel",
        mentions=(LINK, DIRECTOR, INSPECTOR),
    )
    text = bot.texts(sent)
    assert "Inspection of Fostering Service stored" in text
    assert "This channel is now the inspection's channel." in text
    found = await bot.services.repository.by_channel("19:another-channel@thread.tacv2")
    assert found is not None
    assert found.inspection_type == "focused"
    assert found.notice_date == date(2026, 3, 2)
    roles = {(m.aad_object_id, m.role.value) for m in found.members}
    # The Entra ids came from the connector's member look-up (TeamsInfo.get_member).
    assert roles == {
        (LEAD.aad_object_id, "lead_inspector"),
        (LINK.aad_object_id, "link_officer"),
        (DIRECTOR.aad_object_id, "director"),
        (INSPECTOR.aad_object_id, "inspector"),
    }
    assert found.channel is not None and found.channel.team_id == TEAM_ID
    # The welcome card lists the required documents.
    assert "Required documents" in text


async def test_new_inspection_form_errors(bot: BotHarness) -> None:
    sent = await bot.say('new inspection "X" onsite 20 April to 24 April', where="channel")
    assert "Who is the link officer" in content(sent[0])
    sent = await bot.say("status", where="channel")  # another command: the question lapses
    sent = await bot.say(
        'new inspection "X" onsite 20 April to 24 April link officer Sam', where="channel"
    )
    assert "@mention the link officer" in content(sent[0])
    stranger = type(LINK)("29:1nobody", "00000000-0000-4000-8000-0000000000ff", "Test Nobody")
    sent = await bot.say(
        f'new inspection "X" onsite 20 April to 24 April link officer <at>{stranger.name}</at>',
        where="channel",
        mentions=(stranger,),
    )
    assert "couldn't find Test Nobody in this team" in content(sent[0])
    assert await bot.services.repository.list_all() == []


async def test_new_inspection_without_args_shows_the_form(bot: BotHarness) -> None:
    sent = await bot.say("new inspection")
    assert sent[0].cards and sent[0].cards[0]["body"][0]["text"] == "New inspection"
    pickers = [b for b in sent[0].cards[0]["body"] if "choices.data" in b]
    assert [p["id"] for p in pickers] == ["link_officer", "director", "team"]
    assert pickers[0]["choices.data"]["dataset"] == "graph.microsoft.com/users"


async def test_new_inspection_card_submit_and_tampering(bot: BotHarness) -> None:
    sent = await bot.submit(
        {
            "action": "new_inspection_form",
            "kind": "jcc-children-social-care/full",
            "service": "Short Breaks Service",
            "onsite_start": "2026-04-20",
            "onsite_end": "2026-04-24",
            "link_officer": LINK.aad_object_id,
            "team": f"{INSPECTOR.aad_object_id},{DIRECTOR.aad_object_id}",
        }
    )
    assert "Inspection of Short Breaks Service stored" in bot.texts(sent)
    [stored] = await bot.services.repository.list_all()
    assert {(m.aad_object_id, m.role.value) for m in stored.members} == {
        (LEAD.aad_object_id, "lead_inspector"),
        (LINK.aad_object_id, "link_officer"),
        (INSPECTOR.aad_object_id, "inspector"),
        (DIRECTOR.aad_object_id, "inspector"),
    }
    base = {
        "action": "new_inspection_form",
        "kind": "jcc-children-social-care/full",
        "service": "X",
        "onsite_start": "2026-04-20",
        "onsite_end": "2026-04-24",
    }
    sent = await bot.submit(base)
    assert "choose the link officer" in bot.texts(sent)
    sent = await bot.submit({**base, "link_officer": "'; DROP TABLE inspections"})
    assert "not valid (link_officer)" in bot.texts(sent)
    sent = await bot.submit({**base, "link_officer": LINK.aad_object_id, "onsite_end": "soon"})
    assert "'soon' is not a date" in bot.texts(sent)
    sent = await bot.submit(
        {
            "action": "new_inspection_form",
            "kind": "no-such-framework/full",
            "service": "X",
            "onsite_start": "2026-04-20",
            "onsite_end": "2026-04-24",
            "link_officer": LINK.aad_object_id,
        }
    )
    assert "unknown framework 'no-such-framework'" in bot.texts(sent)
    # The form card is replaced in place with the error on it.
    assert sent[0].method == "PUT"
    sent = await bot.submit({"action": "new_inspection_form", "kind": ["x"], "service": 3})
    assert "not valid (kind)" in bot.texts(sent)


async def test_several_inspections_ask_which_and_remember(bot: BotHarness) -> None:
    first = await bot.inspection(service_name="Service One")
    await bot.inspection(service_name="Service Two", channel_id="19:second@thread.tacv2")
    sent = await bot.say("status", as_=LINK)
    assert "Which inspection?" in content(sent[0])
    sent = await bot.submit(
        {"action": "choose_inspection", "inspection_id": str(first.id), "then": "status"},
        as_=LINK,
    )
    text = bot.texts(sent)
    assert "This chat is now about Service One" in text
    assert "Status: Service One" in text
    sent = await bot.say("timeline", as_=LINK)
    assert "Timeline: Service One" in content(sent[0])


async def test_choice_card_tampered_with_is_refused(bot: BotHarness) -> None:
    first = await bot.inspection(
        service_name="Service One", members=(LEAD.member(Role.LEAD_INSPECTOR),)
    )
    sent = await bot.submit(
        {"action": "choose_inspection", "inspection_id": str(first.id)}, as_=OUTSIDER
    )
    assert "You don't have a role in that inspection" in bot.texts(sent)
    sent = await bot.submit({"action": "choose_inspection", "inspection_id": "DROP TABLE"})
    assert "not valid (inspection_id)" in bot.texts(sent)
    sent = await bot.submit({"action": "no-such-button"})
    assert "That button is not one I know" in bot.texts(sent)


async def test_group_chat_and_another_channel_use_the_users_one_inspection(
    bot: BotHarness,
) -> None:
    await bot.inspection(service_name="Service One")
    # Everyone in the chat is in the inspection: the answer stays in the chat.
    bot.connector.members.pop(OUTSIDER.teams_id)
    sent = await bot.say("status", as_=DIRECTOR, where="groupChat")
    assert "Status: Service One" in content(sent[0])
    assert sent[0].conversation_id == "19:group-chat@thread.v2"
    # Somebody without a role sees nothing, wherever they ask.
    for where in ("groupChat", "other-channel", "personal"):
        sent = await bot.say("status", as_=OUTSIDER, where=where)  # type: ignore[arg-type]
        assert "Service One" not in bot.texts(sent)


async def test_shared_conversations_with_outsiders_get_a_private_answer(
    bot: BotHarness,
) -> None:
    await bot.inspection(service_name="Service One")
    # The other channel's team includes someone outside the inspection.
    sent = await bot.say("timeline", as_=LINK, where="other-channel")
    public, private = [c for c in sent if c.path != "/v3/conversations"]
    assert "so I've answered you in our personal chat" in content(public)
    assert "Service One" not in content(public).split("inspection of")[0]
    assert "Timeline: Service One" in content(private)
    assert not private.conversation_id.startswith("19:")  # a new 1:1 conversation
    created = [c for c in bot.connector.calls if c.path == "/v3/conversations"]
    assert created and created[0].body.get("isGroup") is False
    assert created[0].body["members"] == [{"id": LINK.teams_id}]


async def test_switch_inspection_offers_the_choice_again(bot: BotHarness) -> None:
    await bot.inspection(service_name="Service One")
    await bot.inspection(service_name="Service Two", channel_id="19:second@thread.tacv2")
    sent = await bot.say("switch inspection", as_=LINK)
    card = sent[0].cards[0]
    choices = card["body"][2]["choices"]
    assert [c["title"].split(" (")[0] for c in choices] == ["Service One", "Service Two"]


async def test_new_inspection_asks_for_a_missing_link_officer(bot: BotHarness) -> None:
    sent = await bot.say(
        'new inspection "Fostering Service" onsite 20 April to 24 April', where="other-channel"
    )
    assert "Who is the link officer" in content(sent[0])
    assert "mention me and them" in content(sent[0])
    # Someone else's message is not taken as the answer.
    sent = await bot.say(
        f"<at>{LINK.name}</at>", as_=INSPECTOR, where="other-channel", mentions=(LINK,)
    )
    assert "Inspection of" not in bot.texts(sent)
    sent = await bot.say(f"<at>{LINK.name}</at>", where="other-channel", mentions=(LINK,))
    assert "Inspection of Fostering Service stored" in bot.texts(sent)
    [stored] = await bot.services.repository.list_all()
    assert stored.link_officer is not None
    assert stored.link_officer.aad_object_id == LINK.aad_object_id


async def test_status_shows_inspectors_the_reminders_teams_would_not_take(
    bot: BotHarness,
) -> None:
    inspection = await bot.inspection()
    assert bot.services.outbox is not None
    outbox = SqlOutbox(bot.services.database)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    item = ReminderItem(
        key="k-documents-due",
        inspection_id=inspection.stored_id,
        rule="documents_due",
        subject="documents_due",
        title="Required documents due",
        source="7.2",
        deadline=date(2026, 3, 9),
        due_on=date(2026, 3, 2),
        due_at=now,
        useful_until=now + timedelta(days=1),
        recipient=Recipient.person(inspection.stored_id, LINK.aad_object_id),
        role="reminder",
        line="Required documents are due in 5 working days",
        step="in 5 working days",
    )
    assert await outbox.claim(
        inspection.stored_id, [item], now=now, token="t", lease=timedelta(minutes=10)
    ) == {"k-documents-due"}
    await outbox.mark_failed(
        ["k-documents-due"], token="t", now=now, detail="502 Bad Gateway",
        retry_at=now + timedelta(hours=1),
    )  # fmt: skip

    lead_view = content((await bot.say("status", where="channel"))[0])
    assert "Reminders not delivered" in lead_view and "502 Bad Gateway" in lead_view
    # Named as people know them, not by their directory id.
    assert f"Not delivered to {LINK.name}" in lead_view
    assert LINK.aad_object_id not in lead_view
    link_view = content((await bot.say("status", as_=LINK))[0])
    assert "not delivered" not in link_view.lower()
