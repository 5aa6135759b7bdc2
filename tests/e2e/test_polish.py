"""What testers found in the Teams bot (issue 9 polish), each through the real aiohttp app."""

from __future__ import annotations

import asyncio
import io
import re
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook

from app import create_app
from bot.features.inspections import timeline_image as timeline_image_module
from inspection.clock import FixedClock
from inspection.errors import Unavailable
from inspection.request_export import FACTUAL_ACCURACY_FOLDER, GRID_FILE_NAME
from inspection.requests import Person
from settings import load_settings
from tests.fakes.request_log import FakeWorkspace
from tests.fakes.teams import CHANNEL_ID, DIRECTOR, INSPECTOR, LEAD, LINK, BotHarness, Sent, content


async def _two_requests(bot: BotHarness, clock: FixedClock) -> None:
    """IR-001 overdue by Thursday 5 March, IR-002 open and not yet due."""
    inspection = await bot.inspection(notice=date(2026, 2, 9))
    assert bot.services.requests is not None
    for text, due in (
        ("Supervision records for the last three months", date(2026, 3, 3)),
        ("Staff rota for April", date(2026, 3, 20)),
    ):
        await bot.services.requests.log(
            inspection.id or 0, Person(LEAD.aad_object_id, LEAD.name), text, due_on=due,
            confirm=True,
        )  # fmt: skip
    clock.advance(timedelta(days=3))


# --- 5. "show overdue" / "show open" list; "show IR-004" shows one ---------------------------
async def test_show_overdue_lists_what_is_overdue(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot, clock)
    for phrase in ("show overdue", "show overdue requests", "/show overdue?"):
        said = content((await bot.say(phrase, as_=LINK))[0])
        assert "IR-001" in said and "Supervision records" in said, phrase
        assert "IR-002" not in said, phrase
        assert "say which request" not in said and "isn't" not in said, phrase


async def test_show_open_lists_open_requests(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot, clock)
    for phrase in ("show open", "show me the open requests"):
        said = content((await bot.say(phrase, as_=LINK))[0])
        assert "Open requests" in said, phrase
        assert "IR-001" in said and "IR-002" in said, phrase


async def test_show_one_request_still_shows_it(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot, clock)
    said = content((await bot.say("show IR-002", as_=LINK))[0])
    assert "IR-002: Staff rota for April" in said and "IR-001" not in said
    said = bot.texts(await bot.say("show nonsense", as_=LINK))
    assert "IR-" in said  # the usual "say which request, e.g. IR-004" style answer


# --- 2. placeholders in the help survive Teams (no <date>: it is read as an HTML tag) ---------
async def test_help_shows_placeholders_teams_can_display(bot: BotHarness) -> None:
    sent = await bot.say("help", as_=LEAD)
    said = bot.texts(sent)
    assert re.search(r"<[a-zA-Z][^>]*>", said) is None, re.findall(r"<[^>]*>", said)
    for usage in (
        'new inspection "SERVICE" onsite START to END',
        "draft sent DATE",
        "notice given DATE",
        "move onsite START to END",
        "request [urgent:] TEXT [for CR-104233] [due DATE]",
        "waive ITEM because REASON",
    ):
        assert usage in said, usage


async def test_usage_in_an_error_uses_the_same_placeholders(bot: BotHarness) -> None:
    await bot.inspection()
    said = bot.texts(await bot.say("waive", as_=LINK))
    assert "ITEM" in said and "<item>" not in said


# --- 3. a request card offers only the buttons its reader may press ---------------------------
def _buttons(sent: list[Sent]) -> list[str]:
    return [
        action["title"]
        for call in sent
        for card in call.cards
        for action in card.get("actions", [])
    ]


def _data(sent: list[Sent], title: str) -> dict[str, Any]:
    for call in sent:
        for card in call.cards:
            for action in card.get("actions", []):
                if action["title"] == title:
                    found = action.get("data") or action["card"]["actions"][0]["data"]
                    assert isinstance(found, dict)
                    return found
    raise AssertionError(f"no {title} button")


async def test_link_officer_is_not_offered_close(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot, clock)
    for who in (LINK, DIRECTOR):
        buttons = _buttons(await bot.say("show IR-002", as_=who))
        assert "Mark answered" in buttons, who
        assert not {"Close", "Withdraw", "Follow up"} & set(buttons), (who, buttons)


async def test_inspector_gets_the_inspectors_buttons(bot: BotHarness, clock: FixedClock) -> None:
    await _two_requests(bot, clock)
    buttons = _buttons(await bot.say("show IR-002", as_=LEAD))
    assert {"Close", "Withdraw"} <= set(buttons) and "Mark answered" not in buttons
    # Once answered, an inspector may follow it up from the card.
    await bot.say("IR-002 is answered, the rota is in the Files tab", as_=LINK)
    sent = await bot.say("show IR-002", as_=INSPECTOR)
    assert {"Close", "Follow up", "Withdraw"} <= set(_buttons(sent))
    follow = {**_data(sent, "Follow up"), "question": "Please add the night shifts due Friday"}
    said = bot.texts(await bot.submit(follow, as_=INSPECTOR))
    assert "Follow-up on IR-002 sent; due Fri 06 Mar 2026" in said
    # The card now offers the link officer's side again, and Withdraw works from the card.
    sent = await bot.say("show IR-002", as_=LEAD)
    said = bot.texts(await bot.submit(_data(sent, "Withdraw"), as_=LEAD))
    assert "IR-002 is withdrawn" in said
    assert "Close" not in _buttons(await bot.say("show IR-002", as_=LEAD))


async def test_channel_card_is_for_both_sides_and_the_router_guards(
    bot: BotHarness, clock: FixedClock
) -> None:
    await _two_requests(bot, clock)
    sent = await bot.say("show IR-002", as_=LINK, where="channel")
    buttons = _buttons(sent)
    assert "Mark answered" in buttons and "Close" in buttons and "Withdraw" not in buttons
    said = bot.texts(await bot.submit(_data(sent, "Close"), as_=LINK, where="channel"))
    assert "IR-002" not in said or "closed" not in said
    assert "inspector" in said.lower()
    assert bot.services.requests is not None
    stored = await bot.services.requests.get(1, "IR-002", Person(LEAD.aad_object_id, LEAD.name))
    assert stored.status.value == "open"
    # The Withdraw and Follow up buttons refuse a link officer too (tampered card data).
    for action in ("request_withdraw", "request_follow_up"):
        data = {"action": action, "request": "IR-002", "version": 1, "question": "x"}
        said = bot.texts(await bot.submit(data, as_=LINK))
        assert "inspector" in said.lower(), action


# --- 4. the timeline picture is drawn off the event loop; matplotlib warmed up at start -------
async def test_timeline_picture_is_drawn_off_the_event_loop(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.inspection()
    drawn_in: list[int] = []
    original = timeline_image_module._render

    def recording(*args: Any) -> bytes:
        drawn_in.append(threading.get_ident())
        return original.__wrapped__(*args)

    monkeypatch.setattr(timeline_image_module, "_render", recording)
    loop_thread = threading.get_ident()
    for command in ("timeline", "move onsite 13 April to 17 April"):
        sent = await bot.say(command, as_=LEAD)
        images = [
            block
            for call in sent
            for card in call.cards
            for block in card["body"]
            if block.get("type") == "Image"
        ]
        assert images and images[0]["url"].startswith("data:image/png;base64,"), command
    assert len(drawn_in) >= 2 and loop_thread not in drawn_in


async def test_matplotlib_warms_up_in_the_background_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    warmed_in: list[int] = []

    def slow_warm_up() -> None:
        warmed_in.append(threading.get_ident())
        started.set()
        release.wait(30)

    monkeypatch.setattr(timeline_image_module, "warm_up", slow_warm_up)
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'warm.db'}",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
        TIMELINE_WARM_UP=True,  # off by default since issue 7 (RSS): see the next test
    )
    client = TestClient(TestServer(create_app(settings, scheduler=False)))
    await client.start_server()
    try:
        warming = timeline_image_module.warming()
        assert warming is not None and not warming.done()
        # The server answers while the warm-up is still running.
        response = await client.get("/healthz")
        assert response.status == 200
        assert not warming.done()
    finally:
        release.set()
        await client.close()
    assert warming.done() and warmed_in and warmed_in[0] != threading.get_ident()


ROOT = str(Path(__file__).resolve().parents[2])


async def test_heavy_libraries_are_not_loaded_at_start_by_default(tmp_path: Path) -> None:
    """Issue 7 (memory): matplotlib stays out of the process until the first timeline picture,
    python-docx and openpyxl until a file is made, msgraph unless Graph is configured."""
    code = (
        "import sys\n"
        "from app import create_app\n"
        "from settings import load_settings\n"
        f"settings = load_settings(DATABASE_URL='sqlite+aiosqlite:///{tmp_path / 'cold.db'}',"
        " MicrosoftAppId='', MicrosoftAppPassword='', GRAPH_TEAM_ID='')\n"
        "create_app(settings, scheduler=False)\n"
        "heavy = {'matplotlib', 'docx', 'openpyxl', 'msgraph', 'kiota_http'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]


# --- 7. draft sent posts the Appendix 4 factual accuracy grid ---------------------------------
async def test_draft_sent_posts_the_factual_accuracy_grid(bot: BotHarness) -> None:
    await bot.inspection()
    directory = FakeWorkspace()
    bot.services.directory = directory  # type: ignore[assignment]
    said = bot.texts(await bot.say("draft sent yesterday", where="channel"))
    assert "Recorded: draft report sent on Sun 01 Mar 2026" in said
    assert "The factual accuracy grid (Appendix 4) is in the channel's Files" in said
    assert "comments are due by Fri 27 Mar 2026" in said
    [(channel, folder, name, data, _type)] = directory.uploads
    assert (channel.channel_id, folder, name) == (
        CHANNEL_ID,
        FACTUAL_ACCURACY_FOLDER,
        GRID_FILE_NAME,
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "Children's Residential Service" in cells and "27" in cells


async def test_draft_sent_from_a_chat_tells_the_channel(bot: BotHarness) -> None:
    await bot.inspection()
    bot.services.directory = FakeWorkspace()  # type: ignore[assignment]
    await bot.say("help", where="channel")  # the bot has been in the channel (reference kept)
    sent = await bot.say("draft sent yesterday", where="personal")
    in_channel = [s for s in sent if s.conversation_id.startswith(CHANNEL_ID)]
    assert in_channel and "factual accuracy grid (Appendix 4)" in content(in_channel[0])
    assert "I said so in the inspection's channel too" in bot.texts(sent)


async def test_draft_sent_without_graph_says_how_to_get_the_grid(bot: BotHarness) -> None:
    await bot.inspection()
    bot.services.directory = None
    said = bot.texts(await bot.say("draft sent yesterday", where="channel"))
    assert "Recorded: draft report sent on Sun 01 Mar 2026" in said
    assert "Microsoft Graph is not set up here" in said
    assert "inspection-bot requests grid --inspection 1 --xlsx grid.xlsx" in said
    assert "comments are due by Fri 27 Mar 2026" in said


async def test_draft_sent_when_the_upload_fails_keeps_the_date(bot: BotHarness) -> None:
    inspection = await bot.inspection()
    directory = FakeWorkspace()
    directory.fail = Unavailable("Microsoft Graph did not answer")
    bot.services.directory = directory  # type: ignore[assignment]
    said = bot.texts(await bot.say("draft sent yesterday", where="channel"))
    assert "Recorded: draft report sent on Sun 01 Mar 2026" in said
    assert "couldn't put the factual accuracy grid" in said
    assert "Type `factual accuracy grid` to try again" in said
    stored = await bot.services.repository.get(inspection.stored_id)
    assert stored.actuals["draft_sent"] == date(2026, 3, 1)
