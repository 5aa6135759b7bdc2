"""Building graph/ from the settings, for app.py, the CLI and the scheduler.

- `create_directory(settings, database)`: the `Directory` to hand to the domain.
- `local_graph(settings)`: when no Azure credentials are configured, start the emulator
  in-process (files under GRAPH_EMULATOR_FOLDER) and return settings pointing at it.
- `attach_subscriptions(app, services, settings, files, poller)`: change notifications for the
  channels' Files on the web app: the endpoint, and the upkeep of the subscriptions.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiohttp import web

from graph.client import DEFAULT_BASE_URL, GraphConfig, build_client
from graph.directory import GraphDirectory
from graph.emulator import GraphEmulator, seed_local
from graph.notifications import (
    NotificationReceiver,
    SubscriptionManager,
    UpkeepReport,
    check_notification_settings,
)
from inspection.clock import Clock, SystemClock
from inspection.errors import InspectionError
from store.database import Database
from store.files import SqlFileStore

if TYPE_CHECKING:
    from scheduler.file_sync import FileSyncPoller

log = logging.getLogger(__name__)


def create_directory(
    settings: Any, database: Database, *, clock: Clock | None = None
) -> GraphDirectory:
    config = GraphConfig.from_settings(settings)
    return GraphDirectory(build_client(config), SqlFileStore(database), config, clock=clock)


def create_subscriptions(
    settings: Any, database: Database, *, clock: Clock | None = None
) -> SubscriptionManager:
    config = GraphConfig.from_settings(settings)
    return SubscriptionManager(
        build_client(config), SqlFileStore(database), config, clock or SystemClock()
    )


def has_azure_credentials(settings: Any) -> bool:
    config = GraphConfig.from_settings(settings)
    if config.credential not in ("auto", "static"):
        return True
    return bool(config.certificate_path or (config.client_id and config.client_secret))


def wants_local_emulator(settings: Any) -> bool:
    """Graph left at its default and no credentials: run against the emulator instead."""
    base = str(settings.graph_base_url).rstrip("/")
    return base == DEFAULT_BASE_URL and not has_azure_credentials(settings)


@asynccontextmanager
async def local_graph(settings: Any, *, watch_seconds: float = 2.0) -> AsyncIterator[Any]:
    """Yield settings to use: unchanged, or pointing at an in-process emulator."""
    if not wants_local_emulator(settings):
        yield settings
        return
    emulator = GraphEmulator(settings.graph_emulator_folder, private_provisioning_404s=1)
    team = seed_local(emulator, settings.graph_team_id or None)
    await emulator.start()
    emulator.watch(watch_seconds)
    try:
        yield settings.model_copy(
            update={"graph_base_url": emulator.base_url, "graph_team_id": team.id}
        )
    finally:
        await emulator.stop()


def attach_subscriptions(
    app: web.Application,
    services: Any,
    settings: Any,
    files: SqlFileStore,
    poller: FileSyncPoller,
) -> NotificationReceiver | None:
    """Change notifications for the channels' Files, on the bot's web app.

    GRAPH_CLIENT_STATE set: `POST /api/notifications` (and `/api/notifications/lifecycle`) are
    mounted; each notification runs `poller.sync_now` for its inspection in the background.
    GRAPH_NOTIFICATION_URL set as well: once the app has started (and `services.directory`,
    a `GraphDirectory`, is built), the subscription upkeep runs every
    GRAPH_SUBSCRIPTION_CHECK_SECONDS: subscribe, renew, re-create, delete. Without a
    notification URL (local runs), nothing is subscribed and the files are polled as before.
    """
    from scheduler.subscriptions import SubscriptionUpkeep

    config = GraphConfig.from_settings(settings)
    if not config.client_state:
        return None
    if config.notification_url:
        check_notification_settings(config)  # a bad URL or secret stops the start, clearly
    managers: list[SubscriptionManager] = []

    async def changed(subscription_id: str) -> None:
        stored = await files.subscription(subscription_id)
        if stored is None:
            log.warning("notification for unknown subscription %s ignored", subscription_id)
            return
        await poller.sync_now(stored.inspection_id)

    async def lifecycle(subscription_id: str, event: str) -> None:
        if managers:
            inspection_id = await managers[0].lifecycle(subscription_id, event)
        else:
            stored = await files.subscription(subscription_id)
            inspection_id = stored.inspection_id if stored is not None else None
        if inspection_id is not None:
            # Whatever the event, changes may have gone unnotified: a delta sync finds them.
            await poller.sync_now(inspection_id)

    receiver = NotificationReceiver(changed, config.client_state, lifecycle=lifecycle)
    app.router.add_routes(receiver.routes())

    async def running(_app: web.Application) -> AsyncIterator[None]:
        upkeep: SubscriptionUpkeep | None = None
        directory = services.directory
        if config.notification_url and isinstance(directory, GraphDirectory):
            manager = SubscriptionManager(directory.client, files, directory.config, services.clock)
            managers.append(manager)
            services.extras["subscriptions"] = manager

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
            services.extras["subscription_upkeep"] = upkeep
            upkeep.start()
        yield
        if upkeep is not None:
            await upkeep.shutdown()
        await receiver.close()

    app.cleanup_ctx.append(running)
    return receiver
