"""Fixtures: a loopback Graph emulator, a seeded team, and GraphWorkspace on the real SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.client import GraphConfig, build_client
from graph.emulator import EmulatedTeam, GraphEmulator, seed_local
from graph.workspace import GraphWorkspace
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection, Member, Role
from inspection.workspace import ChannelSetup, ChannelSetupResult, channel_folders
from store.database import Database
from store.files import SqlFileStore
from store.inspections import SqlInspectionRepository

LEAD = "11111111-1111-4111-8111-111111111111"
INSPECTOR = "22222222-2222-4222-8222-222222222222"
LINK_OFFICER = "33333333-3333-4333-8333-333333333333"
DIRECTOR = "44444444-4444-4444-8444-444444444444"

# 10:00 in London on a winter day (GMT), so "I'll retry at 10:15" with 15 retry minutes.
MORNING = datetime(2024, 2, 5, 10, 0, tzinfo=UTC)


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[GraphEmulator]:
    async with GraphEmulator(tmp_path / "graph-files", page_size=200) as running:
        yield running


@pytest.fixture
def team(emulator: GraphEmulator) -> EmulatedTeam:
    return seed_local(emulator)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MORNING)


DirectoryFactory = Callable[..., GraphWorkspace]


@pytest.fixture
def make_directory(
    emulator: GraphEmulator, sqlite_database: Database, clock: FixedClock
) -> DirectoryFactory:
    def make(database: Database | None = None, **config: Any) -> GraphWorkspace:
        settings = GraphConfig(base_url=emulator.base_url, **config)
        return GraphWorkspace(
            build_client(settings),
            SqlFileStore(database or sqlite_database),
            settings,
            clock=clock,
            sleep=no_sleep,
        )

    return make


@pytest.fixture
def directory(make_directory: DirectoryFactory) -> GraphWorkspace:
    return make_directory()


def setup_request(
    team: EmulatedTeam, frameworks: FrameworkRegistry, **overrides: Any
) -> ChannelSetup:
    values: dict[str, Any] = {
        "team_id": team.id,
        "service_name": "Fostering Service",
        "onsite_start": date(2024, 3, 4),
        "lead_inspector": LEAD,
        "members": (
            Member(INSPECTOR, Role.INSPECTOR),
            Member(LINK_OFFICER, Role.LINK_OFFICER),
            Member(DIRECTOR, Role.DIRECTOR),
        ),
        "folders": channel_folders(frameworks.get("jcc-children-social-care")),
    }
    values.update(overrides)
    return ChannelSetup(**values)


async def stored_inspection(database: Database, result: ChannelSetupResult | None = None) -> int:
    inspection = await SqlInspectionRepository(database).add(
        Inspection(
            "jcc-children-social-care",
            "full",
            "Fostering Service",
            date(2024, 3, 4),
            date(2024, 3, 8),
            channel=result.channel if result else None,
        )
    )
    assert inspection.id is not None
    return inspection.id


def pytest_configure(config: pytest.Config) -> None:
    # msgraph-sdk's generated request builders warn about their own deprecated classes.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:msgraph.*")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:kiota_abstractions.*")
