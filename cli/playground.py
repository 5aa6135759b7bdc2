"""Microsoft's Teams emulator (Agents Playground) for local runs: install, configure, start, stop.

`inspection-bot local` installs the pinned `@microsoft/m365agentsplayground` from npm into the
project's own folder (`local/playground/`, via a package.json there: nothing global), writes its
mock tenant (`.m365agentsplayground.yml`: the demo people by role, with the ids the demo
inspection uses), and runs it with telemetry off, pointed at the bot. Without Node.js/npm, or
when npm cannot be reached, it says so and the bot runs alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from cli.demo import (
    BOT_ID,
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_NAME,
    DEMO_PEOPLE,
    GROUP_CHAT_ID,
    GROUP_CHAT_NAME,
    PERSONAL_CHAT_ID,
    TEAM_AAD_ID,
    TEAM_CONVERSATION_ID,
    TEAM_NAME,
    TENANT_ID,
    DemoPerson,
)

PACKAGE = "@microsoft/m365agentsplayground"
VERSION = "0.2.28"  # pinned: the scripted checks use its undocumented internal API
DEFAULT_PORT = 56150
PLAYGROUND_DIR = Path("local/playground")
CONFIG_NAME = ".m365agentsplayground.yml"
INSTALL_TIMEOUT = 300.0
BOT_NAME = "Inspection bot"


@dataclass(frozen=True)
class Prepared:
    """The result of `prepare`: the executable to run, or why the emulator is skipped."""

    folder: Path
    executable: Path | None
    note: str

    @property
    def ready(self) -> bool:
        return self.executable is not None


def _quote(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML scalar


def _user(p: DemoPerson, indent: str) -> list[str]:
    given, _, surname = p.name.partition(" ")
    fields = [
        ("id", p.teams_id),
        ("name", p.name),
        ("userPrincipleName", p.email),  # sic: the emulator's spelling
        ("aadObjectId", p.aad_object_id),
        ("givenName", given),
        ("surname", surname or given),
        ("email", p.email),
    ]
    lines = [f"{indent}{key}: {_quote(value)}" for key, value in fields]
    return lines


def demo_person(key: str) -> DemoPerson:
    """A demo person by the key of their emulator id ("lead", "link", ...)."""
    for p in DEMO_PEOPLE:
        if p.teams_id == f"user-{key}":
            return p
    keys = ", ".join(p.teams_id.removeprefix("user-") for p in DEMO_PEOPLE)
    raise ValueError(f"there is no demo person {key!r}; choose one of: {keys}")


def mock_tenant_yaml(current: DemoPerson = DEMO_PEOPLE[0]) -> str:
    """The emulator's mock tenant: `current` is who types in the emulator's page (the lead
    inspector unless chosen); the five others are its users (the emulator needs exactly five)."""
    others = [p for p in DEMO_PEOPLE if p != current]
    lines = [
        "# The Teams emulator's mock tenant, written by `inspection-bot local` (do not edit: it is",
        "# rewritten on every start). The people are the demo inspection's, by role, with the ids",
        "# the demo uses, so each role can be tried: pick a chat or @mention as someone else.",
        'version: "0.1.1"',
        f"tenantId: {_quote(TENANT_ID)}",
        "bot:",
        f"  id: {_quote(BOT_ID)}",
        f"  name: {_quote(BOT_NAME)}",
        f"# {current.role.label if current.role else 'no role'}",
        "currentUser:",
        *_user(current, "  "),
        "users:",
    ]
    for p in others:
        lines.append(f"  # {p.role.label if p.role else 'in the team, no role in the inspection'}")
        first, *rest = _user(p, "    ")
        lines.append("  - " + first.strip())
        lines.extend(rest)
    lines += [
        "personalChat:",
        f"  id: {_quote(PERSONAL_CHAT_ID)}",
        "groupChat:",
        f"  id: {_quote(GROUP_CHAT_ID)}",
        f"  name: {_quote(GROUP_CHAT_NAME)}",
        "team:",
        f"  id: {_quote(TEAM_CONVERSATION_ID)}",
        f"  name: {_quote(TEAM_NAME)}",
        f"  aadGroupId: {_quote(TEAM_AAD_ID)}",
        "  channels:",
        f"    - id: {_quote(DEMO_CHANNEL_ID)}",
        f"      name: {_quote(DEMO_CHANNEL_NAME)}",
    ]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, current: DemoPerson = DEMO_PEOPLE[0]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "inspection-bot-teams-emulator",
        "private": True,
        "description": "Microsoft's Teams emulator for local runs (installed by inspection-bot)",
        "dependencies": {PACKAGE: VERSION},
    }
    (folder / "package.json").write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
    (folder / CONFIG_NAME).write_text(mock_tenant_yaml(current), encoding="utf-8")


def executable(folder: Path) -> Path:
    return folder / "node_modules" / ".bin" / "agentsplayground"


def installed_version(folder: Path) -> str | None:
    manifest = folder / "node_modules" / "@microsoft" / "m365agentsplayground" / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))
    except (OSError, ValueError):
        return None


def prepare(
    folder: Path = PLAYGROUND_DIR,
    *,
    npm: str | None = None,
    current: DemoPerson = DEMO_PEOPLE[0],
) -> Prepared:
    """Write the package.json and mock tenant, and install the pinned emulator if needed."""
    folder = folder.resolve()
    try:
        write_config(folder, current)
    except OSError as exc:
        return Prepared(folder, None, f"cannot write {folder}: {exc.strerror}")
    if installed_version(folder) == VERSION and executable(folder).exists():
        return Prepared(folder, executable(folder), f"{PACKAGE}@{VERSION} already installed")
    npm_path = npm or shutil.which("npm")
    if npm_path is None or shutil.which("node") is None:
        return Prepared(
            folder,
            None,
            "Node.js and npm were not found, so Microsoft's Teams emulator is skipped and the "
            "bot runs alone. Install Node.js 20 or newer (it includes npm) and run this again.",
        )
    command = [npm_path, "install", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            command,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Prepared(
            folder,
            None,
            f"npm could not install {PACKAGE}@{VERSION} within {INSTALL_TIMEOUT:.0f} s (is the "
            "npm registry reachable?), so the Teams emulator is skipped and the bot runs alone.",
        )
    if done.returncode != 0 or not executable(folder).exists():
        last = (done.stderr or done.stdout).strip().splitlines()
        why = last[-1][:200] if last else f"exit code {done.returncode}"
        return Prepared(
            folder,
            None,
            f"npm could not install {PACKAGE}@{VERSION} ({why}); is the npm registry reachable? "
            "The Teams emulator is skipped and the bot runs alone.",
        )
    return Prepared(folder, executable(folder), f"installed {PACKAGE}@{VERSION} in {folder}")


def command_line(prepared: Prepared, endpoint: str, port: int) -> list[str]:
    assert prepared.executable is not None
    return [str(prepared.executable), "-e", endpoint, "-c", "msteams", "-p", str(port), "--dt"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["TEAMSAPPTESTER_BROWSER"] = "none"  # we print the address; no browser pops up
    return env


async def wait_ready(port: int, process: asyncio.subprocess.Process, within: float = 60) -> bool:
    """Until `GET /_debug/ping` answers `pong` (or the emulator exits)."""
    from aiohttp import ClientError, ClientSession, ClientTimeout

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with ClientSession(timeout=ClientTimeout(total=2)) as session:
        while loop.time() < deadline and process.returncode is None:
            with contextlib.suppress(ClientError, asyncio.TimeoutError):
                async with session.get(f"http://127.0.0.1:{port}/_debug/ping") as response:
                    if response.status == 200 and "pong" in await response.text():
                        return True
            await asyncio.sleep(0.25)
    return False


@contextlib.asynccontextmanager
async def running(
    prepared: Prepared, endpoint: str, port: int, *, say: object = print
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run the emulator for the duration of the block; stop it (and its children) after."""
    log_path = prepared.folder / "playground.log"
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *command_line(prepared, endpoint, port),
            cwd=prepared.folder,
            env=environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C stops the bot first; the bot then stops this
        )
    try:
        yield process
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
