"""The composition root: every service is built here, once, and handed to what uses it.

- `build_services(settings, ...)`: the database, the domain services, the one sender, the
  Graph directory (or its in-process emulator), the checklist board, the file poller and the
  reminder dispatcher, as one typed `bot.services.Services`.
- `create_app(settings, ...)`: the aiohttp application around them: `POST /api/messages`
  (the Teams app: one router for every activity kind), Graph's change notifications,
  `/healthz`, `/readyz`, `/metrics`, and the jobs that start and stop with it.

Nothing happens at import time; the command line is `cli/main.py`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.services import Services
    from graph.emulator import GraphEmulator
    from graph.notifications import SubscriptionManager
    from inspection.clock import Clock
    from inspection.notifier import Notifier
    from inspection.workspace import ChannelWorkspace
    from settings import Settings
    from store.files import SqlFileStore

log = logging.getLogger("app")


@dataclass
class _Graph:
    """Microsoft Graph as configured: the directory, and what starts and stops with it."""

    directory: ChannelWorkspace | None
    files: SqlFileStore
    emulator: GraphEmulator | None = None
    # GRAPH_CLIENT_STATE: the secret change notifications carry (None: no notifications).
    client_state: str | None = None
    # GRAPH_NOTIFICATION_URL set too: the subscriptions the bot keeps (subscribe, renew...).
    subscriptions: SubscriptionManager | None = None
    # The emulator's team, where local runs make their channels.
    team_id: str | None = None


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    directory: ChannelWorkspace | None = None,
    notifier: Notifier | None = None,
    retry_base_seconds: float = 0.5,
    graph_emulator: Path | None = None,
    poll_files: bool = False,
    scheduler: bool = False,
) -> Services:
    """Every service, built once (see `_build`)."""
    services, _graph = _build(
        settings,
        clock=clock,
        directory=directory,
        notifier=notifier,
        retry_base_seconds=retry_base_seconds,
        graph_emulator=graph_emulator,
        poll_files=poll_files,
        scheduler=scheduler,
    )
    return services


def _build(
    settings: Settings,
    *,
    clock: Clock | None,
    directory: ChannelWorkspace | None,
    notifier: Notifier | None,
    retry_base_seconds: float,
    graph_emulator: Path | None,
    poll_files: bool,
    scheduler: bool,
) -> tuple[Services, _Graph]:
    """Every service, built once. `clock`, `directory` and `notifier` replace the real ones in
    tests, local runs and dry runs (the reminders preview); `graph_emulator` is a folder for
    the in-process Graph emulator (local runs, no Azure); `poll_files` and `scheduler` add the
    Files poller and the reminder scheduler."""
    from bot.adapter import build_adapter
    from bot.features.checklist.board import ChecklistBoard
    from bot.notifier import TeamsNotifier
    from bot.sender import RetryPolicy, Sender, SendPolicy
    from bot.services import Services
    from inspection.checklist import InspectionChecklist
    from inspection.clock import SystemClock
    from inspection.inspections import InspectionService
    from inspection.intake import ChecklistIntake
    from inspection.reminder_dispatch import ReminderDispatcher
    from inspection.request_export import LogPublisher
    from inspection.requests import RequestLog
    from scheduler.runtime import ReminderScheduler
    from scheduler.sources import ChecklistServiceSource, StoreRequestSource
    from settings import load_frameworks
    from store.checklist import SqlChecklistStore
    from store.checklist_cards import SqlChecklistCards
    from store.conversations import SqlConversationStore
    from store.database import Database
    from store.inspections import SqlInspectionRepository
    from store.outbox import SqlImprovementRepository, SqlOutbox
    from store.reminder_schedule import SqlReminderSchedule
    from store.request_log import SqlRequestRepository

    database = Database(settings.database_url)
    frameworks = load_frameworks(settings)
    the_clock = clock or SystemClock()
    repository = SqlInspectionRepository(database)
    conversations = SqlConversationStore(database)
    requests = RequestLog(
        SqlRequestRepository(database),
        repository,
        frameworks,
        the_clock,
        extra_closures=settings.extra_closures,
    )
    checklist_store = SqlChecklistStore(database)
    checklist = InspectionChecklist(checklist_store, frameworks, the_clock)
    graph = _graph(settings, database, directory, graph_emulator, the_clock)
    intake = ChecklistIntake(checklist_store, frameworks, the_clock, directory=graph.directory)

    adapter, _authentication = build_adapter(
        settings, SendPolicy(RetryPolicy(base_seconds=retry_base_seconds))
    )
    sender = Sender(adapter, settings.microsoft_app_id)
    notifier = notifier or TeamsNotifier(sender, conversations, repository)
    board = ChecklistBoard(
        intake,
        SqlChecklistCards(database),
        sender=sender,
        notifier=notifier,
        conversations=conversations,
        frameworks=frameworks,
        clock=the_clock,
    )
    outbox = SqlOutbox(database)
    dispatcher = ReminderDispatcher(
        inspections=repository,
        frameworks=frameworks,
        outbox=outbox,
        notifier=notifier,
        clock=the_clock,
        checklist=ChecklistServiceSource(checklist, repository),
        requests=StoreRequestSource(database),
        improvements=SqlImprovementRepository(database),
        extra_closures=settings.extra_closures,
        delayed_after=timedelta(minutes=settings.reminder_delayed_after_minutes),
        retry_after=timedelta(minutes=settings.reminder_retry_minutes),
        # A tick plans only the inspections whose next reminder time has come or that changed.
        schedule=SqlReminderSchedule(database),
    )
    publisher = None
    if graph.directory is not None:
        # The Excel copy in the channel's "Information requests" folder, after every change
        # (7.3: the one list), written after the person has had their answer.
        publisher = LogPublisher(graph.directory, requests, background=True)
        requests.add_listener(publisher)
    services = Services(
        database=database,
        frameworks=frameworks,
        clock=the_clock,
        repository=repository,
        inspections=InspectionService(repository, frameworks, the_clock),
        conversations=conversations,
        requests=requests,
        checklist=checklist,
        intake=intake,
        outbox=outbox,
        dispatcher=dispatcher,
        notifier=notifier,
        sender=sender,
        board=board,
        channel_name_pattern=settings.graph_channel_name_pattern,
        inspections_team_id=graph.team_id or settings.graph_team_id or None,
        directory=graph.directory,
        subscriptions=graph.subscriptions,
        log_publisher=publisher,
        scheduler=ReminderScheduler(
            dispatcher, frameworks, interval_minutes=settings.scheduler_interval_minutes
        )
        if scheduler
        else None,
    )
    services.file_sync = _file_poller(services, settings, graph) if poll_files else None
    return services, graph


def _graph(
    settings: Settings,
    database: Any,
    directory: ChannelWorkspace | None,
    emulator_folder: Path | None,
    clock: Clock,
) -> _Graph:
    """Microsoft Graph (GRAPH_TEAM_ID set), the in-process emulator for local runs, or none.

    msgraph (about 35 MB) is imported only when one of them is used."""
    from store.files import SqlFileStore

    files = SqlFileStore(database)
    if directory is not None:
        return _Graph(directory, files)
    if emulator_folder is None and not settings.graph_team_id:
        return _Graph(None, files)
    from graph.client import GraphConfig, build_client
    from graph.workspace import GraphWorkspace

    config = GraphConfig.from_settings(settings)
    emulator = None
    if emulator_folder is not None:
        from graph.emulator import GraphEmulator, seed_local

        emulator = GraphEmulator(emulator_folder, private_provisioning_404s=0)
        team = seed_local(emulator)
        config = replace(config, base_url=emulator.bind(), team_id=team.id)
    client = build_client(config)
    graph = _Graph(
        GraphWorkspace(client, files, config, clock=clock),
        files,
        emulator=emulator,
        client_state=config.client_state or None,
        team_id=config.team_id or None,
    )
    if config.client_state and config.notification_url:
        from graph.notifications import SubscriptionManager, check_notification_settings

        check_notification_settings(config)  # a bad URL or secret stops the start, clearly
        graph.subscriptions = SubscriptionManager(client, files, config, clock)
    return graph


def _file_poller(services: Services, settings: Settings, graph: _Graph) -> Any:
    """Files in the channel reach the checklist: the polling job (and `sync files`)."""
    from scheduler.file_sync import FileSyncPoller

    files = graph.files

    async def has_subscription(inspection_id: int) -> bool:
        return bool(await files.has_live_subscription(inspection_id, services.clock.now()))

    return FileSyncPoller(
        services,
        services.board,
        interval_seconds=30.0 if graph.emulator is not None else settings.file_sync_minutes * 60,
        has_subscription=has_subscription,
        last_synced=files.last_synced,  # with a live subscription: a 30-minute safety net
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    directory: ChannelWorkspace | None = None,
    migrate: bool = True,
    retry_base_seconds: float = 0.5,
    scheduler: bool | None = None,
    graph_emulator: Path | None = None,
    turn_ack_seconds: float = 10.0,
) -> web.Application:
    """The bot's web application around `build_services`.

    The database is migrated and opened when the application starts and closed when it stops;
    the scheduler and the Files poller (when on) start and stop with it.

    `scheduler`: run the reminder scheduler and the Files poller (default: SCHEDULER_ENABLED).
    """
    from bot.features import build_router
    from bot.features.inspections.timeline_image import warm_up_context
    from bot.operations import mount_operations
    from bot.teams import InspectionBot
    from bot.web import BackgroundTurns, HealthCheck, health_handler, messages_handler
    from dialogs.runner import DialogRunner
    from dialogs.storage import SqlStorage
    from inspection.errors import Unavailable
    from inspection.privacy import warm_up as warm_up_privacy

    running = settings.scheduler_enabled if scheduler is None else scheduler
    services, graph = _build(
        settings,
        clock=clock,
        directory=directory,
        notifier=None,
        retry_base_seconds=retry_base_seconds,
        graph_emulator=graph_emulator,
        poll_files=True,
        scheduler=running,
    )
    adapter = services.sender.adapter
    router = build_router(services)
    # Multi-turn input (dialogs and the router's follow-up questions), with its state in the
    # database, so a conversation carries on after a restart and on any instance.
    dialogs = DialogRunner(
        SqlStorage(services.database, clock=services.clock), services.requests, services.clock
    )
    bot = InspectionBot(router, services, services.sender, dialogs=dialogs)

    app = web.Application(client_max_size=settings.bot_max_request_bytes)
    app[SERVICES] = services
    app[BOT] = bot
    app[GRAPH_EMULATOR] = graph.emulator
    checks: dict[str, HealthCheck] = {"database": services.database.ping}
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
            await services.database.migrate()
        # The privacy guard's name lists (9.7), read once now rather than on a turn's path.
        await asyncio.to_thread(warm_up_privacy)
        yield
        await background.drain(settings.shutdown_grace_seconds)
        await adapter.bot_framework_authentication.close()
        await services.database.dispose()

    # Registered first, so it runs before (and is torn down after) everything it feeds.
    app.cleanup_ctx.append(lifecycle)
    if settings.timeline_warm_up:  # matplotlib at start, not on the first picture
        app.cleanup_ctx.append(warm_up_context)
    _mount_graph(app, services, settings, graph)
    if running:
        from scheduler.file_sync import attach as attach_poller
        from scheduler.runtime import attach as attach_scheduler

        assert services.scheduler is not None and services.file_sync is not None
        reminders = services.scheduler
        attach_poller(app, services.file_sync)
        attach_scheduler(app, reminders)

        async def scheduler_running() -> None:
            if not reminders.running:
                raise Unavailable("the reminder scheduler is not running")

        checks["scheduler"] = scheduler_running
    return app


def _mount_graph(
    app: web.Application, services: Services, settings: Settings, graph: _Graph
) -> None:
    """The emulator's server (local runs), and Graph's change notifications: the endpoint
    (`POST /api/notifications`, `.../lifecycle`) and the upkeep of the subscriptions."""
    emulator = graph.emulator
    if emulator is not None:

        async def emulated(_app: web.Application) -> Any:
            await emulator.start()
            emulator.watch(2.0)
            yield
            await emulator.stop()

        app.cleanup_ctx.append(emulated)
    poller = services.file_sync
    if graph.client_state is None or poller is None:
        return
    from graph.notifications import NotificationReceiver, UpkeepReport
    from inspection.errors import InspectionError
    from scheduler.subscriptions import SubscriptionUpkeep

    files, manager = graph.files, graph.subscriptions

    async def changed(subscription_id: str) -> None:
        stored = await files.subscription(subscription_id)
        if stored is None:
            log.warning("notification for unknown subscription %s ignored", subscription_id)
            return
        await poller.sync_now(stored.inspection_id)

    async def lifecycle(subscription_id: str, event: str) -> None:
        if manager is not None:
            inspection_id = await manager.lifecycle(subscription_id, event)
        else:
            stored = await files.subscription(subscription_id)
            inspection_id = stored.inspection_id if stored is not None else None
        if inspection_id is not None:
            # Whatever the event, changes may have gone unnotified: a delta sync finds them.
            await poller.sync_now(inspection_id)

    receiver = NotificationReceiver(changed, graph.client_state, lifecycle=lifecycle)
    app.router.add_routes(receiver.routes())
    upkeep = None
    if manager is not None:

        async def upkeep_pass() -> UpkeepReport:
            report = await manager.reconcile()
            # Changes made before a new subscription existed were never notified.
            for inspection_id in report.created:
                try:
                    await poller.sync_now(inspection_id)
                except InspectionError as exc:
                    log.warning("sync after subscribing %s: %s", inspection_id, exc)
            return report

        upkeep = SubscriptionUpkeep(
            upkeep_pass, interval_seconds=settings.graph_subscription_check_seconds
        )

    async def running(_app: web.Application) -> Any:
        if upkeep is not None:
            upkeep.start()
        yield
        if upkeep is not None:
            await upkeep.shutdown()
        await receiver.close()

    app.cleanup_ctx.append(running)


# Keys to what create_app built (tests, and the local run's extras).
SERVICES: web.AppKey[Any] = web.AppKey("services", object)
BOT: web.AppKey[Any] = web.AppKey("bot", object)
GRAPH_EMULATOR: web.AppKey[Any] = web.AppKey("graph_emulator", object)
HEALTH_CHECKS: web.AppKey[dict[str, Any]] = web.AppKey("health_checks", dict)
BACKGROUND_TURNS: web.AppKey[Any] = web.AppKey("background_turns", object)
