"""Information requests through the real bot (issue 5): log by command and by message action,
answer with an attachment in a personal chat, accept, follow up, export (workbook checked cell by
cell), with the role rules and the privacy guard on the way."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook

from inspection.request_export import LOG_FILE_NAME, LogPublisher
from inspection.requests import RequestLog, RequestStatus
from inspection.workspace import INFORMATION_REQUESTS_FOLDER
from tests.fakes.request_log import FakeWorkspace
from tests.fakes.teams import DIRECTOR, INSPECTOR, LEAD, LINK, BotHarness, content
from tests.payloads import load

PDF = b"%PDF-1.4 synthetic minutes for CR-104233\n%%EOF\n"


@pytest.fixture
async def files_server() -> AsyncIterator[TestServer]:
    """Where Teams would serve a file a person attached in a personal chat (downloadUrl)."""

    async def download(request: web.Request) -> web.Response:
        if request.match_info["name"] == "missing.pdf":
            return web.Response(status=404)
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


def _publisher(bot: BotHarness) -> LogPublisher:
    assert bot.services.log_publisher is not None
    return bot.services.log_publisher


def _directory(bot: BotHarness) -> FakeWorkspace:
    """The harness's stand-in for Graph (the `graph_bot` fixture)."""
    directory = bot.services.directory
    assert isinstance(directory, FakeWorkspace)
    return directory


def _with_file(payload: dict[str, Any], server: TestServer, name: str) -> dict[str, Any]:
    payload["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "contentUrl": f"https://tenant-my.sharepoint.example/personal/link/{name}",
            "name": name,
            "content": {
                "downloadUrl": str(server.make_url(f"/download/{name}")),
                "uniqueId": "0c1e3c79-6e4b-4f2a-9a1e-0123456789ab",
                "fileType": "pdf",
            },
        }
    ]
    return payload


async def _invoke(bot: BotHarness, payload: dict[str, Any]) -> tuple[int, Any, list[Any]]:
    mark = len(bot.connector.calls)
    status, body = await bot.post(payload)
    return status, body, bot.since(mark)


def _message_action(bot: BotHarness, html: str, *, as_: Any = LEAD) -> dict[str, Any]:
    payload = load("invoke_action")
    base = bot.activity(None, as_=as_, where="channel")
    for key in ("conversation", "from", "channelData", "serviceUrl"):
        payload[key] = base[key]
    payload["name"] = "composeExtension/submitAction"
    payload["value"] = {
        "commandId": "log_message_as_request",
        "commandContext": "message",
        "data": {},
        "messagePayload": {
            "id": "1772441000123",
            "messageType": "message",
            "linkToMessage": "https://teams.microsoft.com/l/message/19:inspection-channel/1772441000123",
            "body": {"contentType": "html", "content": html},
            "from": {
                "user": {
                    "id": INSPECTOR.teams_id,
                    "aadObjectId": INSPECTOR.aad_object_id,
                    "displayName": INSPECTOR.name,
                }
            },
        },
    }
    return payload


async def test_log_by_command_in_the_channel(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say(
        "request Supervision notes for the allocated worker of CR-104233 due Friday",
        as_=LEAD, where="channel",
    )  # fmt: skip
    said = bot.texts(sent)
    assert "Logged IR-001 for Test Link, due Fri 06 Mar 2026." in said
    assert "Supervision notes for the allocated worker of CR-104233" in said
    assert "Mark answered" in said and "CR-104233" in said
    stored = await _log(bot).all_requests(1, "inspectors")
    assert [(r.ref, r.text, r.child_refs) for r in stored] == [
        ("IR-001", "Supervision notes for the allocated worker of CR-104233", ("CR-104233",))
    ]
    # 2 March 2026 is off site: the default is 5 working days (7.3, rule file).
    sent = await bot.say("request Staffing return for February", as_=INSPECTOR, where="channel")
    assert "Logged IR-002 for Test Link, due Mon 09 Mar 2026." in bot.texts(sent)
    sent = await bot.say("request urgent: Safeguarding concern log for CR-7007", where="channel")
    assert "Logged IR-003" in bot.texts(sent) and "urgent" in bot.texts(sent)
    third = (await _log(bot).all_requests(1))[2]
    assert third.priority.value == "urgent" and third.text == "Safeguarding concern log for CR-7007"


async def test_link_officer_cannot_log(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("request anything at all", as_=LINK, where="channel")
    assert "Only the lead inspector or inspector can use `request`" in bot.texts(sent)
    assert await _log(bot).all_requests(1) == []


async def test_a_name_is_caught_before_logging_and_can_be_confirmed(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("request the care plan for the boy called Jack", where="channel")
    said = bot.texts(sent)
    assert "Not logged yet" in said and "case reference" in said and "Log anyway" in said
    shown = [b["text"] for s in sent for c in s.cards for b in c["body"] if "text" in b]
    assert shown and not any("Jack" in line for line in shown)  # the warning does not repeat it
    assert await _log(bot).all_requests(1) == []
    [card_message] = [s for s in sent if s.cards]
    confirm = next(a for a in card_message.cards[0]["actions"] if a["title"] == "Log anyway")
    sent = await bot.submit(confirm["data"], as_=LEAD, where="channel")
    assert "Logged IR-001" in bot.texts(sent)
    # Pressed by the link officer instead: refused by role.
    sent = await bot.submit(confirm["data"], as_=LINK, where="channel")
    assert "Only the lead inspector or inspector" in bot.texts(sent)


async def test_log_by_message_action(bot: BotHarness) -> None:
    await bot.inspection()
    html = "<p>Could we see the <b>return home interview</b> for CR-2002?</p><p>Thanks&nbsp;all</p>"
    status, body, sent = await _invoke(bot, _message_action(bot, html))
    assert status == 200
    assert body["task"]["type"] == "message"
    assert body["task"]["value"].startswith("Logged IR-001 for Test Link")
    assert "return home interview" in bot.texts(sent)
    [stored] = await _log(bot).all_requests(1)
    assert stored.text == "Could we see the return home interview for CR-2002?\nThanks all"
    assert stored.child_refs == ("CR-2002",)
    assert stored.source is not None and stored.source.message_id == "1772441000123"
    assert (
        stored.source.author is not None and stored.source.author.display_name == "Test Inspector"
    )
    assert stored.asked_by.aad_object_id == LEAD.aad_object_id
    # The link officer cannot log from a message either.
    status, body, _ = await _invoke(bot, _message_action(bot, "<p>more</p>", as_=LINK))
    assert status == 200 and "Only the lead inspector or inspector" in body["task"]["value"]
    long_text = "<p>" + "word " * 1000 + "</p>"
    status, body, _ = await _invoke(bot, _message_action(bot, long_text))
    assert status == 200 and "keep it under 4000" in body["task"]["value"]
    status, body, _ = await _invoke(bot, _message_action(bot, "<p><img src='x'></p>"))
    assert status == 200 and "no text I can log" in body["task"]["value"]
    assert len(await _log(bot).all_requests(1)) == 1


async def test_answer_with_an_attachment_in_a_personal_chat(
    graph_bot: BotHarness, files_server: TestServer
) -> None:
    bot = graph_bot
    await bot.inspection()
    directory = _directory(bot)
    await bot.say("request Minutes of the strategy discussion for CR-104233", where="channel")
    payload = _with_file(
        bot.activity("IR-001 is answered, see the attached", as_=LINK, where="personal"),
        files_server, "minutes.pdf",
    )  # fmt: skip
    said = bot.texts(await bot.send(payload))
    assert "Recorded an answer to IR-001 with 1 file(s). It is now answered." in said
    copies = [u for u in directory.uploads if u[2] == "IR-001 minutes.pdf"]
    assert len(copies) == 1
    _channel, folder, _name, content, _type = copies[0]
    assert folder == INFORMATION_REQUESTS_FOLDER and content == PDF
    request = (await _log(bot).all_requests(1))[0]
    assert request.status is RequestStatus.ANSWERED
    assert request.answers[0].text == "see the attached"
    assert request.answers[0].answered_by.aad_object_id == LINK.aad_object_id
    [linked] = request.files
    assert linked.name == "minutes.pdf" and linked.web_url is not None
    assert linked.web_url.endswith("IR-001 minutes.pdf")  # the channel copy, not OneDrive
    # The Excel copy in the channel followed the changes (after the replies, in the background).
    await _publisher(bot).idle()
    copies_of_log = [u for u in directory.uploads if u[2] == LOG_FILE_NAME]
    assert copies_of_log
    latest = load_workbook(io.BytesIO(copies_of_log[-1][3]))["Requests"]
    assert (latest["A2"].value, latest["J2"].value) == ("IR-001", "answered")


async def test_a_file_that_cannot_be_fetched_is_still_linked(
    graph_bot: BotHarness, files_server: TestServer
) -> None:
    bot = graph_bot
    await bot.inspection()
    _directory(bot)
    await bot.say("request Chronology for CR-3003", where="channel")
    payload = _with_file(
        bot.activity("IR-001 is partly answered: first part", as_=DIRECTOR, where="personal"),
        files_server, "missing.pdf",
    )  # fmt: skip
    said = bot.texts(await bot.send(payload))
    assert "Recorded a partial answer to IR-001 with 1 file(s). It is now open." in said
    assert "couldn't copy missing.pdf" in said
    [request] = await _log(bot).all_requests(1)
    assert (
        request.files[0].web_url == "https://tenant-my.sharepoint.example/personal/link/missing.pdf"
    )


async def test_accept_follow_up_and_the_rules_on_the_way(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Fostering panel minutes for January", where="channel")
    sent = await bot.say("close IR-001", as_=LEAD, where="channel")
    assert "IR-001 has no answer yet" in bot.texts(sent)
    await bot.say("IR-1 answered, minutes attached to the channel", as_=LINK, where="channel")
    sent = await bot.say("close IR-001", as_=LINK, where="channel")
    assert "Only the lead inspector or inspector can use `close`" in bot.texts(sent)
    sent = await bot.say("withdraw IR-001", as_=LINK, where="channel")
    assert "Only the lead inspector or inspector can use `withdraw`" in bot.texts(sent)
    sent = await bot.say("close IR-001", as_=INSPECTOR, where="channel")
    assert "IR-001 is accepted and closed." in bot.texts(sent)
    sent = await bot.say("accept IR-001", as_=LEAD, where="channel")
    assert "IR-001 is already closed: accepted by Test Inspector on 02 Mar 2026" in bot.texts(sent)
    sent = await bot.say(
        "follow up IR-001 please add the February minutes due Thursday", as_=LEAD, where="channel"
    )
    assert "Follow-up on IR-001 sent; due Thu 05 Mar 2026." in bot.texts(sent)
    request = (await _log(bot).all_requests(1))[0]
    assert request.status is RequestStatus.FOLLOW_UP
    assert request.follow_ups[0].text == "please add the February minutes"
    sent = await bot.say("requests open", as_=LINK, where="channel")
    assert "1 open requests" in bot.texts(sent) and "IR-001" in bot.texts(sent)


async def test_a_stale_close_button_is_told_the_current_state(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.say("request Audit of CIN plans this quarter", where="channel")
    close = next(
        a for s in sent for c in s.cards for a in c.get("actions", []) if a["title"] == "Close"
    )
    await bot.say("IR-001 is answered, in the channel files", as_=LINK, where="channel")
    sent = await bot.submit(close["data"], as_=LEAD, where="channel")
    assert "IR-001 changed while you were looking at it: it is now answered" in bot.texts(sent)
    updated = [c for c in sent if c.method == "PUT"]
    assert updated and "answered · due" in bot.texts(updated)  # the card shows it as it is now
    sent = await bot.submit({"action": "request_close", "request": "IR-001"}, as_=LEAD)
    assert "missing or not valid (version)" in bot.texts(sent)


async def test_notes_stay_out_of_the_channel(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Complaints log since the last inspection", where="channel")
    sent = await bot.say("note IR-001 chase gently, team short-staffed", where="channel")
    assert "Send `note IR-001 ...` to me in a personal chat" in bot.texts(sent)
    sent = await bot.say("note IR-001 chase gently, team short-staffed", where="personal")
    assert "Note added to IR-001 (inspectors only)" in bot.texts(sent)
    assert "short-staffed" in bot.texts(sent)  # the inspector's own personal chat
    for where in ("channel", "personal"):
        sent = await bot.say("show IR-001", as_=LINK if where == "personal" else LEAD, where=where)  # type: ignore[arg-type]
        assert "Complaints log" in bot.texts(sent)
        assert "short-staffed" not in bot.texts(sent)


async def test_export_posts_the_workbook_checked_cell_by_cell(graph_bot: BotHarness) -> None:
    bot = graph_bot
    inspection = await bot.inspection()
    directory = _directory(bot)
    await bot.say("request Supervision records for the team manager due Friday", where="channel")
    await bot.say("IR-001 is answered: =SUM(A1) records in the folder", as_=LINK, where="channel")
    await bot.say("note IR-001 internal remark", where="personal")
    await bot.say("close IR-001", where="channel")
    await bot.say("request Staffing return for February", as_=INSPECTOR, where="channel")
    await _publisher(bot).idle()
    uploads_before = len(directory.uploads)
    sent = await bot.say("export", as_=DIRECTOR, where="channel")
    said = bot.texts(sent)
    assert "The information request log (2 request(s))" in said and LOG_FILE_NAME in said
    assert len(directory.uploads) == uploads_before + 1
    channel, folder, name, content, _type = directory.uploads[-1]
    assert (channel, folder, name) == (
        inspection.channel,
        INFORMATION_REQUESTS_FOLDER,
        LOG_FILE_NAME,
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book["Requests"]
    header = [c.value for c in sheet[1]]
    assert header[:12] == [
        "Id", "Request", "Asked by", "Asked at", "Child case references", "Theme / standard",
        "For", "Due", "Priority", "Status", "Overdue", "Response",
    ]  # fmt: skip
    assert "Internal notes (inspectors only)" not in header
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == "A1:S3"
    first = {h: sheet.cell(row=2, column=i + 1) for i, h in enumerate(header)}
    assert first["Id"].value == "IR-001"
    assert first["Request"].value == "Supervision records for the team manager"
    assert first["Asked by"].value == "Test Lead"
    assert first["Asked at"].value == datetime(2026, 3, 2, 9, 0) and first["Asked at"].is_date
    assert first["For"].value == "Test Link"
    assert first["Due"].value == datetime(2026, 3, 6) and first["Due"].is_date
    assert first["Status"].value == "accepted" and first["Overdue"].value == "No"
    assert first["Response"].value == "=SUM(A1) records in the folder"
    assert first["Response"].data_type == "s"
    assert first["Answered by"].value == "Test Link"
    assert first["Closed at"].value == datetime(2026, 3, 2, 9, 0)
    second = {h: sheet.cell(row=3, column=i + 1).value for i, h in enumerate(header)}
    assert (second["Id"], second["Asked by"], second["Status"]) == (
        "IR-002",
        "Test Inspector",
        "open",
    )
    assert second["Due"] == datetime(2026, 3, 9)
    history = [[c.value for c in r] for r in book["History"].iter_rows(min_row=2)]
    assert [(r[0], r[3]) for r in history] == [
        ("IR-001", "logged"), ("IR-001", "answered"), ("IR-001", "accepted"), ("IR-002", "logged"),
    ]  # fmt: skip
    every = " ".join(str(c.value) for s in book for r in s.iter_rows() for c in r)
    assert "internal remark" not in every and "internal note added" not in every


async def test_export_without_graph_says_what_to_do(bot: BotHarness) -> None:
    await bot.inspection()
    bot.services.directory = None
    sent = await bot.say("export requests", where="channel")
    assert "inspection-bot requests export --inspection 1 --xlsx FILE" in bot.texts(sent)


async def test_list_filters_and_bad_filter(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Chronology for CR-1001", where="channel")
    await bot.say("request Audit for CR-2002", where="channel")
    sent = await bot.say("requests for cr-2002", as_=LINK, where="channel")
    said = bot.texts(sent)
    assert "IR-002" in said and "IR-001" not in said
    sent = await bot.say("requests sideways", as_=LINK, where="channel")
    assert "I can list requests: open, overdue" in bot.texts(sent)
    sent = await bot.say("show IR-099", as_=LINK, where="channel")
    assert "there is no IR-099 in this inspection" in bot.texts(sent)


async def test_an_answer_naming_a_child_waits_for_confirmation(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Return home interview for CR-5005", where="channel")
    sent = await bot.say("IR-001 is answered: Oliver Smith's interview is in the folder", as_=LINK)
    said = bot.texts(sent)
    assert "Not recorded yet" in said and "Record anyway" in said
    [request] = await _log(bot).all_requests(1)
    assert request.answers == ()
    record = next(
        a for s in sent for c in s.cards for a in c["actions"] if a["title"] == "Record anyway"
    )
    sent = await bot.submit(record["data"], as_=LINK)
    assert "Recorded an answer to IR-001. It is now answered." in bot.texts(sent)
    cancel = {"action": "request_log_cancelled"}
    assert "Nothing was saved" in bot.texts(await bot.submit(cancel, as_=LINK))


async def test_logged_in_a_personal_chat_reaches_the_channel(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("requests", as_=LEAD, where="channel")  # the bot now knows the channel
    mark = len(bot.connector.calls)
    sent = await bot.say("request Exploitation screening tool results for CR-8008", as_=LEAD)
    assert "Logged IR-001" in bot.texts(sent)
    to_channel = [
        c
        for c in bot.since(mark)
        if "inspection-channel" in c.path and "New information request" in (c.text or "")
    ]
    assert len(to_channel) == 1


async def test_reassign_and_change_due(bot: BotHarness) -> None:
    await bot.inspection()
    await bot.say("request Court timescales for care proceedings", where="channel")
    sent = await bot.say("reassign IR-001 to director", where="channel")
    assert "IR-001 is now for Test Director." in bot.texts(sent)
    sent = await bot.say(
        "change due IR-001 Thursday because the data team is away", where="channel"
    )
    assert "IR-001 is now due Thu 05 Mar 2026." in bot.texts(sent)
    [request] = await _log(bot).all_requests(1)
    assert request.assignee is not None and request.assignee.display_name == "Test Director"
    assert request.history[-1].reason == "the data team is away"
    sent = await bot.say("change due IR-001 Saturday because why not", where="channel")
    assert "not a working day (Saturday); use Mon 09 Mar 2026 instead" in bot.texts(sent)
    sent = await bot.say("change due IR-001 Friday", where="channel")
    assert "say which request, the new date and why" in bot.texts(sent)


async def test_a_long_list_shows_a_page_and_more_on_request(bot: BotHarness) -> None:
    await bot.inspection()
    for number in range(1, 31):
        await bot.say(
            f"request Supervision record {number} for CR-{1000 + number}", where="channel"
        )
    [first] = [s for s in await bot.say("requests open", where="channel") if s.cards]
    shown = content(first)
    assert "30 open requests" in shown
    assert "IR-001 to IR-025 of 30 in all" in shown and "IR-026" not in shown
    [more] = [a for a in first.cards[0]["actions"] if a["title"] == "More"]
    [second] = [s for s in await bot.submit(more["data"], where="channel") if s.cards]
    shown = content(second)
    assert "IR-026 to IR-030 of 30 in all" in shown and "IR-025" not in shown
    assert "actions" not in second.cards[0]  # the last page has no More
    # A tampered cursor is refused clearly, not a crash.
    refused = await bot.submit({**more["data"], "list": "x" * 500}, where="channel")
    assert "not valid" in bot.texts(refused)
