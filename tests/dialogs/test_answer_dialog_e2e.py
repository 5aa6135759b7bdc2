"""The answer dialog through the real aiohttp app, with Teams-shaped activities: it asks for
what is missing, records through the request log, can be cancelled or interrupted, and keeps
its place across a restart (a new app on the same database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from inspection.clock import FixedClock
from inspection.requests import RequestLog, RequestStatus
from tests.dialogs.conftest import Apps
from tests.fakes.request_log import FakeWorkspace
from tests.fakes.teams import DIRECTOR, INSPECTOR, LEAD, LINK, OUTSIDER, BotHarness, content

PDF = b"%PDF-1.4 synthetic minutes for CR-104233\n%%EOF\n"


@pytest.fixture
async def files_server() -> AsyncIterator[TestServer]:
    """Where Teams would serve a file attached in a personal chat (its downloadUrl)."""

    async def download(request: web.Request) -> web.Response:
        return web.Response(body=PDF, content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/download/{name}", download)
    server = TestServer(app)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


def _log(bot: BotHarness) -> RequestLog:
    service = bot.services.requests
    assert isinstance(service, RequestLog)
    return service


def _with_file(payload: dict[str, Any], server: TestServer, name: str) -> dict[str, Any]:
    payload["attachments"] = [
        # Teams' own HTML copy of the message comes first; it is not a file.
        {"contentType": "text/html", "content": "<p>see attached</p>"},
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "contentUrl": f"https://tenant-my.sharepoint.example/personal/link/{name}",
            "name": name,
            "content": {
                "downloadUrl": str(server.make_url(f"/download/{name}")),
                "uniqueId": "0c1e3c79-6e4b-4f2a-9a1e-0123456789ab",
                "fileType": "pdf",
            },
        },
    ]
    return payload


async def _two_requests(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Minutes of the strategy discussion for CR-104233", where="channel")
    await bot.say("request Supervision records for CR-3003 due Friday", where="channel")


async def test_answered_without_text_asks_for_it_then_files_then_confirms(
    bot: BotHarness, files_server: TestServer
) -> None:
    await _two_requests(bot)
    directory = FakeWorkspace()
    bot.services.directory = directory  # type: ignore[assignment]
    said = bot.texts(await bot.say("IR-001 is answered", as_=LINK))
    assert "What is the answer to IR-001" in said
    assert "Minutes of the strategy discussion" in said and "see attached" in said
    # Nothing is recorded yet: the sentence itself is not the answer any more.
    assert (await _log(bot).all_requests(1))[0].answers == ()

    payload = _with_file(bot.activity("see attached", as_=LINK), files_server, "minutes.pdf")
    said = bot.texts(await bot.send(payload))
    assert 'Record an answer to IR-001: "see attached" with 1 file(s) (minutes.pdf)?' in said
    said = bot.texts(await bot.say("yes", as_=LINK))
    assert "Recorded an answer to IR-001 with 1 file(s). It is now answered." in said

    request = (await _log(bot).all_requests(1))[0]
    assert request.status is RequestStatus.ANSWERED
    assert [a.text for a in request.answers] == ["see attached"]
    assert request.answers[0].answered_by.aad_object_id == LINK.aad_object_id
    assert [f.name for f in request.files] == ["minutes.pdf"]
    assert [u[2] for u in directory.uploads if u[2].startswith("IR-001")] == ["IR-001 minutes.pdf"]
    # The dialog is over: the next message is an ordinary one.
    assert "I didn't understand" in bot.texts(await bot.say("yes", as_=LINK))


async def test_no_files_is_an_answer_too(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("answer IR-2", as_=DIRECTOR)
    said = bot.texts(await bot.say("The records are in the channel folder", as_=DIRECTOR))
    assert "Any files for IR-002? Attach them now, or say `no files`" in said
    said = bot.texts(await bot.say("the weather is nice", as_=DIRECTOR))
    assert "Attach the file(s) to your next message, or say `no files`" in said
    said = bot.texts(await bot.say("no files", as_=DIRECTOR))
    assert "Record an answer to IR-002" in said and "with no files" in said
    said = bot.texts(await bot.say("yes", as_=DIRECTOR))
    assert "Recorded an answer to IR-002. It is now answered." in said
    request = (await _log(bot).all_requests(1))[1]
    assert request.answers[0].text == "The records are in the channel folder"


async def test_which_request_is_a_choice_of_the_open_ones(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("request Chronology for CR-5005", where="channel")
    await bot.say("withdraw IR-003", where="channel")
    sent = await bot.say("I've answered a request", as_=LINK)
    said = bot.texts(sent)
    assert "Which request are you answering?" in said
    assert "IR-001" in said and "IR-002" in said and "IR-003" not in said
    buttons = [b["value"] for s in sent for b in s.cards[0].get("buttons", [])] if sent else []
    assert sorted(buttons) == ["IR-001", "IR-002"]
    said = bot.texts(await bot.say("IR-9", as_=LINK))
    assert "I didn't catch which request" in said
    said = bot.texts(await bot.say("2", as_=LINK))
    assert "What is the answer to IR-002" in said
    await bot.say("The supervision records are in the folder", as_=LINK)
    await bot.say("no files", as_=LINK)
    said = bot.texts(await bot.say("yes", as_=LINK))
    assert "Recorded an answer to IR-002" in said


async def test_files_without_a_request_ask_which(bot: BotHarness, files_server: TestServer) -> None:
    await _two_requests(bot)
    payload = _with_file(bot.activity("", as_=LINK), files_server, "records.pdf")
    said = bot.texts(await bot.send(payload))
    assert "Which request are you answering?" in said
    said = bot.texts(await bot.say("IR-002", as_=LINK))
    assert "What is the answer to IR-002" in said and "I have 1 file(s) for it" in said
    said = bot.texts(await bot.say("see attached", as_=LINK))
    assert "Record an answer to IR-002" in said and "records.pdf" in said
    await bot.say("yes", as_=LINK)
    request = (await _log(bot).all_requests(1))[1]
    assert [f.name for f in request.files] == ["records.pdf"]


async def test_cancel_mid_way_records_nothing_and_keeps_earlier_answers(
    bot: BotHarness,
) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is partly answered: the first meeting's minutes", as_=LINK)
    await bot.say("IR-001 is answered", as_=LINK)
    said = bot.texts(await bot.say("cancel", as_=LINK))
    assert "Stopped. Nothing new was recorded to IR-001" in said
    request = (await _log(bot).all_requests(1))[0]
    assert [a.text for a in request.answers] == ["the first meeting's minutes"]
    assert request.status is RequestStatus.OPEN
    # Gone: "yes" is not an answer to anything now.
    assert "I didn't understand" in bot.texts(await bot.say("yes", as_=LINK))


async def test_a_command_mid_dialog_ends_it_and_runs(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("answer", as_=LINK)
    sent = await bot.say("requests", as_=LINK)
    said = bot.texts(sent)
    assert "I've stopped the answer (nothing was recorded) to do `requests`" in said
    assert "2 open requests" in said
    assert "I didn't understand" in bot.texts(await bot.say("IR-001", as_=LINK))


async def test_someone_else_in_the_channel_does_not_answer_for_them(bot: BotHarness) -> None:
    await _two_requests(bot)
    said = bot.texts(await bot.say("IR-001 is answered", as_=LINK, where="channel"))
    assert "What is the answer to IR-001" in said
    sent = await bot.say("status", as_=INSPECTOR, where="channel")
    assert "stopped the answer" not in bot.texts(sent)
    said = bot.texts(await bot.say("Minutes are in the folder", as_=LINK, where="channel"))
    assert "Any files for IR-001?" in said


async def test_the_privacy_guard_runs_on_the_typed_answer(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is answered", as_=LINK)
    said = bot.texts(await bot.say("Oliver Smith's interview is in the folder", as_=LINK))
    assert "Not recorded yet" in said and "9.7" in said
    assert "Oliver" not in said  # the warning never repeats the name
    said = bot.texts(await bot.say("The interview of CR-104233 is in the folder", as_=LINK))
    assert "Any files for IR-001?" in said
    await bot.say("no files", as_=LINK)
    await bot.say("yes", as_=LINK)
    request = (await _log(bot).all_requests(1))[0]
    assert request.answers[0].text == "The interview of CR-104233 is in the folder"


async def test_record_anyway_keeps_the_flagged_text(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is answered", as_=LINK)
    await bot.say("Oliver Smith's interview is in the folder", as_=LINK)
    said = bot.texts(await bot.say("record anyway", as_=LINK))
    assert "Any files for IR-001?" in said
    await bot.say("no files", as_=LINK)
    said = bot.texts(await bot.say("no", as_=LINK))
    assert "Nothing was recorded for IR-001" in said
    assert (await _log(bot).all_requests(1))[0].answers == ()


async def test_the_one_liner_still_needs_no_dialog(bot: BotHarness) -> None:
    await _two_requests(bot)
    said = bot.texts(await bot.say("IR-001 is answered, minutes in the folder", as_=LINK))
    assert "Recorded an answer to IR-001. It is now answered." in said


async def test_a_closed_request_is_refused_before_any_question(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("withdraw IR-002", where="channel")
    said = bot.texts(await bot.say("IR-002 is answered", as_=LINK))
    assert "IR-002 is withdrawn; it needs no answer" in said
    assert "I didn't understand" in bot.texts(await bot.say("yes", as_=LINK))


async def test_a_restart_between_two_turns_keeps_the_dialog(
    apps: Apps, files_server: TestServer
) -> None:
    first = await apps.start()
    await _two_requests(first)
    said = first.texts(await first.say("IR-001 is answered", as_=LINK))
    assert "What is the answer to IR-001" in said
    await apps.stop(first)

    second = await apps.start()  # a restart (or the other instance)
    payload = _with_file(second.activity("see attached", as_=LINK), files_server, "m.pdf")
    said = second.texts(await second.send(payload))
    assert "Record an answer to IR-001" in said and "m.pdf" in said
    third = await apps.start()  # and the confirmation reaches yet another instance
    said = third.texts(await third.say("yes", as_=LINK))
    assert "Recorded an answer to IR-001 with 1 file(s)" in said
    assert [f.name for f in (await _log(third).all_requests(1))[0].files] == ["m.pdf"]


async def test_the_new_inspection_follow_up_survives_a_restart(
    apps: Apps, clock: FixedClock
) -> None:
    first = await apps.start()
    sent = await first.say(
        'new inspection "Fostering Service" onsite 20 April to 24 April', where="other-channel"
    )
    assert "Who is the link officer" in content(sent[0])
    await apps.stop(first)
    second = await apps.start()
    said = second.texts(
        await second.say(f"<at>{LINK.name}</at>", where="other-channel", mentions=(LINK,))
    )
    assert "Inspection of Fostering Service stored" in said


async def test_the_follow_up_expires_after_15_minutes(apps: Apps, clock: FixedClock) -> None:
    bot = await apps.start()
    await bot.say('new inspection "Fostering Service" onsite 20 April to 24 April', where="channel")
    clock.advance(timedelta(minutes=16))
    said = bot.texts(await bot.say(f"<at>{LINK.name}</at>", where="channel", mentions=(LINK,)))
    assert "Inspection of Fostering Service stored" not in said
    assert await bot.services.repository.list_all() == []


async def test_cancel_stops_a_waiting_follow_up(bot: BotHarness) -> None:
    await bot.say('new inspection "Fostering Service" onsite 20 April to 24 April', where="channel")
    said = bot.texts(await bot.say("cancel", where="channel"))
    assert "stopped waiting" in said
    sent = await bot.say(f"<at>{LINK.name}</at>", where="channel", mentions=(LINK,))
    assert "Inspection of Fostering Service stored" not in bot.texts(sent)
    assert LEAD.name  # the lead inspector asked; nothing was stored
    assert await bot.services.repository.list_all() == []


async def test_in_a_chat_with_outsiders_the_dialog_moves_to_the_personal_chat(
    bot: BotHarness,
) -> None:
    await _two_requests(bot)
    sent = await bot.say("IR-001 is answered", as_=LINK, where="groupChat")
    public = [s for s in sent if s.conversation_id == "19:group-chat@thread.v2"]
    private = [s for s in sent if s not in public]
    assert "answered you in our personal chat" in bot.texts(public)
    assert "Minutes of the strategy discussion" not in bot.texts(public)  # 9.7
    assert "What is the answer to IR-001" in bot.texts(private)
    personal = private[-1].conversation_id
    # The link officer answers in that personal chat: the dialog is there, waiting.
    payload = bot.activity("Minutes are in the channel folder", as_=LINK)
    payload["conversation"]["id"] = personal
    assert "Any files for IR-001?" in bot.texts(await bot.send(payload))
    # Nothing is waiting in the group chat.
    said = bot.texts(await bot.say("no files", as_=LINK, where="groupChat"))
    assert "Record an answer" not in said


async def test_a_card_button_mid_dialog_runs_and_the_dialog_waits(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is answered", as_=LINK)
    sent = await bot.submit({"action": "request_show", "request": "IR-002"}, as_=LINK)
    assert "Supervision records for CR-3003" in bot.texts(sent)
    said = bot.texts(await bot.say("Minutes are in the folder", as_=LINK))
    assert "Any files for IR-001?" in said


async def test_another_one_liner_while_asked_for_text_runs_instead(bot: BotHarness) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is answered", as_=LINK)
    said = bot.texts(await bot.say("IR-002 is answered, the records are in the folder", as_=LINK))
    assert "I've stopped the answer to IR-001 (nothing was recorded)" in said
    assert "Recorded an answer to IR-002" in said
    first, second = await _log(bot).all_requests(1)
    assert first.answers == () and second.answers[0].text == "the records are in the folder"
    # A command word inside an answer is just the answer.
    await bot.say("IR-001 is answered", as_=LINK)
    said = bot.texts(await bot.say("status report of the meeting is in the folder", as_=LINK))
    assert "Any files for IR-001?" in said


async def test_a_dialog_left_for_hours_is_dropped(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot)
    await bot.say("IR-001 is answered", as_=LINK)
    clock.advance(timedelta(hours=13))
    said = bot.texts(await bot.say("yes", as_=LINK))
    assert "I didn't understand" in said
    assert (await _log(bot).all_requests(1))[0].answers == ()


async def test_i_have_answered_with_a_request_id(bot: BotHarness) -> None:
    await _two_requests(bot)
    said = bot.texts(await bot.say("I've answered IR-2", as_=DIRECTOR))
    assert "What is the answer to IR-002" in said
    await bot.say("cancel", as_=DIRECTOR)
    said = bot.texts(await bot.say("We have responded to IR-001, minutes in the folder", as_=LINK))
    assert "Recorded an answer to IR-001. It is now answered." in said
    assert (await _log(bot).all_requests(1))[0].answers[0].text == "minutes in the folder"


async def test_only_members_may_start_it(bot: BotHarness) -> None:
    await _two_requests(bot)
    said = bot.texts(await bot.say("IR-001 is answered", as_=OUTSIDER))
    assert "You don't have a role in any open inspection" in said
    said = bot.texts(await bot.say("IR-001 is answered", as_=OUTSIDER, where="channel"))
    assert "you don't have a role in it" in said and "What is the answer" not in said
