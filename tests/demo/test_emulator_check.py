"""The scripted check against Microsoft's Teams emulator (@microsoft/m365agentsplayground@0.2.28):
`inspection-bot local --demo` started as a user would, then, as the emulator's users: install,
`help`, `status`, answering an information request as the link officer, each reply read back
from the emulator; the emulator's own web page, in Chromium, shows the bot's replies; Ctrl-C
stops everything.

Skipped, saying why, when Chromium (Debian package `chromium`) is absent or the emulator cannot
be installed from npm here.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cli.demo import DEMO_CHANNEL_ID, PERSONAL_CHAT_ID, person
from cli.emulator_session import EmulatorClient, LocalRun, emulator_client
from cli.playground import PLAYGROUND_DIR, prepare
from inspection.model import Role

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def _chromium_present() -> bool:
    return CHROMIUM.exists()


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[LocalRun]:
    if not _chromium_present():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium to run the emulator check")
    prepared = prepare(REPO / PLAYGROUND_DIR)
    if not prepared.ready:
        pytest.skip(f"the Teams emulator is not available here: {prepared.note}")
    local = LocalRun(tmp_path / "data", REPO)
    local.start()
    try:
        assert await local.wait_ready(), "the local run did not start:\n" + local.output()[-3000:]
        yield local
    finally:
        code = local.stop()
        assert code == 0, local.output()[-2000:]
        # Ctrl-C stopped the emulator too: its port is free again.
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", local.emulator_port)) != 0


async def _ask(
    client: EmulatorClient, conversation: str, who: str, text: str, *, mention: bool = False
) -> str:
    before = len(client.received)
    thread = await client.say(conversation, who, text, mention_bot=mention)
    replies = await client.wait_for(thread, after=before)
    assert replies, f"no reply to {text!r}"
    return "\n".join(m.words() for m in replies)


async def test_the_emulator_drives_the_demo(run: LocalRun) -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,  # the profile is a fresh --user-data-dir
                headless=True,
                viewport={"width": 1400, "height": 900},
            )
            try:
                page = context.pages[0] if context.pages else await context.new_page()
                # The emulator's own page: it installs the app in the personal chat on load.
                await page.goto(run.emulator_url)
                await page.get_by_text("Type help to see what I can do").first.wait_for(
                    timeout=30_000
                )
                # Typed into the page as a person would: the reply card renders.
                await page.locator("[data-lexical-editor=true]").first.click()
                await page.keyboard.type("help")
                await page.keyboard.press("Enter")
                await page.get_by_text("What I can do").first.wait_for(timeout=20_000)
                await _conversation(run)
            finally:
                await context.close()


async def _conversation(run: LocalRun) -> None:
    lead = person(Role.LEAD_INSPECTOR).teams_id
    link = person(Role.LINK_OFFICER).teams_id
    async with emulator_client(run) as client:
        config = await client.config()
        assert len(config["config"]["users"]) == 5

        # Install: the bot greets the chat.
        before = len(client.received)
        await client.install(PERSONAL_CHAT_ID)
        greeting = await client.wait_for(PERSONAL_CHAT_ID, after=before)
        assert greeting and "help" in greeting[0].words()

        said = await _ask(client, PERSONAL_CHAT_ID, lead, "help")
        assert "What I can do" in said and "status" in said

        # The timeline card carries its picture, as a PNG the emulator received whole.
        before = len(client.received)
        thread = await client.say(PERSONAL_CHAT_ID, lead, "timeline")
        replies = await client.wait_for(thread, after=before)
        images = [
            block
            for message in replies
            for card in message.cards
            for block in card.get("body", [])
            if block.get("type") == "Image"
        ]
        assert images and images[0]["url"].startswith("data:image/png;base64,iVBOR")

        # In the demo inspection's channel, as the lead inspector.
        await client.install(DEMO_CHANNEL_ID)
        said = await _ask(client, DEMO_CHANNEL_ID, lead, "status", mention=True)
        assert "Status: Harbour View Children's Social Care" in said
        assert "Information requests" in said

        # The link officer answers the open request IR-005.
        said = await _ask(
            client,
            DEMO_CHANNEL_ID,
            link,
            "IR-005 is answered, the audit tool and schedule are in the channel",
            mention=True,
        )
        assert "IR-005" in said, said
        said = await _ask(client, DEMO_CHANNEL_ID, lead, "show IR-005", mention=True)
        assert "answered" in said.lower(), said
