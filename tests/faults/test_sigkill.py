"""The process is killed (SIGKILL: no clean-up, no flush) while people log information requests.

The real `inspection-bot serve` runs as a child process on SQLite; 30 requests are typed at once
and the process is killed as soon as a few have been confirmed, so others are mid-way. After a
restart:
- every request the bot confirmed to someone exists, whole (its history, its case references);
- no request exists half (every stored request is complete) and numbers have no gaps or
  repeats: the counter moved only with requests that were stored;
- the restarted bot carries on numbering from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

import store.all_tables  # noqa: F401
from inspection.model import Channel, Inspection, InspectionStatus, Role
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import RequestChildRefRow, RequestCounterRow, RequestHistoryRow, RequestRow
from store.tables import Base
from tests.e2e.conftest import DEFAULT_NOW
from tests.fakes.connector import FakeConnector
from tests.fakes.teams import CHANNEL_ID, LEAD, LINK, TEAM_ID, BotHarness

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CONFIRMED = re.compile(r"Logged (IR-\d{3})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Bot:
    """`inspection-bot serve` in a child process."""

    def __init__(self, database_url: str, tmp: Path) -> None:
        self.database_url = database_url
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    async def start(self, now: datetime | None = None) -> None:
        """`inspection-bot serve` (scheduler off), or with `now` the app on a fixed clock with
        its reminder scheduler on (it sends what is due as it starts)."""
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "MicrosoftAppId": "",
            "MicrosoftAppPassword": "",
            "SCHEDULER_ENABLED": "false" if now is None else "true",
            "GRAPH_TEAM_ID": "",
            "LOG_LEVEL": "WARNING",
            "BOT_NOW": now.isoformat() if now else "",
        }
        command = (
            [
                sys.executable,
                "-c",
                "import sys; from cli.main import main; sys.exit(main(['serve']))",
            ]
            if now is None
            else [sys.executable, str(Path(__file__).with_name("run_app.py"))]
        )
        self.process = subprocess.Popen(  # noqa: ASYNC220 - polled below without blocking
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.tmp / "bot.log").open("ab"),
        )
        self.url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(600):  # at most a minute
                if self.process.poll() is not None:
                    raise AssertionError(f"the bot exited: {(self.tmp / 'bot.log').read_text()}")
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the bot did not start within a minute")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
async def setting(tmp_path: Path) -> AsyncIterator[tuple[str, int, FakeConnector]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    database = Database(url)
    await database.migrate()
    stored = await SqlInspectionRepository(database).add(
        Inspection(
            framework="jcc-children-social-care",
            inspection_type="full",
            service_name="Killed Midway Service",
            onsite_start=date(2026, 3, 23),
            onsite_end=date(2026, 3, 27),
            members=(LEAD.member(Role.LEAD_INSPECTOR), LINK.member(Role.LINK_OFFICER)),
            actuals={"notice": date(2026, 2, 23)},
            channel=Channel(TEAM_ID, CHANNEL_ID),
            status=InspectionStatus.ACTIVE,
        )
    )
    await database.dispose()
    async with FakeConnector() as connector:
        connector.add_member(LEAD.teams_id, LEAD.aad_object_id, LEAD.name, LEAD.email)
        connector.add_member(LINK.teams_id, LINK.aad_object_id, LINK.name, LINK.email)
        yield url, stored.id or 0, connector


def confirmed(connector: FakeConnector) -> dict[str, str]:
    """IR ref -> the request text the bot showed when it confirmed it."""
    found: dict[str, str] = {}
    for call in connector.delivered:
        match = CONFIRMED.search(str(call.body.get("summary") or call.text or ""))
        if not match:
            continue
        for card in call.cards:
            for block in card.get("body", []):
                text = block.get("text") if isinstance(block, dict) else None
                if isinstance(text, str) and text.startswith(f"{match.group(1)}: "):
                    found[match.group(1)] = text.split(": ", 1)[1]
    return found


def message(harness: BotHarness, text: str) -> dict[str, Any]:
    return harness.activity(text, as_=LEAD, where="channel")


async def test_killed_while_logging_requests_loses_and_halves_nothing(
    tmp_path: Path, setting: tuple[str, int, FakeConnector]
) -> None:
    url, inspection_id, connector = setting
    # BotHarness only builds activities here (its client and services are not used).
    shaper = BotHarness(client=None, connector=connector, services=None)  # type: ignore[arg-type]
    bot = Bot(url, tmp_path)
    await bot.start()
    bodies = [f"supervision notes batch {n} for CR-{104200 + n}" for n in range(30)]
    texts = [f"request {body}" for body in bodies]  # the default due date (the clock is real)
    try:
        async with aiohttp.ClientSession() as session:

            async def send(text: str) -> None:
                # The process dies under some of these: that is the point.
                with contextlib.suppress(aiohttp.ClientError):
                    await session.post(f"{bot.url}/api/messages", json=message(shaper, text))

            sending = [asyncio.ensure_future(send(text)) for text in texts]
            for _ in range(1200):  # kill once three are confirmed (at most a minute)
                if len(confirmed(connector)) >= 3:
                    break
                await asyncio.sleep(0.01)
            bot.kill()
            await asyncio.gather(*sending)
        acknowledged = confirmed(connector)
        assert acknowledged, "some requests were confirmed before the kill"

        database = Database(url)
        try:
            async with database.session() as db:
                rows = (
                    await db.execute(
                        select(RequestRow.id, RequestRow.number, RequestRow.text).where(
                            RequestRow.inspection_id == inspection_id
                        )
                    )
                ).all()
                counter = await db.scalar(
                    select(RequestCounterRow.last_number).where(
                        RequestCounterRow.inspection_id == inspection_id
                    )
                )
                history = dict(
                    (
                        await db.execute(
                            select(RequestHistoryRow.request_id, func.count()).group_by(
                                RequestHistoryRow.request_id
                            )
                        )
                    ).all()
                )
                refs = dict(
                    (
                        await db.execute(
                            select(RequestChildRefRow.request_id, func.count()).group_by(
                                RequestChildRefRow.request_id
                            )
                        )
                    ).all()
                )
        finally:
            await database.dispose()

        stored = {f"IR-{number:03d}": text for _, number, text in rows}
        # Confirmed means stored, with the words confirmed.
        for ref, shown in acknowledged.items():
            assert ref in stored, f"{ref} was confirmed but is not stored"
            assert stored[ref].startswith(shown.rstrip(".")[:40])
        # Nothing half-written: every stored request is whole.
        for request_id, _number, text in rows:
            assert history.get(request_id, 0) >= 1, f"request {request_id} has no history"
            assert refs.get(request_id, 0) == 1, f"request {request_id} lost its case reference"
            assert text.rstrip(".") in bodies, text
        numbers = sorted(number for _, number, _ in rows)
        assert numbers == list(range(1, len(numbers) + 1)), "no gaps, no repeats"
        assert (counter or 0) == len(numbers)
        assert len(numbers) < len(texts), "the kill should have stopped some requests"

        # The restarted bot carries on from there.
        await bot.start()
        async with aiohttp.ClientSession() as session:
            mark = len(connector.calls)
            await session.post(
                f"{bot.url}/api/messages",
                json=message(shaper, "request staffing rota for CR-104299"),
            )
        after = [c for c in connector.calls[mark:] if c.status < 300]
        assert any(f"Logged IR-{len(numbers) + 1:03d}" in str(c.body.get("summary")) for c in after)
    finally:
        bot.stop()


# --- reminders ---------------------------------------------------------------------------------
INSPECTIONS = 3


async def seed_reminders(url: str, connector: FakeConnector) -> list[int]:
    """Inspections whose reminders are due at DEFAULT_NOW, with the conversation references the
    bot would have stored (each channel, and the link officer's personal chat)."""
    from botbuilder.schema import Activity

    from bot.activities import conversation_ref
    from store.conversations import SqlConversationStore

    database = Database(url)
    await database.migrate()
    repository = SqlInspectionRepository(database)
    conversations = SqlConversationStore(database)
    shaper = BotHarness(client=None, connector=connector, services=None)  # type: ignore[arg-type]
    ids: list[int] = []
    for number in range(INSPECTIONS):
        channel = f"19:killed-reminders-{number}@thread.tacv2"
        stored = await repository.add(
            Inspection(
                framework="jcc-children-social-care",
                inspection_type="full",
                service_name=f"Reminded Service {number}",
                onsite_start=date(2026, 3, 23),
                onsite_end=date(2026, 3, 27),
                members=(LEAD.member(Role.LEAD_INSPECTOR), LINK.member(Role.LINK_OFFICER)),
                actuals={"notice": date(2026, 2, 23)},
                channel=Channel(TEAM_ID, channel),
                status=InspectionStatus.ACTIVE,
            )
        )
        ids.append(stored.id or 0)
        payload = shaper.activity("status", as_=LEAD, where="channel")
        payload["conversation"]["id"] = f"{channel};messageid=1"
        payload["channelData"]["channel"]["id"] = channel
        payload["channelData"]["teamsChannelId"] = channel
        ref = conversation_ref(Activity().deserialize(payload))
        assert ref is not None
        await conversations.save(ref)
    personal = conversation_ref(Activity().deserialize(shaper.activity("status", as_=LINK)))
    assert personal is not None
    await conversations.save(personal)
    await database.dispose()
    return ids


async def outbox(url: str) -> list[tuple[str, str]]:
    table = Base.metadata.tables["reminder_outbox"]
    database = Database(url)
    try:
        async with database.session() as db:
            return [(row.key, row.status) for row in await db.execute(select(table))]
    finally:
        await database.dispose()


async def test_killed_while_sending_reminders_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reminders.db'}"
    async with FakeConnector() as connector:
        await seed_reminders(url, connector)
        now = DEFAULT_NOW
        bot = Bot(url, tmp_path)
        # Teams takes two messages, then stalls: the bot is killed with sends in flight.
        connector.hold_after(2)
        await bot.start(now=now)
        try:
            for _ in range(1200):  # at most a minute
                if connector.held >= 1:
                    break
                await asyncio.sleep(0.05)
            assert connector.held >= 1, "the scheduler should have started sending at start-up"
            # Kill once the messages Teams took are marked sent. (A kill between Teams taking a
            # message and the outbox recording it can repeat that one message after the lease:
            # no sender can close that window, so the test does not kill inside it.)
            for _ in range(1200):
                sent = [key for key, status in await outbox(url) if status == "sent"]
                if len(sent) >= len(connector.delivered):
                    break
                await asyncio.sleep(0.05)
            bot.kill()
            await connector.callers_gone()
            connector.release()
            await asyncio.sleep(0)  # the held send runs on, finds its caller gone
            left = await outbox(url)
            assert any(status == "claimed" for _, status in left), left
            delivered_before = len(connector.delivered)
            assert delivered_before == 2

            # Restart after the claims' lease (10 minutes) has run out.
            await bot.start(now=now + timedelta(minutes=11))
            for _ in range(1200):
                rows = await outbox(url)
                if rows and all(status == "sent" for _, status in rows):
                    break
                await asyncio.sleep(0.05)
            rows = await outbox(url)
        finally:
            bot.stop()

        assert rows and all(status == "sent" for _, status in rows), rows
        bodies = [
            (call.conversation_id, str(call.body.get("text")), str(call.cards))
            for call in connector.delivered
        ]
        assert len(bodies) == len(set(bodies)), "a reminder was sent twice"
        assert len(bodies) > delivered_before, "the restart sent what the kill left"
        per_inspection = {name for _, text, card in bodies for name in _services(text + card)}
        assert per_inspection == {f"Reminded Service {n}" for n in range(INSPECTIONS)}


def _services(text: str) -> set[str]:
    return set(re.findall(r"Reminded Service \d", text))
