"""Entry points: `create_app(settings)` builds the aiohttp application; `main()` is the CLI.

Nothing happens at import time: the bot's modules (botbuilder, the database) are imported and
built inside `create_app`, so the CLI's other commands start quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from cli import app_package, common, demo, documents, inspections, purge, requests, serve, timeline
from cli import graph as graph_cli
from cli import reminders as remind

if TYPE_CHECKING:
    from inspection.clock import Clock
    from inspection.directory import Directory
    from settings import Settings

# Each module adds its sub-commands; the order is the order in `--help`.
COMMAND_MODULES = [timeline, inspections, serve, documents, purge, requests, app_package, remind]
COMMAND_MODULES.append(graph_cli)  # setup-channel, sync-files (issue 3)
COMMAND_MODULES.append(demo)  # inspection-bot demo (issue 8)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    directory: Directory | None = None,
    migrate: bool = True,
    retry_base_seconds: float = 0.5,
    scheduler: bool | None = None,
    graph_emulator: Path | None = None,
    turn_ack_seconds: float = 10.0,
) -> web.Application:
    """The bot's web application: `POST /api/messages`, `GET /healthz`.

    Everything is built here, in one place: database, domain services, the router with every
    feature module, the Bot Framework adapter. The database is migrated and opened when the
    application starts and closed when it stops; the scheduler (when present) starts and stops
    with it. `clock` and `directory` replace the real ones in tests and local runs.

    `scheduler`: run the reminder scheduler (default: the SCHEDULER_ENABLED setting).
    `graph_emulator`: a folder for the in-process Graph emulator (local runs: no Azure).
    """
    from bot.adapter import build_adapter
    from bot.cards.timeline_image import warm_up_context
    from bot.commands import build_router
    from bot.operations import mount_operations
    from bot.services import Services
    from bot.teams import InspectionBot
    from bot.web import BackgroundTurns, HealthCheck, health_handler, messages_handler
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
    adapter, authentication = build_adapter(settings)
    _domain_services(services, settings, adapter)
    router = build_router(services)
    bot = InspectionBot(
        router, services, retry_base_seconds=retry_base_seconds, dialogs=_dialogs(services)
    )

    app = web.Application(client_max_size=settings.bot_max_request_bytes)
    app[SERVICES] = services
    app[BOT] = bot
    checks: dict[str, HealthCheck] = {"database": database.ping}
    app[HEALTH_CHECKS] = checks
    background = BackgroundTurns()  # turns longer than Teams waits (channel set-up)
    app[BACKGROUND_TURNS] = background
    app.router.add_post(
        "/api/messages",
        messages_handler(
            adapter,
            bot,
            settings.bot_max_request_bytes,
            background=background,
            ack_after=turn_ack_seconds,
            max_turns=settings.max_concurrent_turns,
        ),
    )
    app.router.add_get("/healthz", health_handler(checks))
    mount_operations(app, checks, metrics_token=settings.metrics_token)  # /readyz, /metrics

    async def lifecycle(_app: web.Application) -> Any:
        if migrate:
            await database.migrate()
        yield
        await background.drain(settings.shutdown_grace_seconds)
        await authentication.close()
        await database.dispose()

    # Registered first, so it runs before (and is torn down after) everything it feeds.
    app.cleanup_ctx.append(lifecycle)
    if settings.timeline_warm_up:  # matplotlib at start (else on the first picture: issue 7)
        app.cleanup_ctx.append(warm_up_context)
    polling = settings.scheduler_enabled if scheduler is None else scheduler
    _wire_graph(app, services, settings, directory, graph_emulator, poll=polling)
    if polling:
        _wire_scheduler(app, services, settings, checks)
    return app


def _dialogs(services: Any) -> Any:
    """Multi-turn dialogs with their state (and the router's follow-ups) in the database, so a
    conversation carries on after a restart and on any instance (dialogs/)."""
    from dialogs.runner import DialogRunner
    from store.bot_state import SqlStorage

    return DialogRunner(SqlStorage(services.database, clock=services.clock), services.requests,
                        services.clock)  # fmt: skip


def _domain_services(services: Any, settings: Settings, adapter: Any) -> None:
    """The request log, the checklist and the proactive notifier, on the shared database."""
    from bot.notifier import AdapterPoster, TeamsNotifier
    from inspection.checklist import InspectionChecklist
    from inspection.requests import RequestLog
    from store.checklist import SqlChecklistStore
    from store.outbox import SqlOutbox
    from store.requests import SqlRequestRepository

    database = services.database
    services.requests = RequestLog(
        SqlRequestRepository(database),
        services.repository,
        services.frameworks,
        services.clock,
        extra_closures=settings.extra_closures,
    )
    services.checklist = InspectionChecklist(
        SqlChecklistStore(database), services.frameworks, services.clock
    )
    services.outbox = SqlOutbox(database)
    services.notifier = TeamsNotifier(
        AdapterPoster(adapter, settings.microsoft_app_id),
        services.conversations,
        services.repository,
    )
    # The checklist card is updated in place through the adapter (bot/commands/checklist.py).
    services.extras["bot_adapter"] = adapter
    services.extras["bot_app_id"] = settings.microsoft_app_id


def _wire_scheduler(
    app: web.Application, services: Any, settings: Settings, checks: dict[str, Any]
) -> None:
    from inspection.errors import Unavailable
    from scheduler.runtime import attach, build_reminders

    reminders = build_reminders(services, settings, notifier=services.notifier)
    services.scheduler = reminders
    attach(app, reminders)

    async def scheduler_running() -> None:
        if not reminders.running:
            raise Unavailable("the reminder scheduler is not running")

    checks["scheduler"] = scheduler_running


def _wire_graph(
    app: web.Application,
    services: Any,
    settings: Settings,
    directory: Directory | None,
    emulator_folder: Path | None,
    *,
    poll: bool = True,
) -> None:
    """Microsoft Graph (GRAPH_TEAM_ID set), or the in-process emulator for local runs.

    msgraph (about 35 MB) is imported only when one of them is used (issue 7: memory)."""
    from store.files import SqlFileStore

    services.channel_name_pattern = settings.graph_channel_name_pattern
    services.inspections_team_id = settings.graph_team_id or None
    files = SqlFileStore(services.database)
    poller = _wire_file_sync(app, services, settings, files, poll=poll, local=bool(emulator_folder))
    if directory is not None:
        return
    if emulator_folder is None and not settings.graph_team_id:
        return
    from graph.client import GraphConfig, build_client
    from graph.directory import GraphDirectory

    if emulator_folder is not None:
        from graph.emulator import GraphEmulator, seed_local

        emulator = GraphEmulator(emulator_folder, private_provisioning_404s=0)
        team = seed_local(emulator)
        services.extras["graph_emulator"] = emulator  # the demo adds its channel (issue 8)
        services.inspections_team_id = team.id

        async def emulated(_app: web.Application) -> Any:
            base_url = await emulator.start()
            emulator.watch(2.0)
            config = replace(
                GraphConfig.from_settings(settings), base_url=base_url, team_id=team.id
            )
            services.directory = GraphDirectory(
                build_client(config), files, config, clock=services.clock
            )
            yield
            await emulator.stop()

        app.cleanup_ctx.append(emulated)
    else:
        config = GraphConfig.from_settings(settings)
        services.directory = GraphDirectory(
            build_client(config), files, config, clock=services.clock
        )
    from graph.wiring import attach_subscriptions  # change notifications for channel Files

    attach_subscriptions(app, services, settings, files, poller)


def _wire_file_sync(
    app: web.Application, services: Any, settings: Settings, files: Any, *, poll: bool, local: bool
) -> Any:
    """Files in the channel reach the checklist: the polling job (and `sync files`)."""
    from scheduler.file_sync import FileSyncPoller, attach

    async def has_subscription(inspection_id: int) -> bool:
        return bool(await files.has_live_subscription(inspection_id, services.clock.now()))

    poller = FileSyncPoller(
        services,
        services.extras["checklist_board"],
        interval_seconds=30.0 if local else settings.file_sync_minutes * 60,
        has_subscription=has_subscription,
        last_synced=files.last_synced,  # with a live subscription: a 30-minute safety net
    )
    services.extras["file_sync"] = poller.sync_now
    services.extras["file_poller"] = poller
    if poll:
        attach(app, poller)
    return poller


# Keys to what create_app built (tests, and other modules mounting routes on the app).
SERVICES: web.AppKey[Any] = web.AppKey("services", object)
BOT: web.AppKey[Any] = web.AppKey("bot", object)
HEALTH_CHECKS: web.AppKey[dict[str, Any]] = web.AppKey("health_checks", dict)
BACKGROUND_TURNS: web.AppKey[Any] = web.AppKey("background_turns", object)


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
