"""Drive change notifications: the `POST /api/notifications` endpoint and subscriptions.

Graph's drive notifications say only "something changed under this drive" (root only,
`updated` only, no resource data), so each one is a trigger for a delta sync. The endpoint:
- echoes `validationToken` as text/plain (Graph's handshake, within 10 s);
- refuses a notification whose `clientState` is not ours (403, logged);
- answers 202 at once (Graph wants 2xx within 3 s) and syncs in the background, a burst of
  notifications for one subscription collapsing into one sync.
Polling on a schedule stays the fallback (`sync_inspection_files`), since notifications can
be lost or the endpoint unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import web
from msgraph.generated.models.subscription import Subscription as GraphSubscription
from msgraph.graph_service_client import GraphServiceClient

from graph.client import GraphConfig, send_json
from graph.errors import ErrorPolicy
from graph.sync_job import SyncListener, sync_inspection_files
from inspection.clock import Clock
from inspection.directory import Directory, Subscription
from inspection.errors import ConfigurationError, InspectionError, NotFound
from inspection.model import Channel
from inspection.repository import InspectionRepository
from store.files import SqlFileStore, StoredSubscription

log = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/api/notifications"
# Called with a subscription id; runs (or schedules) the delta sync it stands for.
SyncTrigger = Callable[[str], Awaitable[None]]
MAX_BODY = 1_000_000


class Coalescer:
    """Runs `work(key)` in the background; requests arriving while one is waiting or running
    for the same key make at most one more run (a burst of 100 becomes one or two syncs)."""

    def __init__(self, work: SyncTrigger, *, settle_seconds: float = 0.5) -> None:
        self._work = work
        self._settle = settle_seconds
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def request(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None and not task.done():
            self._again.add(key)
            return
        self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key))

    async def _run(self, key: str) -> None:
        while True:
            # Let the rest of a burst arrive before syncing once for all of it.
            await asyncio.sleep(self._settle)
            self._again.discard(key)
            try:
                await self._work(key)
            except InspectionError as exc:
                log.warning("background sync for %s failed: %s", key, exc)
            except Exception:
                log.exception("background sync for %s failed", key)
            if key not in self._again:
                break
        self._tasks.pop(key, None)

    async def idle(self) -> None:
        """Wait until no work is pending (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


class NotificationReceiver:
    def __init__(
        self, trigger: SyncTrigger, client_state: str, *, settle_seconds: float = 0.5
    ) -> None:
        self.client_state = client_state
        self.coalescer = Coalescer(trigger, settle_seconds=settle_seconds)
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            # Graph's handshake when a subscription is made: echo the token as plain text.
            return web.Response(text=token, content_type="text/plain")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "notification too large"}, status=413)
        try:
            body = await request.json()
            notifications = body["value"]
            if not isinstance(notifications, list):
                raise TypeError("value is not a list")
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": 'expected Graph change notifications: {"value": [...]}'}, status=400
            )
        wanted: list[str] = []
        for notification in notifications:
            state = notification.get("clientState") if isinstance(notification, dict) else None
            if (
                not self.client_state
                or not isinstance(state, str)
                or not hmac.compare_digest(state.encode(), self.client_state.encode())
            ):
                self.refused += 1
                log.warning(
                    "refused a change notification with a wrong clientState from %s "
                    "(subscription %s)",
                    request.remote,
                    notification.get("subscriptionId") if isinstance(notification, dict) else "?",
                )
                return web.json_response({"error": "clientState does not match"}, status=403)
            subscription_id = notification.get("subscriptionId")
            if isinstance(subscription_id, str) and subscription_id:
                wanted.append(subscription_id)
        for subscription_id in dict.fromkeys(wanted):
            self.coalescer.request(subscription_id)
        return web.Response(status=202)

    def routes(self, path: str = NOTIFICATIONS_PATH) -> list[web.RouteDef]:
        return [web.post(path, self.handle)]


def notifications_routes(
    trigger: SyncTrigger,
    client_state: str,
    *,
    path: str = NOTIFICATIONS_PATH,
    settle_seconds: float = 0.5,
) -> tuple[list[web.RouteDef], NotificationReceiver]:
    """Routes to mount (`app.router.add_routes(routes)`) and the receiver (close it on
    shutdown: `app.on_cleanup.append(lambda _: receiver.coalescer.close())`)."""
    receiver = NotificationReceiver(trigger, client_state, settle_seconds=settle_seconds)
    return receiver.routes(path), receiver


def subscription_trigger(
    directory: Directory,
    inspections: InspectionRepository,
    files: SqlFileStore,
    listeners: Sequence[SyncListener] = (),
) -> SyncTrigger:
    """A trigger that syncs the inspection a subscription belongs to."""

    async def trigger(subscription_id: str) -> None:
        stored = await files.subscription(subscription_id)
        if stored is None:
            log.warning("notification for unknown subscription %s ignored", subscription_id)
            return
        await sync_inspection_files(directory, inspections, stored.inspection_id, listeners)

    return trigger


class SubscriptionManager:
    """Creates and renews drive subscriptions, one per inspection channel."""

    def __init__(
        self, client: GraphServiceClient, files: SqlFileStore, config: GraphConfig, clock: Clock
    ) -> None:
        self._client = client
        self._files = files
        self._config = config
        self._clock = clock
        self._errors = ErrorPolicy(clock, config.zone, config.retry_minutes)

    def _check_config(self) -> None:
        if not self._config.notification_url:
            raise ConfigurationError(
                "GRAPH_NOTIFICATION_URL is not set, so Graph cannot notify the bot of changes; "
                "set it to the public https URL of /api/notifications (polling still works)"
            )
        if len(self._config.client_state) < 16:
            raise ConfigurationError(
                "GRAPH_CLIENT_STATE must be a secret of at least 16 characters; Graph sends it "
                "back with every notification so the bot can refuse forged ones"
            )

    def _expiry(self) -> datetime:
        return self._clock.now() + timedelta(minutes=self._config.subscription_minutes)

    async def subscribe(self, inspection_id: int, channel: Channel) -> Subscription:
        """Subscribe to the channel's drive (reusing a live subscription). Idempotent."""
        self._check_config()
        if not channel.drive_id:
            raise ConfigurationError("the channel's drive is not recorded; run the setup first")
        resource = f"/drives/{channel.drive_id}/root"
        now = self._clock.now()
        for stored in await self._files.subscriptions(inspection_id=inspection_id):
            if stored.resource == resource and stored.expires_at > now:
                return _domain(stored)
        body = GraphSubscription(
            change_type="updated",
            notification_url=self._config.notification_url,
            resource=resource,
            expiration_date_time=self._expiry(),
            client_state=self._config.client_state,
        )
        async with self._errors.guard("subscribing to changes in the channel's files"):
            info = self._client.subscriptions.to_post_request_information(body)
            created = await send_json(self._client, info)
        if not isinstance(created, dict) or not created.get("id"):
            raise InspectionError("Microsoft Graph did not return the subscription; try again")
        stored = StoredSubscription(
            str(created["id"]),
            inspection_id,
            resource,
            _parse_time(created.get("expirationDateTime")) or self._expiry(),
            now,
        )
        await self._files.save_subscription(stored)
        return _domain(stored)

    async def renew_due(self, within: timedelta = timedelta(hours=24)) -> list[Subscription]:
        """Renew subscriptions expiring within `within`; re-create ones Graph has forgotten."""
        self._check_config()
        renewed: list[Subscription] = []
        due = await self._files.subscriptions(expiring_before=self._clock.now() + within)
        for stored in due:
            expiry = self._expiry()
            try:
                async with self._errors.guard("renewing the change subscription"):
                    builder = self._client.subscriptions.by_subscription_id(stored.id)
                    info = builder.to_patch_request_information(
                        GraphSubscription(expiration_date_time=expiry)
                    )
                    await send_json(self._client, info)
            except NotFound:
                await self._files.delete_subscription(stored.id)
                channel_drive = stored.resource.removeprefix("/drives/").removesuffix("/root")
                renewed.append(await self._recreate(stored.inspection_id, channel_drive))
                continue
            updated = StoredSubscription(
                stored.id, stored.inspection_id, stored.resource, expiry, stored.created_at
            )
            await self._files.save_subscription(updated)
            renewed.append(_domain(updated))
        return renewed

    async def _recreate(self, inspection_id: int, drive_id: str) -> Subscription:
        channel = Channel(team_id="", channel_id="", drive_id=drive_id)
        return await self.subscribe(inspection_id, channel)

    async def unsubscribe(self, inspection_id: int) -> None:
        for stored in await self._files.subscriptions(inspection_id=inspection_id):
            with contextlib.suppress(NotFound):
                async with self._errors.guard("removing the change subscription"):
                    builder = self._client.subscriptions.by_subscription_id(stored.id)
                    await send_json(self._client, builder.to_delete_request_information())
            await self._files.delete_subscription(stored.id)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _domain(stored: StoredSubscription) -> Subscription:
    return Subscription(stored.id, stored.inspection_id, stored.resource, stored.expires_at)
