"""From a dropped file to the updated checklist card, through a Graph change notification.

The real app (SQLite, polling off, GRAPH_NOTIFICATION_URL set) against the loopback emulator
playing Graph: the bot subscribes to the new channel's drive by itself, then each file dropped
into the channel's folder is noticed by the emulator (it rescans every `--watch` seconds, as
Graph takes a moment to notice too), notified to the bot, synced and put on the card. Prints
the time to the subscription and, per upload, the time to the card update (min, median, max).

    .venv/bin/python bench/live_files.py [--uploads 10] [--watch 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run from anywhere: the repository root, not bench/ (its scripts shadow packages).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from app import SERVICES, create_app  # noqa: E402
from graph.emulator import GraphEmulator, seed_local  # noqa: E402
from inspection.clock import FixedClock  # noqa: E402
from settings import load_settings  # noqa: E402
from tests.e2e.conftest import DEFAULT_NOW  # noqa: E402
from tests.e2e.test_checklist import _in_channel, _inspection, _puts  # noqa: E402
from tests.fakes.connector import FakeConnector  # noqa: E402
from tests.fakes.teams import EVERYONE, BotHarness  # noqa: E402

SECRET = "a-client-state-secret-of-32-chars"
FOLDERS = ("01 Organisational structures", "08 Staffing data", "Other")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _wait(check: Any, limit: float = 60.0) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > limit:
            raise SystemExit(f"nothing after {limit:.0f} s")
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def run(uploads: int, watch: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # The e2e tests' day, so that the demo inspection's dates are in the future.
        clock = FixedClock(DEFAULT_NOW)
        emulator = GraphEmulator(folder / "graph", private_provisioning_404s=0)
        emulator.now = clock.now
        team = seed_local(emulator)
        await emulator.start()
        emulator.watch(watch)
        port = _free_port()
        settings = load_settings(
            DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
            GRAPH_BASE_URL=emulator.base_url,
            GRAPH_TEAM_ID=team.id,
            GRAPH_CLIENT_STATE=SECRET,
            GRAPH_NOTIFICATION_URL=f"http://127.0.0.1:{port}/api/notifications",
            GRAPH_SUBSCRIPTION_CHECK_SECONDS=1,
            LOG_LEVEL="WARNING",
        )
        app = create_app(settings, clock=clock, scheduler=False, retry_base_seconds=0.001)
        try:
            async with FakeConnector() as connector:
                for person in EVERYONE:
                    connector.add_member(
                        person.teams_id, person.aad_object_id, person.name, person.email
                    )
                server = TestServer(app, host="127.0.0.1", port=port)
                async with TestClient(server) as client:
                    bot = BotHarness(client=client, connector=connector, services=app[SERVICES])
                    inspection = await _inspection(bot)
                    assert inspection.channel is not None
                    subscribed = await _wait(lambda: bool(emulator.subscriptions))
                    print(
                        f"subscription live {subscribed:.2f} s after the set-up turn returned "
                        "(the check runs every second here, every minute by default)"
                    )
                    await _in_channel(bot, inspection, "checklist")
                    files = emulator.channel_folder(inspection.channel.channel_id)
                    times: list[float] = []
                    for number in range(uploads):
                        mark = len(connector.calls)
                        target = files / FOLDERS[number % len(FOLDERS)]
                        target.mkdir(exist_ok=True)
                        (target / f"Upload {number:03d}.pdf").write_bytes(b"%PDF-1.4 upload")
                        times.append(await _wait(lambda m=mark: bool(_puts(bot.since(m)))))
                    print(
                        f"{uploads} uploads, drop to card update (emulator rescans every "
                        f"{watch:g} s): min {min(times):.2f} s, median "
                        f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
                    )
                    delivered = [d for d in emulator.deliveries if d[1] == "change"]
                    print(f"notifications delivered: {len(delivered)}, "
                          f"answered 2xx: {sum(1 for d in delivered if 200 <= d[2] < 300)}")
        finally:
            await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--watch", type=float, default=1.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the local-mode banner and PDF parser chatter
    asyncio.run(run(args.uploads, args.watch))


if __name__ == "__main__":
    main()
