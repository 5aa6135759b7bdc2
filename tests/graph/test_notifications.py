"""POST /api/notifications: handshake, clientState, 202 at once, bursts collapsed into one
sync; subscriptions made and renewed through the emulator, which validates the endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from graph.client import GraphConfig, build_client
from graph.emulator import EmulatedTeam, GraphEmulator
from graph.notifications import (
    NotificationReceiver,
    SubscriptionManager,
    notifications_routes,
    subscription_trigger,
)
from inspection.clock import FixedClock
from inspection.errors import ConfigurationError
from inspection.frameworks import FrameworkRegistry
from inspection.model import Inspection
from inspection.workspace import SyncResult
from store.database import Database
from store.files import SqlFileStore
from store.inspections import SqlInspectionRepository
from tests.graph.conftest import DirectoryFactory, setup_request, stored_inspection

SECRET = "a-client-state-secret-1234"
Endpoint = tuple[NotificationReceiver, "Recorder", str]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, subscription_id: str) -> None:
        self.calls.append(subscription_id)


async def serve(receiver: NotificationReceiver) -> TestServer:
    app = web.Application()
    app.router.add_routes(receiver.routes())
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[NotificationReceiver, Recorder, str]]:
    recorder = Recorder()
    routes, receiver = notifications_routes(recorder, SECRET, settle_seconds=0.05)
    assert [route.path for route in routes] == [  # type: ignore[attr-defined]
        "/api/notifications",
        "/api/notifications/lifecycle",
    ]
    server = await serve(receiver)
    try:
        yield receiver, recorder, str(server.make_url("/api/notifications"))
    finally:
        await receiver.coalescer.close()
        await server.close()


def note(subscription_id: str = "sub-1", client_state: str = SECRET) -> dict[str, object]:
    return {
        "subscriptionId": subscription_id,
        "clientState": client_state,
        "changeType": "updated",
        "resource": "/drives/b!x/root",
        "tenantId": "00000000-0000-4000-8000-0000000e0001",
    }


async def test_validation_handshake_echoes_the_token_as_plain_text(endpoint: Endpoint) -> None:
    _, recorder, url = endpoint
    async with (
        ClientSession() as session,
        session.post(
            url, params={"validationToken": "Validation: Testing client application <&>"}
        ) as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.text() == "Validation: Testing client application <&>"
    assert recorder.calls == []


async def test_wrong_client_state_is_refused_and_logged(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, recorder, url = endpoint
    async with (
        ClientSession() as session,
        session.post(url, json={"value": [note(client_state="forged")]}) as response,
    ):
        assert response.status == 403
    await receiver.coalescer.idle()
    assert recorder.calls == []
    assert receiver.refused == 1
    assert "wrong clientState" in caplog.text


async def test_a_body_that_is_not_notifications_is_a_400(endpoint: Endpoint) -> None:
    _, _, url = endpoint
    async with ClientSession() as session:
        async with session.post(url, json={"changes": []}) as response:
            assert response.status == 400
            assert "value" in await response.text()
        json_type = {"Content-Type": "application/json"}
        async with session.post(url, data=b"not json", headers=json_type) as response:
            assert response.status == 400
            assert "not valid JSON" in await response.text()
        async with session.post(url, data=b"not json") as response:
            assert response.status == 415


async def test_a_burst_of_100_notifications_makes_one_sync(endpoint: Endpoint) -> None:
    receiver, recorder, url = endpoint
    async with ClientSession() as session:

        async def send() -> int:
            async with session.post(url, json={"value": [note()]}) as response:
                return response.status

        statuses = await asyncio.gather(*(send() for _ in range(100)))
    assert set(statuses) == {202}
    await receiver.coalescer.idle()
    assert recorder.calls == ["sub-1"]


async def test_notifications_during_a_sync_make_exactly_one_more(endpoint: Endpoint) -> None:
    receiver, recorder, url = endpoint
    started = asyncio.Event()
    release = asyncio.Event()
    calls: list[str] = []

    async def slow(subscription_id: str) -> None:
        calls.append(subscription_id)
        started.set()
        await release.wait()

    receiver.coalescer._work = slow
    async with ClientSession() as session:
        async with session.post(url, json={"value": [note()]}) as response:
            assert response.status == 202
        await started.wait()
        for _ in range(20):
            async with session.post(url, json={"value": [note()]}) as response:
                assert response.status == 202
        release.set()
    await receiver.coalescer.idle()
    assert calls == ["sub-1", "sub-1"]
    assert recorder.calls == []


async def test_the_answer_does_not_wait_for_the_sync(endpoint: Endpoint) -> None:
    receiver, _, url = endpoint
    blocker = asyncio.Event()

    async def never_finishes(_subscription_id: str) -> None:
        await blocker.wait()

    receiver.coalescer._work = never_finishes
    async with ClientSession() as session, session.post(url, json={"value": [note()]}) as response:
        assert response.status == 202
    blocker.set()
    await receiver.coalescer.idle()


async def test_subscribe_validates_the_endpoint_and_a_dropped_file_reaches_a_sync(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    sqlite_database: Database,
    frameworks: FrameworkRegistry,
    clock: FixedClock,
) -> None:
    emulator.now = clock.now
    directory = make_directory(sqlite_database)
    setup = await directory.setup_channel(setup_request(team, frameworks))
    inspection_id = await stored_inspection(sqlite_database, setup)
    files = SqlFileStore(sqlite_database)
    seen: list[SyncResult] = []

    async def listener(_inspection: Inspection, result: SyncResult) -> None:
        seen.append(result)

    trigger = subscription_trigger(
        directory, SqlInspectionRepository(sqlite_database), files, [listener]
    )
    receiver = NotificationReceiver(trigger, SECRET, settle_seconds=0.01)
    server = await serve(receiver)
    try:
        await directory.sync_files(inspection_id, setup.channel)
        config = GraphConfig(
            base_url=emulator.base_url,
            notification_url=str(server.make_url("/api/notifications")),
            client_state=SECRET,
        )
        manager = SubscriptionManager(build_client(config), files, config, clock)
        subscription = await manager.subscribe(inspection_id, setup.channel)
        assert subscription.resource == f"/drives/{setup.drive_id}/root"
        assert await manager.subscribe(inspection_id, setup.channel) == subscription
        assert len(emulator.subscriptions) == 1

        (
            emulator.channel_folder(setup.channel_id) / "08 Staffing data" / "Return.xlsx"
        ).write_bytes(b"x")
        assert await emulator.notify_changes() == 1
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
        await receiver.coalescer.idle()
        assert [c.path for r in seen for c in r.changes] == ["08 Staffing data/Return.xlsx"]

        # Renewal before expiry keeps the same subscription, later.
        clock.advance(timedelta(minutes=42300 - 600))
        renewed = await manager.renew_due(within=timedelta(days=1))
        assert [r.subscription_id for r in renewed] == [subscription.subscription_id]
        assert renewed[0].expires_at > subscription.expires_at

        # Graph forgot it (expired): renewing makes a new one.
        emulator.subscriptions.clear()
        clock.advance(timedelta(minutes=42300 - 600))
        again = await manager.renew_due(within=timedelta(days=1))
        assert len(again) == 1 and again[0].subscription_id != subscription.subscription_id
        assert len(emulator.subscriptions) == 1
    finally:
        await receiver.coalescer.close()
        await server.close()


async def test_subscribing_needs_a_url_and_a_real_secret(
    emulator: GraphEmulator, sqlite_database: Database, clock: FixedClock
) -> None:
    files = SqlFileStore(sqlite_database)
    config = GraphConfig(base_url=emulator.base_url)
    manager = SubscriptionManager(build_client(config), files, config, clock)
    from inspection.model import Channel

    channel = Channel("t", "c", drive_id="d")
    with pytest.raises(ConfigurationError, match="GRAPH_NOTIFICATION_URL"):
        await manager.subscribe(1, channel)
    config = GraphConfig(
        base_url=emulator.base_url, notification_url="https://x/api", client_state="short"
    )
    manager = SubscriptionManager(build_client(config), files, config, clock)
    with pytest.raises(ConfigurationError, match="GRAPH_CLIENT_STATE"):
        await manager.subscribe(1, channel)
