"""Entry points: `create_app(settings)` builds the aiohttp application; `main()` is the CLI.

Nothing happens at import time: the bot's modules (botbuilder, the database) are imported and
built inside `create_app`, so the CLI's other commands start quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from cli import app_package, common, documents, inspections, purge, requests, serve, timeline
from cli import reminders as remind

if TYPE_CHECKING:
    from inspection.clock import Clock
    from inspection.directory import Directory
    from settings import Settings

# Each module adds its sub-commands; the order is the order in `--help`.
COMMAND_MODULES = [timeline, inspections, serve, documents, purge, requests, app_package, remind]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    directory: Directory | None = None,
    migrate: bool = True,
    retry_base_seconds: float = 0.5,
) -> web.Application:
    """The bot's web application: `POST /api/messages`, `GET /healthz`.

    Everything is built here, in one place: database, domain services, the router with every
    feature module, the Bot Framework adapter. The database is migrated and opened when the
    application starts and closed when it stops; the scheduler (when present) starts and stops
    with it. `clock` and `directory` replace the real ones in tests and local runs.
    """
    from bot.adapter import build_adapter
    from bot.commands import build_router
    from bot.operations import mount_operations
    from bot.services import Services
    from bot.teams import InspectionBot
    from bot.web import HealthCheck, health_handler, messages_handler
    from cli.common import frameworks as load_frameworks
    from inspection.clock import SystemClock
    from inspection.inspections import InspectionService
    from store.conversations import SqlConversationStore
    from store.database import Database
    from store.inspections import SqlInspectionRepository

    database = Database(settings.database_url)
    registry = load_frameworks(settings)
    repository = SqlInspectionRepository(database)
    the_clock = clock or SystemClock()
    services = Services(
        database=database,
        frameworks=registry,
        clock=the_clock,
        repository=repository,
        inspections=InspectionService(repository, registry, the_clock),
        conversations=SqlConversationStore(database),
        directory=directory,
    )
    router = build_router(services)
    adapter, authentication = build_adapter(settings)
    bot = InspectionBot(router, services, retry_base_seconds=retry_base_seconds)

    app = web.Application(client_max_size=settings.bot_max_request_bytes)
    app[SERVICES] = services
    app[BOT] = bot
    checks: dict[str, HealthCheck] = {"database": database.ping}
    app[HEALTH_CHECKS] = checks
    app.router.add_post(
        "/api/messages", messages_handler(adapter, bot, settings.bot_max_request_bytes)
    )
    app.router.add_get("/healthz", health_handler(checks))
    mount_operations(app, checks, metrics_token=settings.metrics_token)  # /readyz, /metrics

    async def lifecycle(_app: web.Application) -> Any:
        if migrate:
            await database.migrate()
        yield
        await authentication.close()
        await database.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app


# Keys to what create_app built (tests, and other modules mounting routes on the app).
SERVICES: web.AppKey[Any] = web.AppKey("services", object)
BOT: web.AppKey[Any] = web.AppKey("bot", object)
HEALTH_CHECKS: web.AppKey[dict[str, Any]] = web.AppKey("health_checks", dict)


def build_parser() -> argparse.ArgumentParser:
    parser = common.OneLineParser(
        prog="inspection-bot",
        description="Inspection bot: the paperwork side of a children's social care inspection.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    for subparser in commands.choices.values():
        _one_line_errors(subparser)
    return parser


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    parser.__class__ = common.OneLineParser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _one_line_errors(child)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
