"""The checklist through the real app: files dropped into the emulated channel folder reach the
checklist, the channel's checklist card is updated in place (PUT to the connector), questions go
to the link officer as buttons, and the link officer's phrasings map and waive items."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import GRAPH_EMULATOR, SERVICES, create_app
from graph.emulator import GraphEmulator, seed_local
from inspection.clock import FixedClock
from inspection.errors import Unavailable
from inspection.model import Inspection
from inspection.workspace import channel_folders
from scheduler.file_sync import FileSyncPoller
from settings import load_settings
from store.files import SqlFileStore, StoredSubscription
from tests.documents.builders import docx_bytes, staffing_rows, xlsx_bytes
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import DIRECTOR, EVERYONE, LEAD, LINK, BotHarness, Sent, content


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'checklist.db'}")
    app = create_app(
        settings,
        clock=FixedClock(DEFAULT_NOW),
        scheduler=False,
        graph_emulator=tmp_path / "graph-files",
        retry_base_seconds=0.001,
    )
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app)) as client:
            yield BotHarness(client=client, connector=connector, services=app[SERVICES])


async def _inspection(bot: BotHarness) -> Inspection:
    """An inspection whose channel (and its folders) the bot set up through Graph."""
    await bot.say(
        f'new inspection "Fostering Service" onsite 20 April to 24 April notice 2 March '
        f"link officer <at>{LINK.name}</at> director <at>{DIRECTOR.name}</at>",
        where="channel",
        mentions=(LINK, DIRECTOR),
    )
    [inspection] = await bot.services.repository.list_all()
    assert inspection.channel is not None and inspection.channel.drive_id
    return inspection


def _poller(bot: BotHarness) -> FileSyncPoller:
    assert bot.services.file_sync is not None
    return bot.services.file_sync


def _folder(bot: BotHarness, inspection: Inspection) -> Path:
    assert inspection.channel is not None
    emulator = bot.client.app[GRAPH_EMULATOR]
    folder: Path = emulator.channel_folder(inspection.channel.channel_id)
    return folder


def _item_folder(bot: BotHarness, inspection: Inspection, key: str) -> Path:
    framework = bot.services.frameworks.get(inspection.framework)
    name = next(spec.name for spec in channel_folders(framework) if spec.item_key == key)
    return _folder(bot, inspection) / name


async def _in_channel(
    bot: BotHarness, inspection: Inspection, text: str, *, as_: Any = LEAD
) -> list[Sent]:
    """A message in the inspection's own channel (the one Graph made)."""
    assert inspection.channel is not None
    payload = bot.activity(text, as_=as_, where="channel")
    channel_id = inspection.channel.channel_id
    payload["conversation"]["id"] = f"{channel_id};messageid={payload['id']}"
    payload["channelData"]["channel"]["id"] = channel_id
    payload["channelData"]["teamsChannelId"] = channel_id
    payload["channelData"]["team"]["id"] = inspection.channel.team_id
    payload["channelData"]["teamsTeamId"] = inspection.channel.team_id
    return await bot.send(payload)


async def _poll(bot: BotHarness) -> list[Sent]:
    mark = len(bot.connector.calls)
    report = await _poller(bot).poll()
    assert report is not None and not report.failed, report
    return bot.since(mark)


def _puts(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.method == "PUT"]


def _button(sent: Sent, title_starts: str) -> dict[str, Any]:
    for card in sent.cards:
        for action in card.get("actions", []):
            if action["title"].startswith(title_starts):
                data: dict[str, Any] = action["data"]
                return data
    raise AssertionError(f"no button {title_starts!r} in {content(sent)}")


async def test_a_dropped_file_updates_the_channel_card_in_place(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    posted = await _in_channel(bot, inspection, "checklist")
    [card_post] = [s for s in posted if s.cards]
    assert "Document checklist: Fostering Service" in content(card_post)
    assert "Required: 0 of 8 received, 8 missing" in content(card_post)
    assert "it updates itself as files arrive" in bot.texts(posted)
    stored = await bot.services.board.cards.get(inspection.stored_id)
    assert stored is not None

    staffing = _item_folder(bot, inspection, "staffing_data")
    (staffing / "Staffing return Feb 2026.xlsx").write_bytes(
        xlsx_bytes({"Appendix 2": staffing_rows(blank=("Number of unallocated cases",))})
    )
    sent = await _poll(bot)
    [update] = _puts(sent)
    assert update.path.endswith(f"/activities/{stored.activity_id}")
    text = content(update)
    assert "Required: 0 of 8 received, 7 missing, 1 need attention" in text
    assert "Staffing return Feb 2026.xlsx" in text
    assert "Number of unallocated cases" in text  # the content check's problem, in words
    assert not [s for s in sent if s.method == "POST"]  # updated, not re-posted

    # Nothing changed: no update at all.
    assert await _poll(bot) == []

    # A fixed version is read again and settles the item; still the same card.
    (staffing / "Staffing return Feb 2026.xlsx").write_bytes(
        xlsx_bytes({"Appendix 2": staffing_rows()})
    )
    [update] = _puts(await _poll(bot))
    assert update.path.endswith(f"/activities/{stored.activity_id}")
    assert "Required: 1 of 8 received, 7 missing" in content(update)

    # Deleted: back to missing.
    (staffing / "Staffing return Feb 2026.xlsx").unlink()
    [update] = _puts(await _poll(bot))
    assert "Required: 0 of 8 received, 8 missing" in content(update)


async def test_without_a_card_the_first_sync_posts_one(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "help")  # the bot now knows the channel
    (_item_folder(bot, inspection, "organisational_structure") / "Org chart.pdf").write_bytes(
        b"%PDF-1.4 org chart"
    )
    sent = await _poll(bot)
    [post] = [s for s in sent if s.cards]
    assert post.method == "POST"
    assert "Required: 1 of 8 received" in content(post)
    assert await bot.services.board.cards.get(inspection.stored_id) is not None


async def test_an_ambiguous_file_is_asked_in_the_link_officers_chat_and_answered(
    bot: BotHarness,
) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    await bot.say("help", as_=LINK, where="personal")  # the bot can now write to them
    (_folder(bot, inspection) / "Data Nov.xlsx").write_bytes(
        xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]})
    )
    sent = await _poll(bot)
    [question] = [s for s in sent if "Which document is this?" in content(s)]
    assert question.conversation_id == f"a:1personal-{LINK.teams_id}"
    assert "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?" in content(
        question
    )
    data = _button(question, "The Staffing data")
    assert data["item_key"] == "staffing_data"

    answered = await bot.submit(data, as_=LINK, where="personal", reply_to="activity-q")
    reply = next(s for s in answered if s.path.endswith("/activities/activity-q"))
    assert reply.method == "PUT"  # the question card is replaced by the answer
    assert "Recorded: 'Data Nov.xlsx' is the Staffing data" in content(reply)
    [card] = [s for s in _puts(answered) if "Document checklist" in content(s)]
    assert "Data Nov.xlsx" in content(card)
    state = await bot.services.intake.state(inspection)
    assert state.questions == ()

    # Pressing again: already answered, said so.
    again = await bot.submit(data, as_=LINK, where="personal")
    assert "already answered" in bot.texts(again)


async def test_without_a_personal_chat_the_question_goes_to_the_channel_with_a_mention(
    bot: BotHarness,
) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    (_folder(bot, inspection) / "Data Nov.xlsx").write_bytes(
        xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]})
    )
    sent = await _poll(bot)
    [question] = [s for s in sent if "Which document is this?" in content(s)]
    assert question.conversation_id.startswith(inspection.channel.channel_id)  # type: ignore[union-attr]
    assert f"<at>{LINK.name}</at>" in (question.text or "")
    mentions = [e for e in question.body.get("entities") or [] if e.get("type") == "mention"]
    assert len(mentions) == 1


async def test_this_file_is_the_staffing_return(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    (_folder(bot, inspection) / "Data Nov.xlsx").write_bytes(
        xlsx_bytes({"Appendix 2": staffing_rows()})
    )
    for name in ("Notes Nov.docx", "Notes Dec.docx"):
        (_folder(bot, inspection) / name).write_bytes(
            docx_bytes(title="Notes", sections=[("Notes", 1)])
        )
    await _poll(bot)

    # Named exactly: mapped at once, content checked.
    sent = await bot.say("'Data Nov.xlsx' is the staffing return", as_=LINK)
    assert "Recorded: 'Data Nov.xlsx' is the Staffing data (received)" in bot.texts(sent)
    [card] = [s for s in _puts(sent) if "Document checklist" in content(s)]
    assert "Required: 1 of 8 received" in content(card)

    audits = "List of children's cases audited in the last six months"
    # Several files could be meant: which one?
    sent = await bot.say("notes is the case audit list", as_=LINK)
    assert "Several files could be meant" in bot.texts(sent)
    chosen = await bot.submit(_button(sent[0], "Notes Nov.docx"), as_=LINK)
    assert f"Recorded: 'Notes Nov.docx' is the {audits}" in bot.texts(chosen)
    # "this file" with no attachment: the one file not yet placed, confirmed first.
    sent = await bot.say("this file is the case audit list", as_=LINK)
    assert f"Is 'Notes Dec.docx' the {audits}?" in bot.texts(sent)
    confirmed = await bot.submit(_button(sent[0], "Yes"), as_=LINK)
    assert f"Recorded: 'Notes Dec.docx' is the {audits}" in bot.texts(confirmed)
    # "No" changes nothing.
    cancelled = await bot.submit({"action": "checklist_map_cancel", "inspection_id": 1}, as_=LINK)
    assert "nothing changed" in bot.texts(cancelled)

    # An unknown file and an unknown item are explained.
    sent = await bot.say("'Budget.xlsx' is the staffing data", as_=LINK)
    assert "I can't find 'Budget.xlsx' in the inspection channel's Files" in bot.texts(sent)
    sent = await bot.say("'Data Nov.xlsx' is the canteen menu", as_=LINK)
    assert "I don't know a checklist item called 'canteen menu'" in bot.texts(sent)
    # The director may not say what files are.
    sent = await bot.say("'Data Nov.xlsx' is the staffing data", as_=DIRECTOR)
    assert "you are the director" in bot.texts(sent)


async def test_not_applicable_waives_with_the_reason_and_can_be_undone(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    sent = await bot.say(
        "staffing data is not applicable because the service employs no social workers directly",
        as_=LINK,
    )
    text = bot.texts(sent)
    assert (
        "Recorded: Staffing data is not needed (the service employs no social workers directly)"
        in text
    )
    [card] = [s for s in _puts(sent) if "Document checklist" in content(s)]
    assert "Not needed: the service employs no social workers directly" in content(card)
    state = await bot.services.intake.state(inspection)
    waiver = state.item("staffing_data").waiver
    assert waiver is not None and waiver.by == LINK.aad_object_id

    # No reason: asked for one, nothing recorded.
    sent = await bot.say("the self-evaluation report is not needed", as_=LINK)
    assert "Say why the Self-Evaluation Report is not needed" in bot.texts(sent)

    # The director may not waive; the lead inspector may.
    sent = await bot.say("waive self-evaluation report because not changed since last year")
    assert "Recorded: Self-Evaluation Report is not needed" in bot.texts(sent)
    sent = await bot.say("waive case audit list because none", as_=DIRECTOR)
    assert "Only the lead inspector or link officer can use `waive`" in bot.texts(sent)

    # Undo by button and by words.
    waived = await _waive_again(bot)
    undone = await bot.submit(_button(waived, "Undo"), as_=LINK)
    assert "The Staffing data is needed again: missing" in bot.texts(undone)
    sent = await bot.say("undo waiver for self-evaluation report", as_=LEAD)
    assert "needed again" in bot.texts(sent)
    sent = await bot.say("unwaive self-evaluation report", as_=LEAD)
    assert "was not waived; nothing to undo" in bot.texts(sent)


async def _waive_again(bot: BotHarness) -> Sent:
    sent = await bot.say("waive staffing data: no social workers employed", as_=LINK)
    return next(s for s in sent if s.cards and "not needed" in content(s))


async def test_whats_outstanding_lists_missing_documents(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    (_item_folder(bot, inspection, "organisational_structure") / "Org chart.pdf").write_bytes(
        b"%PDF-1.4 org chart"
    )
    await _poll(bot)
    sent = await bot.say("what's outstanding?", as_=LINK)
    text = bot.texts(sent)
    assert "7 required document(s) missing" in text
    assert "Self-evaluation report (7.2): missing" in text or "missing" in text
    assert "Organisational" not in text.split("Outstanding")[-1]
    assert "Information requests: 0 open, 0 overdue" in text
    # `checklist` in a personal chat: the card itself.
    sent = await bot.say("checklist", as_=LINK)
    assert "Required: 1 of 8 received, 7 missing" in bot.texts(sent)


async def test_moving_onsite_checks_the_meeting_dates_again(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    meetings = docx_bytes(
        title="Meetings during the inspection",
        sections=[("Introduction", 1)],
        tables=[
            [
                ["Date", "Time", "Meeting", "Venue", "Chair"],
                ["21 April 2026", "10:00", "Improvement Board", "Room 2", "Chair A"],
            ]
        ],
        stored_pages=2,
    )
    (_item_folder(bot, inspection, "onsite_meetings") / "Meetings.docx").write_bytes(meetings)
    await _poll(bot)
    state = await bot.services.intake.state(inspection)
    assert state.item("onsite_meetings").status.value == "received"

    sent = await _in_channel(bot, inspection, "move onsite 11 May to 15 May")
    text = bot.texts(sent)
    assert "On site is now" in text
    assert "I checked the documents again against the new dates" in text
    assert "needs attention" in text
    [card] = [s for s in _puts(sent) if "Document checklist" in content(s)]
    assert "outside the on-site period" in content(card)

    # Recording notice checks them again too; the same dates give the same result.
    sent = await _in_channel(bot, inspection, "notice given 27 February")
    assert "Recorded: notice given on Fri 27 Feb 2026" in bot.texts(sent)
    assert "I checked the documents again against the new dates" in bot.texts(sent)
    # A command that moves no date checks nothing again.
    sent = await _in_channel(bot, inspection, "timeline")
    assert "checked the documents again" not in bot.texts(sent)


async def test_sync_files_command_and_tampered_buttons(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    sent = await _in_channel(bot, inspection, "sync files")
    assert "No new or changed files" in bot.texts(sent)
    (_item_folder(bot, inspection, "organisational_structure") / "Org chart.pdf").write_bytes(
        b"%PDF-1.4 org chart"
    )
    sent = await _in_channel(bot, inspection, "sync files")
    assert "Checked: '01 " in bot.texts(sent)
    sent = await bot.say("sync files", as_=DIRECTOR)
    assert "you are the director" in bot.texts(sent)

    for data in (
        {"action": "checklist_answer", "inspection_id": "x", "file_id": "f", "item_key": "y"},
        {"action": "checklist_answer", "inspection_id": inspection.id, "file_id": "nope"},
        {"action": "checklist_waive", "inspection_id": 999, "item_key": "x", "reason": "r"},
        {"action": "checklist_refresh", "inspection_id": inspection.id},
    ):
        sent = await bot.submit(data, as_=LINK)
        assert sent and bot.texts(sent)
    outsider = await bot.submit(
        {"action": "checklist_refresh", "inspection_id": inspection.id}, as_=EVERYONE[-1]
    )
    assert "don't have a role in that inspection" in bot.texts(outsider)


async def test_a_sync_whose_recording_failed_is_caught_up_on_the_next_poll(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    intake = bot.services.intake
    real = intake.record_sync

    async def database_down(*_args: Any) -> Any:
        raise Unavailable("the database is not answering")

    monkeypatch.setattr(intake, "record_sync", database_down)
    (_item_folder(bot, inspection, "organisational_structure") / "Org chart.pdf").write_bytes(
        b"%PDF-1.4 org chart"
    )
    poller = _poller(bot)
    report = await poller.poll()
    assert report is not None and inspection.id in report.failed
    # The delta sync itself went through, so the next sync brings nothing new: the checklist
    # catches up from what the sync recorded of the channel.
    monkeypatch.setattr(intake, "record_sync", real)
    sent = await _poll(bot)
    [update] = _puts(sent)
    assert "Required: 1 of 8 received" in content(update)
    assert "Org chart.pdf" in content(update)


async def test_polling_is_skipped_while_notifications_are_fresh(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    poller = _poller(bot)

    async def subscribed(_inspection_id: int) -> bool:
        return True

    poller._has_subscription = subscribed
    first = await poller.poll()
    assert first is not None and first.synced == [inspection.id]
    second = await poller.poll()
    assert second is not None and second.skipped == [inspection.id] and second.synced == []
    # Notifications may have been lost: once the last sync is stale, poll again.
    clock = bot.services.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() + timedelta(minutes=31))
    third = await poller.poll()
    assert third is not None and third.synced == [inspection.id]


async def test_this_file_with_the_file_attached_in_the_channel(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    # Shared with the message: Teams put it in the channel's Files; no sync has seen it yet.
    (_folder(bot, inspection) / "Return Feb.xlsx").write_bytes(
        xlsx_bytes({"Appendix 2": staffing_rows()})
    )
    assert inspection.channel is not None
    payload = bot.activity("this file is the staffing return", as_=LINK, where="channel")
    channel_id = inspection.channel.channel_id
    payload["conversation"]["id"] = f"{channel_id};messageid={payload['id']}"
    payload["channelData"]["channel"]["id"] = channel_id
    payload["channelData"]["team"]["id"] = inspection.channel.team_id
    payload["attachments"] = [
        {
            "contentType": "reference",
            "contentUrl": "https://example.invalid/sites/inspection/Return%20Feb.xlsx",
            "name": "Return Feb.xlsx",
        }
    ]
    sent = await bot.send(payload)
    assert "Recorded: 'Return Feb.xlsx' is the Staffing data (received)" in bot.texts(sent)
    state = await bot.services.intake.state(inspection)
    assert [f.path for f in state.item("staffing_data").files] == ["Return Feb.xlsx"]


async def test_a_burst_of_questions_is_a_few_cards_and_one_summary(bot: BotHarness) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    await bot.say("help", as_=LINK, where="personal")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul")
    for month in months:
        (_folder(bot, inspection) / f"Data {month}.xlsx").write_bytes(
            xlsx_bytes({month: [["Measure", "Value"], ["Total", 1]]})
        )
    sent = await _poll(bot)
    to_link = [s for s in sent if s.conversation_id == f"a:1personal-{LINK.teams_id}"]
    questions = [s for s in to_link if "Which document is this?" in content(s)]
    assert len(questions) == 4
    [summary] = [s for s in to_link if "more questions" in content(s)]
    assert "I have 3 more questions about files I couldn't place" in content(summary)
    state = await bot.services.intake.state(inspection)
    assert len(state.questions) == len(months)  # all still open, listed on the card


async def test_a_sync_run_elsewhere_reaches_the_checklist_within_the_hour(
    bot: BotHarness,
) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    await _poll(bot)
    (_item_folder(bot, inspection, "organisational_structure") / "Org chart.pdf").write_bytes(
        b"%PDF-1.4 org chart"
    )
    # `inspection-bot sync-files` in another process: the delta moves on, no listener ran.
    assert inspection.id is not None and inspection.channel is not None
    result = await bot.services.directory.sync_files(inspection.id, inspection.channel)  # type: ignore[union-attr]
    assert result.changed
    assert _puts(await _poll(bot)) == []
    clock = bot.services.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() + timedelta(minutes=61))
    [update] = _puts(await _poll(bot))
    assert "Required: 1 of 8 received" in content(update)


SECRET = "a-client-state-secret-of-32-chars"


async def test_a_graph_change_notification_updates_the_card(tmp_path: Path) -> None:
    """Real Graph mode (GRAPH_TEAM_ID set; the emulator plays Graph): a change notification
    runs the sync in the background and the checklist hears of it."""
    emulator = GraphEmulator(tmp_path / "graph", private_provisioning_404s=0)
    team = seed_local(emulator)
    await emulator.start()
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'graph.db'}",
        GRAPH_BASE_URL=emulator.base_url,
        GRAPH_TEAM_ID=team.id,
        GRAPH_CLIENT_STATE=SECRET,
    )
    app = create_app(settings, clock=FixedClock(DEFAULT_NOW), scheduler=False)
    try:
        async with FakeConnector() as connector:
            for person in EVERYONE:
                connector.add_member(
                    person.teams_id, person.aad_object_id, person.name, person.email
                )
            async with TestClient(TestServer(app)) as client:
                bot = BotHarness(client=client, connector=connector, services=app[SERVICES])
                inspection = await _inspection(bot)
                assert inspection.id is not None and inspection.channel is not None
                await _in_channel(bot, inspection, "checklist")
                card = await bot.services.board.cards.get(inspection.stored_id)
                assert card is not None
                files = SqlFileStore(bot.services.database)
                await files.save_subscription(
                    StoredSubscription(
                        "sub-1",
                        inspection.id,
                        f"/drives/{inspection.channel.drive_id}/root",
                        DEFAULT_NOW + timedelta(days=2),
                        DEFAULT_NOW,
                    )
                )
                folder = emulator.channel_folder(inspection.channel.channel_id)
                (folder / "01 Organisational structures" / "Org chart.pdf").write_bytes(
                    b"%PDF-1.4 org chart"
                )
                mark = len(connector.calls)
                response = await client.post(
                    "/api/notifications",
                    json={
                        "value": [
                            {
                                "subscriptionId": "sub-1",
                                "clientState": SECRET,
                                "changeType": "updated",
                                "resource": f"/drives/{inspection.channel.drive_id}/root",
                            }
                        ]
                    },
                )
                assert response.status == 202
                for _ in range(400):  # the sync runs in the background after the 202
                    if _puts(bot.since(mark)):
                        break
                    await asyncio.sleep(0.02)
                [update] = _puts(bot.since(mark))
                assert update.path.endswith(f"/activities/{card.activity_id}")
                assert "Required: 1 of 8 received" in content(update)
    finally:
        await emulator.stop()


async def test_this_file_means_the_file_asked_about_and_not_a_document_is_heard(
    bot: BotHarness,
) -> None:
    inspection = await _inspection(bot)
    await _in_channel(bot, inspection, "checklist")
    (_folder(bot, inspection) / "Data Nov.xlsx").write_bytes(
        xlsx_bytes({"Nov": [["Measure", "Value"], ["Total", 123]]})
    )
    (_folder(bot, inspection) / "Parking at the office.pdf").write_bytes(b"%PDF-1.4 parking")
    await _poll(bot)
    # One open question: "this file" is the file it is about; confirmed before mapping.
    sent = await bot.say("this file is the child level data", as_=LINK)
    assert "Is 'Data Nov.xlsx' the Child-level data lists?" in bot.texts(sent)
    done = await bot.submit(_button(sent[0], "Yes"), as_=LINK)
    assert "Recorded: 'Data Nov.xlsx' is the Child-level data lists" in bot.texts(done)
    state = await bot.services.intake.state(inspection)
    assert state.questions == ()

    sent = await bot.say("'Parking at the office.pdf' is not a checklist document", as_=LINK)
    assert "Recorded: 'Parking at the office.pdf' is not one of the checklist documents" in (
        bot.texts(sent)
    )
    # Questions and unrelated sentences are not taken for "X is the Y".
    sent = await bot.say("what is the deadline for the staffing data?", as_=LINK)
    assert "Recorded" not in bot.texts(sent)
    sent = await bot.say("the weather is the best today", as_=LINK)
    assert "I didn't understand" in bot.texts(sent)
