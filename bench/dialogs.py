"""What the persistent conversation state costs: the storage alone (read, write with eTag), and
a whole answer dialog (4 messages) through the real app against the one-line answer.
Prints figures; asserts nothing.

    .venv/bin/python bench/dialogs.py [rounds]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

# Run from anywhere: the repository root, not bench/ (its scripts shadow packages).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import SERVICES, create_app  # noqa: E402
from dialogs.storage import SqlStorage  # noqa: E402
from settings import load_settings  # noqa: E402
from store.database import Database  # noqa: E402
from tests.fakes.connector import FakeConnector  # noqa: E402
from tests.fakes.teams import EVERYONE, LEAD, LINK, BotHarness  # noqa: E402


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


async def storage(rounds: int, folder: str) -> None:
    database = Database(f"sqlite+aiosqlite:///{folder}/state.db")
    await database.migrate()
    store = SqlStorage(database)
    await store.write({"k": {"n": 0}})
    reads: list[float] = []
    writes: list[float] = []
    for n in range(rounds):
        started = time.perf_counter()
        item = (await store.read(["k"]))["k"]
        reads.append(time.perf_counter() - started)
        item["n"] = n
        started = time.perf_counter()
        await store.write({"k": item})
        writes.append(time.perf_counter() - started)
    await database.dispose()
    print(f"storage read  ({rounds}): {_ms(reads)}")
    print(f"storage write ({rounds}, eTag checked): {_ms(writes)}")


async def dialog(rounds: int, folder: str) -> None:
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{folder}/bot.db")
    app = create_app(settings, scheduler=False)
    async with FakeConnector() as connector:
        for person in EVERYONE:
            connector.add_member(person.teams_id, person.aad_object_id, person.name, person.email)
        async with TestClient(TestServer(app)) as client:
            bot = BotHarness(client=client, connector=connector, services=app[SERVICES])
            await bot.inspection()
            for _ in range(rounds * 2):
                await bot.say("request Minutes of the panel for CR-104233", as_=LEAD)
            one_line: list[float] = []
            whole: list[float] = []
            number = 0
            for _ in range(rounds):
                number += 1
                started = time.perf_counter()
                await bot.say(f"IR-{number} is answered, minutes in the folder", as_=LINK)
                one_line.append(time.perf_counter() - started)
                number += 1
                started = time.perf_counter()
                for text in (f"IR-{number} is answered", "minutes in the folder", "no files"):
                    await bot.say(text, as_=LINK)
                await bot.say("yes", as_=LINK)
                whole.append(time.perf_counter() - started)
    print(f"one-line answer, 1 message ({rounds}): {_ms(one_line)}")
    print(f"answer dialog, 4 messages ({rounds}): {_ms(whole)}")
    print(f"  per dialog message: {statistics.median(whole) / 4 * 1000:.2f} ms (median)")


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        await storage(rounds * 10, folder)
        await dialog(rounds, folder)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
