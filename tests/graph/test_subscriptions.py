"""Change subscriptions kept alive against the emulator (which validates both endpoints and
sends notifications as Graph does): made once a channel has Files, renewed when a third of the
life is left, re-created when Graph forgets one, lifecycle notifications acted on, one renewal
whatever the number of instances, deleted when the inspection closes or is purged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cli.purge import purge
from graph.client import GraphConfig, build_client
from graph.emulator import EmulatedTeam, GraphEmulator
from graph.notifications import (
    MISSED,
    REAUTHORIZATION_REQUIRED,
    SUBSCRIPTION_REMOVED,
    NotificationReceiver,
    SubscriptionManager,
    check_notification_settings,
)
from inspection.clock import FixedClock
from inspection.errors import ConfigurationError
from inspection.frameworks import FrameworkRegistry
from inspection.model import InspectionStatus
from store.database import Database
from store.files import SqlFileStore
from store.inspections import SqlInspectionRepository
from tests.graph.conftest import DirectoryFactory, setup_request, stored_inspection

SECRET = "a-client-state-secret-of-32-chars"
LIFE = timedelta(minutes=GraphConfig().subscription_minutes)


@dataclass
class World:
    emulator: GraphEmulator
    database: Database
    clock: FixedClock
    url: str
    inspection_id: int
    drive_id: str
    synced: list[int] = field(default_factory=list)
    managers: list[SubscriptionManager] = field(default_factory=list)
    receiver: NotificationReceiver | None = None

    def manager(self, database: Database | None = None, **config: str) -> SubscriptionManager:
        settings = GraphConfig(
            base_url=self.emulator.base_url,
            notification_url=config.get("notification_url", self.url),
            client_state=config.get("client_state", SECRET),
        )
        made = SubscriptionManager(
            build_client(settings), SqlFileStore(database or self.database), settings, self.clock
        )
        self.managers.append(made)
        return made

    @property
    def files(self) -> SqlFileStore:
        return SqlFileStore(self.database)

    def calls(self, method: str) -> int:
        return self.emulator.count(method, r"^/subscriptions")


async def _world(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
    clock: FixedClock,
    database: Database,
) -> AsyncIterator[World]:
    emulator.now = clock.now
    directory = make_directory(database)
    setup = await directory.setup_channel(setup_request(team, frameworks))
    inspection_id = await stored_inspection(database, setup)
    world: World

    async def changed(subscription_id: str) -> None:
        stored = await world.files.subscription(subscription_id)
        assert stored is not None, f"notification for unknown {subscription_id}"
        world.synced.append(stored.inspection_id)

    async def lifecycle(subscription_id: str, event: str) -> None:
        found = await world.managers[0].lifecycle(subscription_id, event)
        if found is not None:
            world.synced.append(found)

    receiver = NotificationReceiver(changed, SECRET, lifecycle=lifecycle, settle_seconds=0.01)
    app = web.Application()
    app.router.add_routes(receiver.routes())
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    world = World(
        emulator,
        database,
        clock,
        str(server.make_url("/api/notifications")),
        inspection_id,
        setup.drive_id,
        receiver=receiver,
    )
    try:
        yield world
    finally:
        await receiver.close()
        await server.close()


@pytest.fixture
async def world(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
    clock: FixedClock,
    sqlite_database: Database,
) -> AsyncIterator[World]:
    async for made in _world(emulator, team, make_directory, frameworks, clock, sqlite_database):
        yield made


@pytest.fixture
async def shared_world(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
    clock: FixedClock,
    database: Database,
) -> AsyncIterator[World]:
    """The same, on SQLite and on PostgreSQL (several instances share the database)."""
    async for made in _world(emulator, team, make_directory, frameworks, clock, database):
        yield made


async def test_a_channel_with_files_is_subscribed_once(world: World) -> None:
    manager = world.manager()
    report = await manager.reconcile()
    assert report.created == [world.inspection_id]
    [live] = world.emulator.subscriptions.values()
    assert live.resource == f"/drives/{world.drive_id}/root"
    assert live.notification_url == world.url
    assert live.lifecycle_url == world.url + "/lifecycle"
    assert live.client_state == SECRET
    [stored] = await world.files.subscriptions(inspection_id=world.inspection_id)
    assert stored.id == live.id and stored.expires_at == world.clock.now() + LIFE
    assert await world.files.files_mode(world.inspection_id, world.clock.now()) == "live"
    # A second pass (next minute) finds it live: no Graph call at all.
    before = len(world.emulator.requests)
    again = await manager.reconcile()
    assert (again.created, again.renewed, again.removed) == ([], [], [])
    assert len(world.emulator.requests) == before


async def test_a_dropped_file_reaches_the_endpoint_as_a_sync(world: World) -> None:
    await world.manager().reconcile()
    drive = world.emulator.drives[world.drive_id]
    (drive.folder / "Return.xlsx").write_bytes(b"x")
    assert await world.emulator.notify_changes() == 1
    assert world.receiver is not None
    await world.receiver.idle()
    assert world.synced == [world.inspection_id]


async def test_renewed_when_less_than_a_third_of_its_life_is_left(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    world.clock.advance(LIFE * 2 / 3 - timedelta(minutes=5))  # a third and 5 minutes left
    assert (await manager.reconcile()).renewed == []
    assert world.calls("PATCH") == 0
    world.clock.advance(timedelta(minutes=10))
    assert (await manager.reconcile()).renewed == [world.inspection_id]
    assert world.calls("PATCH") == 1
    [renewed] = await world.files.subscriptions()
    assert renewed.id == first.id
    assert renewed.expires_at == world.clock.now() + LIFE
    assert world.emulator.subscriptions[first.id].expires == renewed.expires_at


async def test_recreated_when_graph_has_forgotten_it(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    world.emulator.forget_subscription(first.id)
    world.clock.advance(LIFE * 3 / 4)
    report = await manager.reconcile()
    assert report.created == [world.inspection_id]
    assert [r.status for r in world.emulator.requests if r.method == "PATCH"] == [404]
    [second] = await world.files.subscriptions()
    assert second.id != first.id and list(world.emulator.subscriptions) == [second.id]


async def test_recreated_when_it_lapsed_while_the_bot_was_down(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    world.clock.advance(LIFE + timedelta(hours=1))
    assert await world.files.files_mode(world.inspection_id, world.clock.now()) == "polling"
    assert (await manager.reconcile()).created == [world.inspection_id]
    assert world.calls("PATCH") == 0  # Graph deletes expired ones: nothing to renew
    [second] = await world.files.subscriptions()
    assert second.id != first.id and second.expires_at == world.clock.now() + LIFE


async def test_a_new_secret_or_url_replaces_the_subscription(world: World) -> None:
    await world.manager().reconcile()
    [first] = await world.files.subscriptions()
    rotated = world.manager(client_state="another-client-state-secret-32ch")
    assert (await rotated.reconcile()).created == [world.inspection_id]
    [second] = await world.files.subscriptions()
    assert second.id != first.id
    assert list(world.emulator.subscriptions) == [second.id]  # the old one deleted at Graph
    assert world.emulator.subscriptions[second.id].client_state != SECRET


async def test_reauthorization_required_renews_and_syncs(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    world.clock.advance(timedelta(days=3))
    status = await world.emulator.send_lifecycle(first.id, REAUTHORIZATION_REQUIRED)
    assert status == 202
    assert world.receiver is not None
    await world.receiver.idle()
    assert world.synced == [world.inspection_id]
    assert world.calls("PATCH") == 1
    [renewed] = await world.files.subscriptions()
    assert renewed.id == first.id and renewed.expires_at == world.clock.now() + LIFE


async def test_subscription_removed_makes_a_new_one_and_syncs(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    assert await world.emulator.send_lifecycle(first.id, SUBSCRIPTION_REMOVED) == 202
    assert world.receiver is not None
    await world.receiver.idle()
    assert world.synced == [world.inspection_id]
    [second] = await world.files.subscriptions()
    assert second.id != first.id and list(world.emulator.subscriptions) == [second.id]


async def test_missed_notifications_are_answered_by_a_sync_only(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    posts = world.calls("POST")
    assert await world.emulator.send_lifecycle(first.id, MISSED) == 202
    assert world.receiver is not None
    await world.receiver.idle()
    assert world.synced == [world.inspection_id]
    assert (world.calls("POST"), world.calls("PATCH")) == (posts, 0)
    assert [s.id for s in await world.files.subscriptions()] == [first.id]


async def test_a_burst_of_lifecycle_notifications_is_one_renewal(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    [first] = await world.files.subscriptions()
    statuses = await asyncio.gather(
        *(world.emulator.send_lifecycle(first.id, REAUTHORIZATION_REQUIRED) for _ in range(20))
    )
    assert set(statuses) == {202}
    assert world.receiver is not None
    await world.receiver.idle()
    assert world.calls("PATCH") <= 2  # one, or one more if the burst straddled it
    assert len(world.synced) == world.calls("PATCH")


async def test_two_instances_subscribe_once_and_renew_once(shared_world: World) -> None:
    world = shared_world
    other = Database(world.database.url)  # a second instance: its own engine and pool
    try:
        a, b = world.manager(), world.manager(other)
        assert a.holder != b.holder
        reports = await asyncio.gather(a.reconcile(), b.reconcile())
        assert sorted(len(r.created) for r in reports) == [0, 1]
        assert world.calls("POST") == 1 and len(world.emulator.subscriptions) == 1
        world.clock.advance(LIFE * 3 / 4)
        reports = await asyncio.gather(a.reconcile(), b.reconcile())
        assert sorted(len(r.renewed) for r in reports) == [0, 1]
        assert world.calls("PATCH") == 1
        # renew_due (the older entry point) keeps to the same rule.
        world.clock.advance(LIFE * 3 / 4)
        renewed = await asyncio.gather(a.renew_due(), b.renew_due())
        assert sorted(len(r) for r in renewed) == [0, 1]
        assert world.calls("PATCH") == 2
        assert len(await world.files.subscriptions()) == 1
    finally:
        await other.dispose()


async def test_a_lease_is_one_holders_until_released_or_lapsed(shared_world: World) -> None:
    files, now = shared_world.files, shared_world.clock.now()
    lease = timedelta(minutes=5)
    inspection_id = shared_world.inspection_id
    assert await files.take_subscription_lease(inspection_id, "a", now=now, lease=lease)
    assert not await files.take_subscription_lease(inspection_id, "b", now=now, lease=lease)
    assert await files.take_subscription_lease(inspection_id, "a", now=now, lease=lease)
    later = now + timedelta(minutes=6)  # a's instance died holding it: the lease lapses
    assert await files.take_subscription_lease(inspection_id, "b", now=later, lease=lease)
    await files.release_subscription_lease(inspection_id, "a")  # not a's any more: kept
    assert not await files.take_subscription_lease(inspection_id, "a", now=later, lease=lease)
    await files.release_subscription_lease(inspection_id, "b")
    assert await files.take_subscription_lease(inspection_id, "a", now=later, lease=lease)


async def test_closing_the_inspection_deletes_the_subscription(world: World) -> None:
    manager = world.manager()
    await manager.reconcile()
    repository = SqlInspectionRepository(world.database)
    inspection = await repository.get(world.inspection_id)
    await repository.update(replace(inspection, status=InspectionStatus.CLOSED))
    report = await manager.reconcile()
    assert report.removed == [world.inspection_id]
    assert world.emulator.subscriptions == {}
    assert await world.files.subscriptions() == []
    assert await world.files.files_mode(world.inspection_id, world.clock.now()) == "polling"


async def test_purge_deletes_the_subscription_at_graph(
    world: World, frameworks: FrameworkRegistry
) -> None:
    manager = world.manager()
    await manager.reconcile()
    repository = SqlInspectionRepository(world.database)
    inspection = await repository.get(world.inspection_id)
    await repository.update(replace(inspection, actuals={"published": date(2024, 6, 3)}))
    result = await purge(
        world.database,
        frameworks,
        inspection_id=world.inspection_id,
        older_than_days=0,
        dry_run=False,
        clock=FixedClock(world.clock.now() + timedelta(days=200)),
        unsubscribe=manager.unsubscribe,
    )
    assert result.subscriptions_note == "Deleted 1 change subscription(s) at Microsoft Graph."
    assert world.emulator.subscriptions == {}
    assert await world.files.subscriptions() == []


async def test_purge_goes_ahead_when_graph_cannot_be_reached(
    world: World, frameworks: FrameworkRegistry
) -> None:
    await world.manager().reconcile()
    repository = SqlInspectionRepository(world.database)
    inspection = await repository.get(world.inspection_id)
    await repository.update(replace(inspection, actuals={"published": date(2024, 6, 3)}))
    world.emulator.fail(503, method="DELETE", path="^/subscriptions", times=None)
    manager = world.manager()
    result = await purge(
        world.database,
        frameworks,
        inspection_id=world.inspection_id,
        older_than_days=0,
        dry_run=False,
        clock=FixedClock(world.clock.now() + timedelta(days=200)),
        unsubscribe=manager.unsubscribe,
    )
    assert "could not be deleted at Microsoft Graph" in result.subscriptions_note
    assert "lapses by itself on" in result.subscriptions_note
    assert await world.files.subscriptions() == []  # the purge itself went through


async def test_an_endpoint_that_does_not_answer_the_handshake_is_refused(world: World) -> None:
    manager = world.manager(notification_url=world.url.replace("/api/", "/nowhere/"))
    report = await manager.reconcile()
    assert report.created == [] and world.inspection_id in report.failed
    assert "validation" in report.failed[world.inspection_id].lower()
    assert world.emulator.subscriptions == {}


@pytest.mark.parametrize(
    ("url", "secret", "expected"),
    [
        ("", SECRET, "GRAPH_NOTIFICATION_URL is not set"),
        ("http://bot.example.org/api/notifications", SECRET, "not a public https URL"),
        ("bot.example.org/api/notifications", SECRET, "not a public https URL"),
        ("https://bot.example.org/api/notifications", "short", "at least 16 characters"),
    ],
)
def test_notification_settings_are_checked(url: str, secret: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        check_notification_settings(GraphConfig(notification_url=url, client_state=secret))


def test_loopback_http_is_allowed_for_the_emulator() -> None:
    check_notification_settings(
        GraphConfig(notification_url="http://127.0.0.1:3978/api/notifications", client_state=SECRET)
    )
