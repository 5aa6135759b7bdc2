"""How long a turn takes through the real app: POST /api/messages -> router -> reply to a
loopback connector. Prints figures; asserts nothing.

    .venv/bin/python bench/bot_turns.py [turns]

Compares the adapter with connector-client reuse (bot/adapter.py, the default) against
botbuilder's own behaviour (a new connector client and user-token client every turn).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

# Run from anywhere: the repository root, not bench/ (its scripts shadow packages).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import SERVICES, create_app  # noqa: E402
from bot.adapter import ReusingAuthentication  # noqa: E402
from settings import load_settings  # noqa: E402
from tests.fakes.connector import FakeConnector  # noqa: E402
from tests.fakes.teams import EVERYONE, LINK, BotHarness  # noqa: E402


class NoReuse(ReusingAuthentication):
    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        return await self._inner.authenticate_request(activity, auth_header)

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        return await self._inner.create_user_token_client(claims_identity)


async def run(turns: int, reuse: bool, command: str) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{folder}/bench.db")
        import bot.adapter as adapter_module

        # Without reuse every turn builds its clients again, as botbuilder does by itself.
        adapter_module.ReusingAuthentication = (  # type: ignore[misc]
            ReusingAuthentication if reuse else NoReuse
        )
        app = create_app(settings, scheduler=False)
        async with FakeConnector() as connector:
            for person in EVERYONE:
                connector.add_member(
                    person.teams_id, person.aad_object_id, person.name, person.email
                )
            async with TestClient(TestServer(app)) as client:
                bot = BotHarness(client=client, connector=connector, services=app[SERVICES])
                await bot.inspection()
                for _ in range(20):  # warm up
                    await bot.say(command, as_=LINK)
                timings = []
                for _ in range(turns):
                    started = time.perf_counter()
                    await bot.say(command, as_=LINK)
                    timings.append((time.perf_counter() - started) * 1000)
                return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{label:<38} turns={len(timings):>4}  mean={statistics.mean(timings):6.2f} ms  "
        f"median={statistics.median(timings):6.2f} ms  p95={p95:6.2f} ms  "
        f"throughput={1000 / statistics.mean(timings):6.1f} turns/s"
    )


def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for command in ("help", "status"):
        report(f"{command}: clients reused", asyncio.run(run(turns, True, command)))
    for command in ("help", "status"):
        report(f"{command}: new clients each turn", asyncio.run(run(turns, False, command)))


if __name__ == "__main__":
    main()
