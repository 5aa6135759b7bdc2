"""Load benchmark: the real bot against two bare echo bots, in the same run, by the same driver.

    .venv/bin/pip install -e '.[bench]'            # the Agents SDK echo agent's packages
    .venv/bin/python bench/load.py                 # full: SQLite then PostgreSQL, 10,000 turns each
    .venv/bin/python bench/load.py --quick --json  # a few minutes: SQLite, one JSON object

What it does:
1. Starts a bare botbuilder 4.17 echo bot (CloudAdapter, auth off) in its own process and drives
   it: the first baseline. Then a bare Microsoft 365 Agents SDK echo agent (bench/agents_echo.py:
   AgentApplication on the SDK's aiohttp CloudAdapter, auth off, typing indicator off): the
   second, stronger one.
2. For each database (SQLite file, then PostgreSQL at --postgres-url), seeds 200 inspections,
   10,000 information requests and 20,000 files, starts the real app (`create_app`, auth off,
   scheduler off) in its own process, and drives it with the same number of concurrent users
   typing `status`, `requests open` and `what's outstanding?` in the inspection's channel or in
   a personal chat, as Teams sends them.
3. Every reply goes to a loopback fake Bot Connector in this process (it answers at once).
4. After the mixed run, the same server is driven with each command alone (the three and
   `help`, --command-turns each), so that CPU per turn can be compared command by command.

Latency is the time of `POST /api/messages` (Teams waits for it; the reply is sent inside it).
Prints p50/p95/p99, throughput, the ratio to the echo bot and each process's peak RSS
(VmHWM), and CPU per turn against both echo bots. Targets: p99 ratio <= 1.0, throughput >= 1.5x
the botbuilder echo bot's, no error, RSS < 200 MB (issue 7); CPU per turn of each command on
PostgreSQL at most 1.5x the Agents SDK echo agent's (issue 14).

Internal: `load.py serve-app PORT DATABASE_URL`, `load.py serve-echo PORT` and
`load.py serve-agents-echo PORT` run the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(__file__).resolve())
# bench/ itself must not be on the path: bench/request_log.py would shadow the `requests` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

INSPECTIONS = 200
REQUESTS = 10_000
FILES = 20_000
USERS = 50
COMMANDS = ("status", "requests open", "what's outstanding?")
# Each driven alone after the mixed run: the three, and `help` (a reply with no database read).
SINGLE_COMMANDS = (*COMMANDS, "help")
# The load target (issue 14): CPU per turn at most this many times the Agents SDK echo agent's.
AGENTS_CPU_TARGET = 1.5
DEFAULT_POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BOT_ID = "28:bench-bot"


# --- the loopback Bot Connector ------------------------------------------------------------
# A reply that is really an apology is an error, even though the HTTP answer was 200.
FAILURE_PHRASES = ("something went wrong", "can't reach my records")


@dataclass
class Connector:
    received: int = 0
    failed_replies: int = 0
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{c}/activities", self._activity)
        app.router.add_post("/v3/conversations/{c}/activities/{a}", self._activity)
        app.router.add_put("/v3/conversations/{c}/activities/{a}", self._activity)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/"

    async def _activity(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received += 1
        if any(phrase.encode() in body for phrase in FAILURE_PHRASES):
            self.failed_replies += 1
        return web.json_response({"id": uuid.uuid4().hex})

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


# --- seeding -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seeded:
    channels: list[str]
    link_officers: list[str]  # Entra ids, one per inspection (index = inspection - 1)
    seconds: float


async def seed(url: str) -> Seeded:
    """200 inspections with channels and people, 10,000 requests, 20,000 checklist files."""
    from sqlalchemy import insert

    import store.all_tables  # noqa: F401
    from inspection.frameworks import builtin_frameworks
    from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
    from store.checklist import ChecklistFileRow
    from store.database import Database
    from store.inspections import SqlInspectionRepository
    from store.request_log import RequestCounterRow, RequestRow

    started = time.perf_counter()
    database = Database(url)
    await database.migrate()
    repository = SqlInspectionRepository(database)
    framework = builtin_frameworks().get("jcc-children-social-care")
    item_keys = [item.key for item in framework.checklist]
    rng = random.Random(7)
    channels: list[str] = []
    links: list[str] = []
    ids: list[int] = []
    first_day = date(2026, 4, 6)
    for number in range(INSPECTIONS):
        start = first_day + timedelta(weeks=number % 30)
        channel = f"19:bench-channel-{number}@thread.tacv2"
        link = f"00000000-0000-4000-8000-1{number:011d}"
        stored = await repository.add(
            Inspection(
                framework="jcc-children-social-care",
                inspection_type="full",
                service_name=f"Bench Service {number:03d}",
                onsite_start=start,
                onsite_end=start + timedelta(days=4),
                members=(
                    Member(
                        f"00000000-0000-4000-8000-2{number % 20:011d}",
                        Role.LEAD_INSPECTOR,
                        f"Lead {number % 20}",
                    ),
                    Member(link, Role.LINK_OFFICER, f"Link {number}"),
                    Member(
                        f"00000000-0000-4000-8000-3{number:011d}",
                        Role.DIRECTOR,
                        f"Director {number}",
                    ),
                ),
                actuals={"notice": start - timedelta(days=28)},
                channel=Channel("19:bench-team@thread.tacv2", channel),
                status=InspectionStatus.ACTIVE,
            )
        )
        assert stored.id is not None
        ids.append(stored.id)
        channels.append(channel)
        links.append(link)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    per_inspection = REQUESTS // INSPECTIONS
    statuses = ["open"] * 6 + ["answered"] * 2 + ["accepted"] + ["follow_up"]
    request_rows: list[dict[str, Any]] = []
    for inspection_id in ids:
        for number in range(1, per_inspection + 1):
            request_rows.append(
                {
                    "inspection_id": inspection_id,
                    "number": number,
                    "text": f"Please provide the supervision records for CR-{100000 + number}",
                    "asked_by_id": "00000000-0000-4000-8000-200000000001",
                    "asked_by_name": "Lead 1",
                    "asked_at": now - timedelta(days=rng.randint(0, 20)),
                    "due_on": date(2026, 3, 2) + timedelta(days=rng.randint(-10, 20)),
                    "status": rng.choice(statuses),
                    "priority": "normal",
                    "updated_at": now,
                    "version": 1,
                }
            )
    file_rows: list[dict[str, Any]] = []
    per_files = FILES // INSPECTIONS
    for inspection_id in ids:
        for number in range(per_files):
            key = item_keys[number % len(item_keys)] if number % 4 else None
            file_rows.append(
                {
                    "inspection_id": inspection_id,
                    "file_id": f"file-{inspection_id}-{number}",
                    "name": f"Document {number:03d}.docx",
                    "folder": "",
                    "size": 20_000 + number,
                    "modified": now - timedelta(hours=number),
                    "item_key": key,
                    "confidence": 0.9 if key else 0.0,
                    "reason": "name",
                    "candidates": [],
                    "ambiguous": False,
                    "content_checked": False,
                    "problems": [],
                    "notes": [],
                    "found": {},
                    "assessed_at": now,
                }
            )
    async with database.session() as session:
        for chunk in range(0, len(request_rows), 2000):
            await session.execute(insert(RequestRow), request_rows[chunk : chunk + 2000])
        await session.execute(
            insert(RequestCounterRow),
            [{"inspection_id": i, "last_number": per_inspection} for i in ids],
        )
        for chunk in range(0, len(file_rows), 2000):
            await session.execute(insert(ChecklistFileRow), file_rows[chunk : chunk + 2000])
    await database.dispose()
    return Seeded(channels, links, time.perf_counter() - started)


# --- servers (run in child processes) ------------------------------------------------------
def serve_app(port: int, database_url: str) -> None:
    from app import create_app
    from logsetup import configure_logging
    from settings import load_settings

    configure_logging("WARNING")
    cap = int(os.environ.get("BENCH_MAX_TURNS", "0"))
    if cap:
        # Experiment: at most `cap` turns run at once; the rest wait their turn in order.
        from botbuilder.core import CloudAdapterBase

        gate = asyncio.Semaphore(cap)
        original = CloudAdapterBase.process_activity

        async def limited(self: Any, *args: Any, **kwargs: Any) -> Any:
            async with gate:
                return await original(self, *args, **kwargs)

        CloudAdapterBase.process_activity = limited  # type: ignore[method-assign]
    settings = load_settings(
        DATABASE_URL=database_url, MicrosoftAppId="", MicrosoftAppPassword="", GRAPH_TEAM_ID=""
    )
    app = create_app(settings, scheduler=False)
    if os.environ.get("BENCH_QUERIES"):
        count_queries(app)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
    )


def count_queries(app: web.Application) -> None:
    """BENCH_QUERIES=1: count the SQL statements the app sends and its pool check-outs
    (SQLAlchemy's events; each check-out also costs asyncpg a BEGIN and a ROLLBACK), served at
    GET /bench/queries for the driver. Off by default: the listeners cost CPU themselves."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counts = {"statements": 0, "checkouts": 0}

    def statement(*_args: Any) -> None:
        counts["statements"] += 1

    def checkout(*_args: Any) -> None:
        counts["checkouts"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Pool, "checkout", checkout)

    async def report(_request: web.Request) -> web.Response:
        return web.json_response(counts)

    app.router.add_get("/bench/queries", report)


def serve_echo(port: int) -> None:
    """The botbuilder sample echo bot, as published: nothing added, nothing cached."""
    import logging

    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    logging.basicConfig(level=logging.WARNING)

    class DefaultConfig:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):  # type: ignore[misc]
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            text = turn_context.activity.text
            await turn_context.send_activity(MessageFactory.text(f"Echo: {text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_agents_echo(port: int) -> None:
    """The Agents SDK echo agent in bench/agents_echo.py (loaded by path: bench/ is not on
    sys.path, see above)."""
    spec = importlib.util.spec_from_file_location("agents_echo", ROOT / "bench" / "agents_echo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.serve(port)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def peak_rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU the server process has used (machine load does not change
        them much): system time is the kernel's work for it, mostly socket calls."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            tick = os.sysconf("SC_CLK_TCK")
            return int(fields[11]) / tick, int(fields[12]) / tick
        except (OSError, IndexError, ValueError):
            return float("nan"), float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def start_server(kind: str, *args: str) -> Server:
    port = free_port()
    profile = os.environ.get("BENCH_PROFILE")  # a folder: pyinstrument reports land there
    prefix = (
        [
            "-m",
            "pyinstrument",
            *os.environ.get("BENCH_PROFILE_ARGS", "").split(),  # e.g. --show-all
            "-r",
            os.environ.get("BENCH_PROFILE_RENDERER", "text"),  # or pstats, speedscope, html
            "-o",
            f"{profile}/{kind}-{port}.{os.environ.get('BENCH_PROFILE_RENDERER', 'text')}",
        ]
        if profile
        else []
    )
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled without blocking
        [sys.executable, *prefix, SCRIPT, kind, str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=None,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited with code {process.returncode}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return Server(process, url)
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{kind} did not become healthy within 60 s")


# --- load ----------------------------------------------------------------------------------
def activity(
    text: str, number: int, seeded: Seeded | None, service_url: str, index: int, personal: bool
) -> dict[str, Any]:
    link = seeded.link_officers[index] if seeded else f"aad-{index}"
    user = {"id": f"29:bench-user-{index}", "name": f"Link {index}", "aadObjectId": link}
    base: dict[str, Any] = {
        "type": "message",
        "id": f"bench-{number}",
        "timestamp": "2026-03-02T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": user,
        "recipient": {"id": BOT_ID, "name": "Inspection bot"},
        "locale": "en-GB",
        "textFormat": "plain",
    }
    if personal and seeded is not None:
        # A personal chat: the link officer has a role in exactly one inspection.
        base["conversation"] = {
            "id": f"a:bench-personal-{index}",
            "conversationType": "personal",
            "tenantId": "bench-tenant",
        }
        base["channelData"] = {"tenant": {"id": "bench-tenant"}}
        base["text"] = text
        return base
    channel = seeded.channels[index] if seeded else f"19:bench-channel-{index}@thread.tacv2"
    base["conversation"] = {
        "id": f"{channel};messageid=bench-{number}",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": "bench-tenant",
    }
    base["channelData"] = {
        "teamsChannelId": channel,
        "teamsTeamId": "19:bench-team@thread.tacv2",
        "channel": {"id": channel},
        "team": {"id": "19:bench-team@thread.tacv2"},
        "tenant": {"id": "bench-tenant"},
    }
    base["text"] = f"<at>Inspection bot</at> {text}"
    base["entities"] = [
        {
            "type": "mention",
            "mentioned": {"id": BOT_ID, "name": "Inspection bot"},
            "text": "<at>Inspection bot</at>",
        }
    ]
    return base


@dataclass
class Result:
    name: str
    turns: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    replies: int = 0
    rss_mb: float = float("nan")
    cpu_ms_per_turn: float = float("nan")
    statements_per_turn: float | None = None  # BENCH_QUERIES=1, the app only
    checkouts_per_turn: float | None = None
    system_cpu_share: float = float("nan")  # of cpu_ms_per_turn, in the kernel
    seed_seconds: float | None = None
    # Each command driven alone on the same server after the mixed run.
    by_command: dict[str, Result] = field(default_factory=dict)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[k]

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    @property
    def all_errors(self) -> int:
        return self.errors + sum(r.errors for r in self.by_command.values())

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "turns": self.turns,
            "errors": self.errors,
            "replies": self.replies,
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else None,
            "rss_mb": round(self.rss_mb, 1),
            "cpu_ms_per_turn": round(self.cpu_ms_per_turn, 2),
            "system_cpu_share": round(self.system_cpu_share, 2),
            **(
                {
                    "statements_per_turn": round(self.statements_per_turn, 2),
                    "checkouts_per_turn": round(self.checkouts_per_turn or 0.0, 2),
                }
                if self.statements_per_turn is not None
                else {}
            ),
            **({"seed_seconds": round(self.seed_seconds, 1)} if self.seed_seconds else {}),
        }
        if self.by_command:
            out["commands"] = {
                command: {
                    key: value
                    for key, value in result.summary().items()
                    if key not in ("rss_mb", "seed_seconds")
                }
                for command, result in self.by_command.items()
            }
        return out


async def drive(
    name: str,
    server: Server,
    connector: Connector,
    seeded: Seeded | None,
    args: argparse.Namespace,
) -> Result:
    """The mixed run (args.commands in turn), then each of args.single_commands alone."""
    timeout = aiohttp.ClientTimeout(total=60)
    connection = aiohttp.TCPConnector(limit=args.users)
    async with aiohttp.ClientSession(timeout=timeout, connector=connection) as session:
        phase = Phase(session, server, connector, seeded, args.users)
        result = await phase.measure(name, args.commands, args.turns, args.warmup)
        for command in args.single_commands if args.command_turns else ():
            # The server is warm: a short warm-up only settles the connections.
            result.by_command[command] = await phase.measure(
                f"{name}: {command}", (command,), args.command_turns, 2 * args.users
            )
        if os.environ.get("BENCH_METRICS"):  # a folder: each server's /metrics after its run
            async with session.get(f"{server.url}/metrics") as response:
                text = await response.text()
            Path(os.environ["BENCH_METRICS"], f"{name}.txt").write_text(text)  # noqa: ASYNC240
    result.rss_mb = server.peak_rss_mb()
    return result


@dataclass(frozen=True)
class Phase:
    """One server driven by `users` concurrent users on one client session."""

    session: aiohttp.ClientSession
    server: Server
    connector: Connector
    seeded: Seeded | None
    users: int

    async def measure(
        self, name: str, commands: tuple[str, ...], turns: int, warmup: int
    ) -> Result:
        """`warmup` turns unmeasured, then `turns` turns of `commands` in turn."""
        rng = random.Random(42)
        counter = itertools.count()
        connector, server = self.connector, self.server

        async def one(number: int, result: Result | None) -> None:
            # Warm-up visits every channel and personal chat once (the bot stores a
            # conversation reference on first contact, as in production); measured turns pick
            # at random.
            if result is None:
                index, personal = number // 2 % INSPECTIONS, number % 2 == 0
            else:
                index, personal = rng.randrange(INSPECTIONS), rng.random() < 1 / 3
            text = commands[number % len(commands)]
            payload = activity(text, number, self.seeded, connector.url, index, personal)
            started = time.perf_counter()
            try:
                async with self.session.post(
                    f"{server.url}/api/messages", json=payload
                ) as response:
                    await response.read()
                    ok = response.status in (200, 201, 202)
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            if result is not None:
                if ok:
                    result.latencies_ms.append(elapsed)
                else:
                    result.errors += 1

        async def worker(limit: int, result: Result | None) -> None:
            while (number := next(counter)) < limit:
                await one(number, result)

        await asyncio.gather(*(worker(warmup, None) for _ in range(self.users)))
        counter = itertools.count()
        connector.received = connector.failed_replies = 0
        result = Result(name=name, turns=turns, seconds=0.0)
        queries_before = await self.queries()
        async with sampled(server, name):
            user_before, system_before = server.cpu_seconds()
            started = time.perf_counter()
            await asyncio.gather(*(worker(turns, result) for _ in range(self.users)))
            result.seconds = time.perf_counter() - started
            user_after, system_after = server.cpu_seconds()
        queries_after = await self.queries()
        if queries_before is not None and queries_after is not None:
            result.statements_per_turn = (
                queries_after["statements"] - queries_before["statements"]
            ) / turns
            result.checkouts_per_turn = (
                queries_after["checkouts"] - queries_before["checkouts"]
            ) / turns
        cpu = (user_after - user_before) + (system_after - system_before)
        result.cpu_ms_per_turn = cpu * 1000 / turns
        result.system_cpu_share = (system_after - system_before) / cpu if cpu else float("nan")
        result.replies = connector.received
        result.errors += connector.failed_replies
        if result.replies < turns - result.errors:
            # A turn answered 200 without a reply reaching Teams counts as an error.
            result.errors += turns - result.errors - result.replies
        return result

    async def queries(self) -> dict[str, int] | None:
        """The app's statement and check-out counts, when it serves them (BENCH_QUERIES=1)."""
        if not os.environ.get("BENCH_QUERIES"):
            return None
        async with self.session.get(f"{self.server.url}/bench/queries") as response:
            if response.status != 200:
                return None  # an echo bot
            counts: dict[str, int] = await response.json()
            return counts


@contextlib.asynccontextmanager
async def sampled(server: Server, name: str) -> AsyncIterator[None]:
    """BENCH_PYSPY=FOLDER: py-spy samples the server during these turns (only), from outside
    (--nonblocking: the server is never paused, its CPU figure is not changed), and writes
    FOLDER/NAME.txt for bench/profile_summary.py."""
    folder = os.environ.get("BENCH_PYSPY")
    if not folder:
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the turns
    out = Path(folder, re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".txt")
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")),
        *("record", "--pid", str(server.process.pid), "--format", "raw", "--full-filenames"),
        *("--nonblocking", "--threads", "--rate", os.environ.get("BENCH_PYSPY_RATE", "200")),
        *("--output", str(out)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    await asyncio.sleep(0.5)  # attached
    if spy.returncode is not None:
        raise RuntimeError(
            "py-spy could not sample the server: install it (`pip install -e '.[bench]'`) "
            "and run as a user allowed to trace it (root, or ptrace_scope 0)"
        )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes the file when interrupted
        _, errors = await asyncio.wait_for(spy.communicate(), timeout=60)
        if not out.exists():  # noqa: ASYNC240 - once, after the turns
            print(f"py-spy wrote no profile for {name}: {errors.decode()[-500:]}", file=sys.stderr)


async def postgres_database(admin_url: str) -> tuple[str, str]:
    import asyncpg  # type: ignore[import-untyped]

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"inspection_bot_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(dsn, timeout=5)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, timeout=5)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    connector = Connector()
    await connector.start()
    results: dict[str, Result] = {}

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr)

    try:
        for key, kind, label in (
            ("echo", "serve-echo", "botbuilder echo bot"),
            ("agents_echo", "serve-agents-echo", "Agents SDK echo agent"),
        ):
            say(f"{label}: {args.turns} turns, {args.users} users")
            baseline = await start_server(kind)
            try:
                results[key] = await drive(key, baseline, connector, None, args)
            finally:
                baseline.stop()
        for backend in args.backends:
            cleanup: str | None = None
            if backend == "sqlite":
                folder = tempfile.mkdtemp(prefix="inspection-bot-bench-")
                url = f"sqlite+aiosqlite:///{folder}/bench.db"
            else:
                url, cleanup = await postgres_database(args.postgres_url)
            try:
                say(
                    f"{backend}: seeding {INSPECTIONS} inspections, {REQUESTS} requests, "
                    f"{FILES} files"
                )
                seeded = await seed(url)
                say(f"{backend}: seeded in {seeded.seconds:.1f} s; {args.turns} turns")
                app = await start_server("serve-app", url)
                try:
                    result = await drive(backend, app, connector, seeded, args)
                    result.seed_seconds = seeded.seconds
                    results[backend] = result
                finally:
                    app.stop()
            finally:
                if cleanup:
                    await drop_postgres(args.postgres_url, cleanup)
    finally:
        await connector.stop()
    return report(results, args)


def ratios(result: Result, echo: Result, agents: Result) -> dict[str, float]:
    """The result against both baselines: `..._ratio` to the botbuilder echo bot,
    `..._ratio_agents` to the Agents SDK echo agent."""
    out: dict[str, float] = {}
    for suffix, base in (("", echo), ("_agents", agents)):
        out[f"p99_ratio{suffix}"] = round(result.percentile(99) / base.percentile(99), 3)
        out[f"throughput_ratio{suffix}"] = round(result.throughput / base.throughput, 2)
        out[f"cpu_ratio{suffix}"] = round(result.cpu_ms_per_turn / base.cpu_ms_per_turn, 2)
    return out


def report(results: dict[str, Result], args: argparse.Namespace) -> dict[str, Any]:
    echo, agents = results["echo"], results["agents_echo"]
    out: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "users": args.users,
        "turns": args.turns,
        "command_turns": args.command_turns,
        "seed": {"inspections": INSPECTIONS, "requests": REQUESTS, "files": FILES},
        "echo": echo.summary(),
        "agents_echo": {**agents.summary(), **ratios(agents, echo, agents)},
        "backends": {},
    }
    for name, result in results.items():
        if name in ("echo", "agents_echo"):
            continue
        summary = {**result.summary(), **ratios(result, echo, agents)}
        for command, alone in result.by_command.items():
            if command in echo.by_command and command in agents.by_command:
                summary["commands"][command].update(
                    ratios(alone, echo.by_command[command], agents.by_command[command])
                )
        out["backends"][name] = summary
    if "postgresql" in out["backends"]:
        # Issue 14's target: each command alone (the mixed run when none was driven alone).
        pg = out["backends"]["postgresql"]
        measured = {
            command: row["cpu_ratio_agents"]
            for command, row in pg.get("commands", {}).items()
            if command in COMMANDS
        } or {"mixed": pg["cpu_ratio_agents"]}
        out["agents_cpu_target"] = {
            "limit": AGENTS_CPU_TARGET,
            "ratios": measured,
            "met": all(ratio <= AGENTS_CPU_TARGET for ratio in measured.values()),
        }
    first = next(iter(out["backends"].values()))
    out.update(
        p50_ms=first["p50_ms"],
        p95_ms=first["p95_ms"],
        p99_ms=first["p99_ms"],
        echo_p99_ms=out["echo"]["p99_ms"],
        p99_ratio=first["p99_ratio"],
        throughput_ratio=first["throughput_ratio"],
        errors=sum(r.all_errors for r in results.values()),
        rss_mb=max(r.rss_mb for n, r in results.items() if n not in ("echo", "agents_echo")),
    )
    return out


def table(out: dict[str, Any]) -> str:
    rows = [
        ("botbuilder echo", out["echo"]),
        ("Agents SDK echo", out["agents_echo"]),
        *out["backends"].items(),
    ]
    lines = [
        f"{out['date']} - {out['machine']} - {out['users']} concurrent users, "
        f"{out['turns']} turns per target (mixed), then {out['command_turns']} per command alone",
        "ratios: /echo to the botbuilder echo bot, /agents to the Agents SDK echo agent; "
        "kernel: the share of the CPU spent in system calls",
        f"{'target':<17}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'p99/echo':>10}{'tput/echo':>10}{'errors':>8}{'RSS MB':>8}{'CPU ms/turn':>12}"
        f"{'CPU/echo':>10}{'CPU/agents':>11}{'kernel':>8}",
    ]
    for name, row in rows:
        lines.append(
            f"{name:<17}{row['throughput_per_s']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}"
            f"{row['p99_ms']:>9}{row.get('p99_ratio', 1.0):>10}"
            f"{row.get('throughput_ratio', 1.0):>10}"
            f"{row['errors']:>8}{row['rss_mb']:>8}{row['cpu_ms_per_turn']:>12}"
            f"{row.get('cpu_ratio', 1.0):>10}{row.get('cpu_ratio_agents', 1.0):>11}"
            f"{row['system_cpu_share']:>8.0%}"
        )
    commands = list(out["echo"].get("commands", {}))
    if commands:
        lines.append("")
        lines.append("each command alone: CPU ms/turn (CPU/echo, CPU/agents); p99 ms")
        header = f"{'command':<22}{'botbuilder echo':>17}{'Agents SDK echo':>17}"
        header += "".join(f"{name:>26}" for name in out["backends"])
        lines.append(header)
        for command in commands:
            echo = out["echo"]["commands"][command]
            agents = out["agents_echo"]["commands"][command]
            line = (
                f"{command:<22}{echo['cpu_ms_per_turn']:>9}; {echo['p99_ms']:>6.0f}"
                f"{agents['cpu_ms_per_turn']:>9}; {agents['p99_ms']:>6.0f}"
            )
            for backend in out["backends"].values():
                row = backend["commands"][command]
                cell = (
                    f"{row['cpu_ms_per_turn']} ({row['cpu_ratio']}, {row['cpu_ratio_agents']}); "
                    f"{row['p99_ms']:.0f}"
                )
                line += f"{cell:>26}"
            lines.append(line)
    if "agents_cpu_target" in out:
        target = out["agents_cpu_target"]
        lines.append(
            f"PostgreSQL CPU per turn / Agents SDK echo (target <= {target['limit']}): "
            + ", ".join(f"{command} {ratio}" for command, ratio in target["ratios"].items())
            + (": met" if target["met"] else ": NOT met")
        )
    lines.append(f"load average at the end (other work on the machine): {out['load_average']}")
    return "\n".join(lines)


def main() -> int:
    servers = {
        "serve-app": lambda argv: serve_app(int(argv[0]), argv[1]),
        "serve-echo": lambda argv: serve_echo(int(argv[0])),
        "serve-agents-echo": lambda argv: serve_agents_echo(int(argv[0])),
    }
    if len(sys.argv) > 1 and sys.argv[1] in servers:
        servers[sys.argv[1]](sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few minutes: SQLite only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--turns", type=int, help="turns per target (default 10,000; quick 1,500)")
    parser.add_argument(
        "--command-turns",
        type=int,
        help="turns of each command alone after the mixed run, per target "
        "(default 2,000; quick 400; 0: none)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=3 * INSPECTIONS,
        help="turns before measuring (default: "
        "enough to reach every channel and personal chat once)",
    )
    parser.add_argument(
        "--backends", default=None, help="comma-separated: sqlite,postgresql (quick: sqlite)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--commands",
        help="'|'-separated texts to send instead of the three standard ones "
        "(each is then also driven alone, instead of the three and `help`)",
    )
    args = parser.parse_args()
    args.turns = args.turns or (1_500 if args.quick else 10_000)
    if args.command_turns is None:
        args.command_turns = 400 if args.quick else 2_000
    if args.turns < 1 or args.command_turns < 0 or args.users < 1 or args.warmup < 0:
        parser.error("--turns and --users must be >= 1; --command-turns and --warmup 0 or more")
    args.commands = tuple(args.commands.split("|")) if args.commands else COMMANDS
    args.single_commands = args.commands if args.commands != COMMANDS else SINGLE_COMMANDS
    args.backends = (args.backends or ("sqlite" if args.quick else "sqlite,postgresql")).split(",")
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; use sqlite,postgresql")
    if importlib.util.find_spec("microsoft_agents") is None:
        parser.error(
            "the Agents SDK echo agent needs microsoft-agents-hosting-aiohttp: "
            "run `.venv/bin/pip install -e '.[bench]'` first"
        )
    out = asyncio.run(run(args))
    if args.json:
        print(json.dumps(out))
    else:
        print(table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
