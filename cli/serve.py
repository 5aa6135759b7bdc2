"""`inspection-bot serve` (production) and `inspection-bot local` (your own machine, no Azure).

`local` forces local mode: SQLite under ./data, authentication off (the Teams emulator sends no
tokens), and Microsoft Graph replaced by the in-process emulator (files under ./data/graph-files).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli import local_run
from cli.common import CliError, settings
from inspection.errors import InspectionError
from logsetup import configure_logging, secrets_of
from settings import Settings, load_settings

LOCAL_DATA_DIR = Path("data")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the Teams bot (POST /api/messages)")
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3978)")
    serve.set_defaults(handler=_serve)

    local = commands.add_parser(
        "local", help="run the bot on this machine: SQLite in ./data, no Azure, auth off"
    )
    local.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    local.add_argument("--port", type=int, help="port to listen on (default 3978)")
    local.add_argument(
        "--data", type=Path, default=LOCAL_DATA_DIR, help="folder for the database and files"
    )
    local_run.add_arguments(local)  # --demo, the Teams emulator
    local.set_defaults(handler=_local)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if args.host:
        found["HOST"] = args.host
    if args.port is not None:
        found["PORT"] = args.port
    return found


def _serve(args: argparse.Namespace) -> int:
    try:
        config = load_settings(**_overrides(args)) if _overrides(args) else settings()
        return _run(config)
    except (CliError, InspectionError) as exc:
        sys.stderr.write(f"inspection-bot: error: {exc}\n")
        return 2


def _local(args: argparse.Namespace) -> int:
    data: Path = args.data
    try:
        data.mkdir(parents=True, exist_ok=True)
        config = load_settings(
            **_overrides(args),
            DATABASE_URL=f"sqlite+aiosqlite:///{(data / 'inspection-bot.db').resolve()}",
            MicrosoftAppId="",
            MicrosoftAppPassword="",
        )
        files_at = (data / "graph-files").resolve()
        files_at.mkdir(parents=True, exist_ok=True)
        extras = local_run.prepare(args, data)  # demo, Teams emulator
        if args.setup_only:
            sys.stdout.write("Set-up done (--setup-only): the bot was not started.\n")
            return 0
        return _run(config, graph_emulator=files_at, local=extras)
    except OSError as exc:
        sys.stderr.write(f"inspection-bot: error: cannot use {data}: {exc.strerror}\n")
        return 2
    except (CliError, InspectionError) as exc:
        sys.stderr.write(f"inspection-bot: error: {exc}\n")
        return 2


def _run(
    config: Settings,
    *,
    graph_emulator: Path | None = None,
    local: local_run.LocalExtras | None = None,
) -> int:
    from aiohttp import web

    from app import create_app

    # JSON lines in production; readable lines locally unless LOG_FORMAT says otherwise.
    local_text = config.local_mode and "log_format" not in config.model_fields_set
    fmt = "text" if local_text else config.log_format
    configure_logging(config.log_level, fmt=fmt, secrets=secrets_of(config))
    app = create_app(config, graph_emulator=graph_emulator)
    endpoint = f"http://{config.host}:{config.port}/api/messages"
    if local is not None:
        local_run.attach(app, local, endpoint)
    lines = [f"Inspection bot listening on {endpoint} (health: /healthz)."]
    if config.local_mode and (local is None or local.playground is None):
        lines.append(
            "Local mode: authentication is OFF. Try it with Microsoft's Teams emulator:\n"
            f"  npx @microsoft/m365agentsplayground@0.2.28 -e {endpoint} -c msteams"
        )
    if graph_emulator is not None:
        lines.append(
            "Microsoft Graph is emulated in-process: each inspection channel's files are "
            f"folders under {graph_emulator}; drop documents there and the checklist reacts."
        )
    elif not config.graph_team_id:
        lines.append("Microsoft Graph is not configured (GRAPH_TEAM_ID): no channels are made.")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        shutdown_timeout=config.shutdown_grace_seconds,
        print=None,
        access_log=None,
    )
    return 0
