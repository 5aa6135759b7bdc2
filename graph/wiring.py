"""Building graph/ from the settings, for the composition root (app/), the CLI and the scheduler.

- `create_directory(settings, database)`: the `ChannelWorkspace` to hand to the domain.
- `local_graph(settings)`: when no Azure credentials are configured, start the emulator
  in-process (files under GRAPH_EMULATOR_FOLDER) and return settings pointing at it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from graph.client import DEFAULT_BASE_URL, GraphConfig, build_client
from graph.emulator import GraphEmulator, seed_local
from graph.notifications import (
    SubscriptionManager,
)
from graph.workspace import GraphWorkspace
from inspection.clock import Clock, SystemClock
from store.database import Database
from store.files import SqlFileStore

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


def create_directory(
    settings: Any, database: Database, *, clock: Clock | None = None
) -> GraphWorkspace:
    config = GraphConfig.from_settings(settings)
    return GraphWorkspace(build_client(config), SqlFileStore(database), config, clock=clock)


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
