"""What `inspection-bot local` adds around the bot: the demo, and Microsoft's Teams emulator.

`./dev run [--demo]` runs `inspection-bot local [--demo]`: the bot (SQLite, auth off), the
in-process Graph emulator (channel files in a visible folder) and the Teams emulator at
http://localhost:56150. Ctrl-C stops the bot, then the emulator. `--setup-only` does all the
set-up (database, demo, emulator install) and exits: what a fresh clone's first run does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli.common import CliError
from cli.playground import DEFAULT_PORT, PLAYGROUND_DIR, Prepared


@dataclass
class LocalExtras:
    data: Path
    demo_folder: Path | None = None
    playground: Prepared | None = None
    playground_port: int = DEFAULT_PORT
    notes: list[str] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="seed the demo inspection first (as `inspection-bot demo`; nothing is duplicated)",
    )
    parser.add_argument(
        "--no-teams-emulator",
        action="store_true",
        help="do not install or start Microsoft's Teams emulator",
    )
    parser.add_argument(
        "--teams-emulator-port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port for the Teams emulator (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--teams-user",
        default="lead",
        metavar="WHO",
        help="who you are in the Teams emulator's page: lead (the lead inspector, default), "
        "inspector, link, director, observer or outsider (no role)",
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="do the set-up (database, demo, emulator install), print it, and exit",
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def prepare(args: argparse.Namespace, data: Path) -> LocalExtras:
    """Everything before the bot starts; each step says what it did (or why it was skipped)."""
    from cli.demo import channel_folder, describe, local_paths, seed_local_demo
    from cli.playground import demo_person
    from cli.playground import prepare as prepare_playground

    extras = LocalExtras(data=data, playground_port=args.teams_emulator_port)
    try:
        you = demo_person(args.teams_user)
    except ValueError as exc:
        raise CliError(f"--teams-user: {exc}") from None
    if not 1 <= extras.playground_port <= 65535:
        raise CliError(
            f"--teams-emulator-port {extras.playground_port} is not a port; use 1 to 65535"
        )
    _, files_root = local_paths(data)
    if args.demo:
        result = asyncio.run(seed_local_demo(data))
        _say(describe(result).rstrip())
    if (channel_folder(files_root)).exists():
        extras.demo_folder = channel_folder(files_root)
    if args.no_teams_emulator:
        _say("Teams emulator: not started (--no-teams-emulator).")
        return extras
    _say(f"Teams emulator: setting up in {PLAYGROUND_DIR.resolve()} ...")
    prepared = prepare_playground(PLAYGROUND_DIR, current=you)
    _say(f"Teams emulator: {prepared.note}")
    role = you.role.label if you.role else "no role in the demo inspection"
    _say(f"Teams emulator: you are {you.name} ({role}); --teams-user chooses someone else.")
    if prepared.ready and not args.setup_only and not _port_free(extras.playground_port):
        _say(
            f"Teams emulator: port {extras.playground_port} is in use (another emulator "
            "running?), so it is not started; stop the other one or pass "
            "--teams-emulator-port."
        )
        return extras
    extras.playground = prepared if prepared.ready else None
    return extras


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def attach(app: Any, extras: LocalExtras, endpoint: str) -> None:
    """Give the Graph emulator the demo channel; run the Teams emulator with the bot."""
    from app import GRAPH_EMULATOR
    from cli.demo import add_demo_channel

    emulator = app[GRAPH_EMULATOR]
    if emulator is not None:
        add_demo_channel(emulator)
    if extras.playground is None:
        return
    prepared = extras.playground
    port = extras.playground_port

    async def teams_emulator(_app: Any) -> AsyncIterator[None]:
        from cli.playground import running, wait_ready

        async with running(prepared, endpoint, port) as process:

            async def announce() -> None:
                if await wait_ready(port, process):
                    lines = [
                        f"Teams emulator ready: open http://localhost:{port} in your browser.",
                        "  The personal chat is you; the team's channel 'Inspection - Harbour "
                        "View' and the group chat have everyone.",
                    ]
                    if extras.demo_folder is not None:
                        lines.append(
                            f"  Drop files for the demo inspection into: {extras.demo_folder}"
                        )
                    _say("\n".join(lines))
                    code = await process.wait()
                    _say(
                        f"Teams emulator stopped by itself (exit code {code}); see "
                        f"{prepared.folder / 'playground.log'}. The bot keeps running; restart "
                        "to get the emulator back."
                    )
                else:
                    _say(
                        "Teams emulator did not start; see "
                        f"{prepared.folder / 'playground.log'}. The bot keeps running."
                    )

            task = asyncio.create_task(announce())
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # Appended last: started after the bot's own start-up, stopped before its clean-up.
    app.cleanup_ctx.append(teams_emulator)
